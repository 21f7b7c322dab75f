-- task_status_page.sql: one page of a workspace's tasks for GET /api/tasks/status, oldest first,
-- with whether every dependency is met (completed, and approved if it needs approval). Keyset paging on (created_at, id) over
-- autonomous_tasks_workspace_page_idx, so page N costs what page 1 does.
-- The dashboard's columns come along: type, strategy, retries, dependencies, whether the lease
-- has expired (stuck: the stuck_tasks view's rule), and for a decomposed strategy's task the
-- phase of its recorded plan (null for pillar and KPI tasks, which belong to no phase). The plan
-- of each strategy on the page is read once, after the page is cut: looking it up per row
-- (detoasting the plan each time) cost 30 ms per 1000 rows of one strategy here, this 3 ms.
-- Params: $1 workspace_id uuid, $2 task_id uuid (NULL = any), $3 status text (NULL = any),
--         $4 assigned_agent text (NULL = any), $5 cursor: id of the last task of the previous page
--         (NULL = first page), $6 limit int, $7 task_type text (NULL = any),
--         $8 strategy_id uuid (NULL = any), $9 priority int (NULL = any),
--         $10 text that the description contains, case-insensitive (NULL = any),
--         $11 a task id: only the tasks that depend on it (NULL = any; the GIN index on
--         depends_on finds them)
WITH page AS (
  SELECT t.id, t.task_description, t.status, t.priority, t.assigned_agent, t.error_message,
         t.started_at, t.created_at, t.deadline, t.task_type, t.strategy_id, t.retry_count,
         t.max_retries, t.depends_on,
         (t.status = 'in_progress' AND t.lease_expires_at < now()) AS stuck,
         NOT EXISTS (
           SELECT 1
           FROM unnest(t.depends_on) AS d(id)
           LEFT JOIN autonomous_tasks dep ON dep.workspace_id = $1 AND dep.id = d.id
           WHERE NOT coalesce(taskfleet_dependency_met(dep.status, dep.approval_state), false))
           AS dependencies_met,
         taskfleet_approval_of(t.status, t.approval_state, t.approval_by, t.approval_at,
                               t.approval_comment, t.completed_at) AS approval
  FROM autonomous_tasks t
  WHERE t.workspace_id = $1
    AND ($2::uuid IS NULL OR t.id = $2)
    AND ($3::text IS NULL OR t.status = $3)
    AND ($4::text IS NULL OR t.assigned_agent = $4)
    AND ($5::uuid IS NULL OR (t.created_at, t.id) > (SELECT c.created_at, c.id FROM autonomous_tasks c
                                                     WHERE c.workspace_id = $1 AND c.id = $5))
    AND ($7::text IS NULL OR t.task_type = $7)
    AND ($8::uuid IS NULL OR t.strategy_id = $8)
    AND ($9::int IS NULL OR t.priority = $9)
    AND ($10::text IS NULL OR strpos(lower(t.task_description), lower($10)) > 0)
    AND ($11::uuid IS NULL OR t.depends_on @> ARRAY[$11::uuid])
  ORDER BY t.created_at, t.id
  LIMIT $6
), phases AS (
  SELECT (p.ord - 1)::int AS phase_index, p.phase->>'phase_name' AS phase_name,
         x.id::uuid AS id
  FROM marketing_strategies s
  CROSS JOIN LATERAL jsonb_array_elements(s.execution_plan->'phases') WITH ORDINALITY AS p(phase, ord)
  CROSS JOIN LATERAL jsonb_array_elements_text(p.phase->'tasks') AS x(id)
  WHERE s.workspace_id = $1
    AND s.id IN (SELECT strategy_id FROM page WHERE strategy_id IS NOT NULL)
)
SELECT page.*, phases.phase_index, phases.phase_name
FROM page
LEFT JOIN phases ON phases.id = page.id
ORDER BY page.created_at, page.id;
