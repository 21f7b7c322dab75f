-- audit_list_by_task.sql: one task's audit trail, oldest first, for GET /api/tasks/{id}/audit
-- and the dashboard's timeline. Runs under the API's RLS scope; the route has already checked
-- that the task is the caller's. Served by audit_logs_resource_idx (resource_id, id).
-- Params: $1 task id uuid, $2 at most this many rows int
SELECT id, action, agent, status, details, created_at
FROM audit_logs
WHERE resource_id = $1 AND resource = 'autonomous_tasks'
ORDER BY id
LIMIT $2;
