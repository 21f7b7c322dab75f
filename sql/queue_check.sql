-- queue_check.sql: the doctor's query. The claim and the views read task_queue and the
-- unmet_deps counter; this recomputes both from the source of truth (status, approval and
-- depends_on: taskfleet_dependency_met) and
-- lists every task where they disagree, with what is wrong. Empty when the queue is consistent.
-- Tests run it after each kind of transition; a DBA can run it at any time. Every join stays
-- inside a workspace (tasks depend only on their own workspace's), as Citus needs.
WITH unmet AS (
  -- Grouped rather than a correlated subquery per task: Citus cannot deparse the latter.
  SELECT t.workspace_id, t.id, count(DISTINCT d.id)::int AS n
  FROM autonomous_tasks t
  CROSS JOIN LATERAL unnest(t.depends_on) AS d(id)
  LEFT JOIN autonomous_tasks dep ON dep.workspace_id = t.workspace_id AND dep.id = d.id
  WHERE NOT coalesce(taskfleet_dependency_met(dep.status, dep.approval_state), false)
  GROUP BY t.workspace_id, t.id
), truth AS (
  SELECT t.id, t.status, t.unmet_deps, t.locked_by, t.attempt_token, t.next_run_at, t.priority,
         coalesce(u.n, 0) AS unmet_now,
         q.id IS NOT NULL AS in_queue,
         q.locked_by AS queue_locked_by,
         q.attempt_token AS queue_token,
         q.run_at,
         q.priority AS queue_priority
  FROM autonomous_tasks t
  LEFT JOIN unmet u ON u.workspace_id = t.workspace_id AND u.id = t.id
  LEFT JOIN task_queue q ON q.workspace_id = t.workspace_id AND q.id = t.id
)
SELECT id, problem
FROM truth
CROSS JOIN LATERAL (VALUES
  (status = 'queued' AND unmet_deps <> unmet_now,
   format('unmet_deps is %s, depends_on has %s not met', unmet_deps, unmet_now)),
  (status = 'queued' AND unmet_now = 0 AND NOT in_queue, 'ready but not in task_queue'),
  (status = 'queued' AND unmet_now > 0 AND in_queue, 'blocked but in task_queue'),
  (status = 'queued' AND in_queue AND queue_locked_by IS NOT NULL, 'queued but leased in task_queue'),
  (status = 'queued' AND in_queue AND run_at <> next_run_at, 'run_at differs from next_run_at'),
  (status IN ('queued', 'in_progress') AND in_queue AND queue_priority <> priority,
   'priority differs from task_queue'),
  (status = 'in_progress' AND NOT in_queue, 'in_progress but not in task_queue'),
  (status = 'in_progress' AND in_queue AND queue_token IS DISTINCT FROM attempt_token,
   'attempt token differs from task_queue'),
  (status IN ('completed', 'failed', 'cancelled') AND in_queue, 'terminal but in task_queue')
) AS c(broken, problem)
WHERE broken
UNION ALL
SELECT q.id, 'in task_queue but no task row'
FROM task_queue q
WHERE NOT EXISTS (SELECT 1 FROM autonomous_tasks t
                  WHERE t.workspace_id = q.workspace_id AND t.id = q.id)
ORDER BY 1, 2;
