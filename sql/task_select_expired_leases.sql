-- task_select_expired_leases.sql: the lease reaper's first step. Locks up to $1 in_progress tasks
-- whose lease has expired (their worker died or stalled), skipping rows another reaper holds.
-- The caller settles each as a lease expiry (retry with backoff, or TASK_005) and writes it with
-- task_requeue.sql / task_fail.sql as 'task.reclaimed', in the same transaction.
-- Columns: those of a claimed task (task_claim.sql), plus the worker that held it.
-- Params: $1 limit int
SELECT t.id, t.workspace_id, t.task_type, t.assigned_agent, t.task_description, t.input_data,
       t.priority, t.retry_count, t.max_retries, t.attempt_token, t.next_run_at, t.started_at,
       (SELECT w.timezone FROM workspaces w WHERE w.id = t.workspace_id) AS timezone, t.locked_by
FROM autonomous_tasks t
WHERE t.status = 'in_progress'
  AND t.lease_expires_at < now()
ORDER BY t.lease_expires_at
LIMIT $1
FOR UPDATE OF t SKIP LOCKED;
