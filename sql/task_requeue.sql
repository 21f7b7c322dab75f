-- task_requeue.sql: put attempts back to queued, a batch at a time. One statement serves four
-- transitions that differ only in their numbers, named per row by the audit action:
--   task.retry_scheduled  transient failure: retry_count + 1, next_run_at = now + backoff
--   task.reclaimed        expired lease taken back: counts as a transient failure (+1)
--   task.deferred         agent unavailable (TASK_004) or a time-of-day rule: no retry consumed
--   task.released         worker drained on SIGTERM before the attempt finished: no retry consumed
-- Fenced by the attempt token and status, like every write of a claimed task.
-- Params: $1 ids uuid[], $2 attempt tokens uuid[], $3 retry increments int[],
--         $4 next_run_at timestamptz[], $5 error_message text[] (NULL keeps the current one),
--         $6 actions text[], $7 details jsonb[], $8 actor text (worker id)
WITH moved AS (
  UPDATE autonomous_tasks t
  SET status = 'queued',
      retry_count = t.retry_count + r.increment,
      next_run_at = r.next_run_at,
      error_message = coalesce(r.error, t.error_message),
      locked_by = NULL,
      lease_expires_at = NULL,
      updated_at = now()
  FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[], $5::text[], $6::text[],
              $7::jsonb[]) AS r(id, token, increment, next_run_at, error, action, details)
  WHERE t.id = r.id
    AND t.attempt_token = r.token
    AND t.status = 'in_progress'
  RETURNING t.id, t.workspace_id, t.retry_count, t.next_run_at, r.action, r.details
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, action, 'autonomous_tasks', id, $8, 'queued',
         details || jsonb_build_object('retry_count', retry_count, 'next_run_at', next_run_at)
  FROM moved
), wake AS (
  -- Released and deferred-to-now tasks are ready at once: wake idle workers.
  SELECT pg_notify('taskfleet_ready', 'requeued')
  WHERE EXISTS (SELECT 1 FROM moved WHERE next_run_at <= now())
)
SELECT m.id, (SELECT count(*) FROM wake) AS woke
FROM moved m;
