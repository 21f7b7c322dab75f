-- workspace_list.sql: every workspace, oldest first, with its task counts by status
-- (taskfleet workspaces list). Reads queue_summary, which counts each workspace's tasks over
-- autonomous_tasks_workspace_page_idx: an operator's command, not for a hot loop.
SELECT s.workspace_id AS id, s.workspace_name AS name, w.timezone,
       s.total, s.queued, s.in_progress, s.completed, s.failed, s.cancelled
FROM queue_summary s
JOIN workspaces w ON w.id = s.workspace_id
ORDER BY w.created_at, w.id;
