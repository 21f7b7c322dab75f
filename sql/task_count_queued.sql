-- task_count_queued.sql: tasks still queued in a workspace (tasks_remaining of an execute pass).
-- Params: $1 workspace_id uuid
SELECT count(*) FROM autonomous_tasks WHERE workspace_id = $1 AND status = 'queued';
