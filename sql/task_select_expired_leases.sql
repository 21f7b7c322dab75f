-- task_select_expired_leases.sql: the lease reaper's first step. Locks up to $1 in_progress tasks
-- whose lease has expired (their worker died or stalled), skipping rows another reaper holds.
-- The caller decides per task (retry with backoff, or TASK_005) and writes it with
-- task_requeue.sql / task_fail.sql as 'task.reclaimed', in the same transaction.
-- Params: $1 limit int
SELECT id, retry_count, max_retries, attempt_token, locked_by
FROM autonomous_tasks
WHERE status = 'in_progress'
  AND lease_expires_at < now()
ORDER BY lease_expires_at
LIMIT $1
FOR UPDATE SKIP LOCKED;
