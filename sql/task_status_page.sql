-- task_status_page.sql: one page of a workspace's tasks for GET /api/tasks/status, oldest first,
-- with whether every dependency is completed. Keyset paging on (created_at, id) over
-- autonomous_tasks_workspace_page_idx, so page N costs what page 1 does.
-- Params: $1 workspace_id uuid, $2 task_id uuid (NULL = any), $3 status text (NULL = any),
--         $4 assigned_agent text (NULL = any), $5 cursor: id of the last task of the previous page
--         (NULL = first page), $6 limit int
SELECT t.id, t.task_description, t.status, t.priority, t.assigned_agent, t.error_message,
       t.started_at, t.created_at, t.deadline,
       NOT EXISTS (
         SELECT 1
         FROM unnest(t.depends_on) AS d(id)
         LEFT JOIN autonomous_tasks dep ON dep.id = d.id
         WHERE dep.status IS DISTINCT FROM 'completed') AS dependencies_met
FROM autonomous_tasks t
WHERE t.workspace_id = $1
  AND ($2::uuid IS NULL OR t.id = $2)
  AND ($3::text IS NULL OR t.status = $3)
  AND ($4::text IS NULL OR t.assigned_agent = $4)
  AND ($5::uuid IS NULL OR (t.created_at, t.id) > (SELECT c.created_at, c.id FROM autonomous_tasks c WHERE c.id = $5))
ORDER BY t.created_at, t.id
LIMIT $6;
