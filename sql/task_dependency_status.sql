-- task_dependency_status.sql: the status of each would-be dependency of a new task, in its
-- workspace. Ids missing from the answer are unknown or another workspace's (TASK_011).
-- Params: $1 ids uuid[], $2 workspace_id uuid
SELECT id, status
FROM autonomous_tasks
WHERE id = ANY($1) AND workspace_id = $2;
