-- task_select_expired_leases.sql: the lease reaper's first step. Locks up to $1 leased tasks whose
-- lease has expired (their worker died or stalled), skipping rows another reaper holds: their
-- task_queue rows first (found through the leased index), then their task rows.
-- The caller settles each as a lease expiry (retry with backoff, or TASK_005) and writes it with
-- task_requeue.sql / task_fail.sql as 'task.reclaimed', in the same transaction.
-- Columns: those of a claimed task (task_claim.sql), plus the worker that held it.
-- Params: $1 limit int, $2 workspaces uuid[] (NULL on PostgreSQL; on Citus one workspace that has
--         expired leases, from task_expired_workspaces.sql: queue/shard.rs)
WITH expired AS (
  SELECT q.id, q.locked_by, q.attempt_token
  FROM task_queue q
  WHERE q.locked_by IS NOT NULL
    AND q.lease_expires_at < now()
    AND ($2::uuid[] IS NULL OR q.workspace_id = ANY($2))
  ORDER BY q.lease_expires_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
)
SELECT t.id, t.workspace_id, t.task_type, t.assigned_agent, t.task_description, t.input_data,
       t.priority, t.retry_count, t.max_retries, e.attempt_token, t.next_run_at, t.started_at,
       (SELECT w.timezone FROM workspaces w WHERE w.id = t.workspace_id) AS timezone, e.locked_by
FROM expired e
JOIN autonomous_tasks t ON t.id = e.id
WHERE ($2::uuid[] IS NULL OR t.workspace_id = ANY($2))
ORDER BY t.id
FOR UPDATE OF t;
