-- 0021_workspace_scoped_joins: every view joins a task to its queue row or to its dependencies
-- within one workspace (issue 19). Tasks depend only on tasks of their own workspace (the API and
-- the SQL enqueue functions refuse anything else), so the answers are the same; what changes is
-- that each join names workspace_id, the column Citus distributes by, so on a Citus cluster
-- every join runs inside one shard. blocked_tasks also groups by its columns instead of leaning
-- on the primary key of autonomous_tasks, which becomes (workspace_id, id) on Citus.
CREATE OR REPLACE VIEW ready_tasks AS
SELECT t.*
FROM task_queue q
LEFT JOIN autonomous_tasks t ON t.workspace_id = q.workspace_id AND t.id = q.id
WHERE q.locked_by IS NULL
  AND q.run_at <= now()
ORDER BY q.priority DESC, q.created_at, q.id;

CREATE OR REPLACE VIEW stuck_tasks AS
SELECT t.id,
       t.workspace_id,
       t.assigned_agent,
       q.locked_by,
       q.lease_expires_at,
       now() - q.lease_expires_at AS expired_for,
       t.started_at,
       t.retry_count,
       q.attempt_token
FROM task_queue q
JOIN autonomous_tasks t ON t.workspace_id = q.workspace_id AND t.id = q.id
WHERE q.locked_by IS NOT NULL
  AND q.lease_expires_at < now();

CREATE OR REPLACE VIEW blocked_tasks AS
SELECT t.id,
       t.workspace_id,
       t.task_description,
       t.assigned_agent,
       t.priority,
       array_agg(d.id ORDER BY d.ord) AS unmet_dependencies,
       jsonb_object_agg(d.id::text,
                        CASE WHEN dep.status = 'completed'
                             THEN format('completed (%s)',
                                         CASE dep.approval_state WHEN 'pending' THEN 'awaiting approval'
                                                                 ELSE dep.approval_state END)
                             ELSE coalesce(dep.status, 'missing') END) AS dependency_status,
       array_agg(CASE WHEN dep.status = 'completed' AND dep.approval_state = 'pending'
                      THEN format('awaiting approval of %s', d.id)
                      WHEN dep.status = 'completed'
                      THEN format('%s was rejected', d.id)
                      ELSE format('waiting for %s (%s)', d.id, coalesce(dep.status, 'missing')) END
                 ORDER BY d.ord) AS reasons
FROM autonomous_tasks t
CROSS JOIN LATERAL unnest(t.depends_on) WITH ORDINALITY AS d(id, ord)
LEFT JOIN autonomous_tasks dep ON dep.workspace_id = t.workspace_id AND dep.id = d.id
WHERE t.status = 'queued'
  AND NOT coalesce(taskfleet_dependency_met(dep.status, dep.approval_state), false)
GROUP BY t.workspace_id, t.id, t.task_description, t.assigned_agent, t.priority;

-- Replacing a view keeps its query's owner rights unless told again.
ALTER VIEW ready_tasks SET (security_invoker = true);
ALTER VIEW stuck_tasks SET (security_invoker = true);
ALTER VIEW blocked_tasks SET (security_invoker = true);
