-- task_requeue.sql: put attempts back to queued (retry with backoff, TASK_004 deferral, a
-- time-of-day deferral, release on shutdown, reclaim of an expired lease), a batch at a time.
-- Fenced by the attempt token on task_queue; rows are locked there first, in id order. The
-- task_queue row loses its lease and takes the new run_at; the task row (HOT) its status,
-- retry_count, next_run_at and error. One audit row per task with its action.
-- Params: $1 ids uuid[], $2 tokens uuid[], $3 retry increments int[], $4 next_run_at timestamptz[],
--         $5 errors text[] (NULL keeps the current one), $6 audit actions text[],
--         $7 audit details jsonb[], $8 actor text,
--         $9 workspaces uuid[] (NULL on PostgreSQL; on Citus the batch's one workspace: queue/shard.rs)
WITH r AS MATERIALIZED (
  SELECT *
  FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[], $5::text[], $6::text[],
              $7::jsonb[]) AS r(id, token, increment, next_run_at, error, action, details)
), locked AS (
  SELECT q.id
  FROM task_queue q
  WHERE q.id = ANY($1::uuid[])
    AND ($9::uuid[] IS NULL OR q.workspace_id = ANY($9))
  ORDER BY q.id
  FOR UPDATE
), unleased AS (
  -- A reclaim keeps the expired attempt's token until a new claim replaces it: that attempt's
  -- worker may only have lost the database for longer than its lease, and its late success is
  -- then still the task's result (task_complete.sql matches it) if no other attempt has begun.
  -- Only a leased row is requeued or failed (here and in task_fail.sql), so a late failure of a
  -- reclaimed attempt, already counted by the reclaim, is not counted again.
  UPDATE task_queue q
  SET locked_by = NULL,
      lease_expires_at = NULL,
      attempt_token = CASE WHEN r.action = 'task.reclaimed' THEN q.attempt_token END,
      run_at = r.next_run_at
  FROM r
  WHERE q.id = ANY (ARRAY(SELECT id FROM locked))
    AND ($9::uuid[] IS NULL OR q.workspace_id = ANY($9))
    AND r.id = q.id
    AND q.attempt_token = r.token
    AND q.locked_by IS NOT NULL
  RETURNING q.id
), moved AS (
  UPDATE autonomous_tasks t
  SET status = 'queued',
      retry_count = t.retry_count + r.increment,
      next_run_at = r.next_run_at,
      error_message = coalesce(r.error, t.error_message),
      locked_by = NULL,
      lease_expires_at = NULL,
      updated_at = now()
  FROM r
  WHERE t.id = ANY (ARRAY(SELECT id FROM unleased))
    AND ($9::uuid[] IS NULL OR t.workspace_id = ANY($9))
    AND r.id = t.id
  RETURNING t.id, t.workspace_id, t.retry_count, t.next_run_at, r.action, r.details
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, action, 'autonomous_tasks', id, $8, 'queued',
         details || jsonb_build_object('retry_count', retry_count, 'next_run_at', next_run_at)
  FROM moved
), wake AS (
  -- Released and deferred-to-now tasks are ready at once: wake idle workers.
  SELECT pg_notify('taskfleet_ready', 'requeued') IS NOT NULL AS sent  -- boolean, not void: Citus materializes CTEs
  WHERE EXISTS (SELECT 1 FROM moved WHERE next_run_at <= now())
)
SELECT m.id, (SELECT count(*) FROM wake) AS woke
FROM moved m;
