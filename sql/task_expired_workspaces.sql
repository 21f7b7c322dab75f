-- task_expired_workspaces.sql (Citus only): the workspaces holding leases that have expired, so
-- the reaper can take them back one workspace (one shard) at a time with
-- task_select_expired_leases.sql. Reads task_queue_leased_idx; locks nothing.
SELECT DISTINCT q.workspace_id
FROM task_queue q
WHERE q.locked_by IS NOT NULL
  AND q.lease_expires_at < now();
