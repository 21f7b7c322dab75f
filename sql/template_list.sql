-- template_list.sql: a workspace's templates, oldest first (GET /api/templates, `taskfleet
-- templates list`). Under row-level security (the API) only the caller's workspaces.
-- Params: $1 workspace_id uuid
SELECT id, workspace_id, name, cron, timezone, task, enabled, catch_up_secs, created_at,
       last_tick
FROM task_templates
WHERE workspace_id = $1
ORDER BY created_at, id;
