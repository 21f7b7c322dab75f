-- task_fail.sql: mark attempts failed for good, a batch at a time: a permanent error (HTTP 4xx),
-- or a transient one when retry_count already equals max_retries (TASK_005). retry_count is left
-- as it is, so after TASK_005 it equals max_retries (it counts retries, not attempts).
-- Fenced by the attempt token: the task_queue rows are locked in id order and deleted, then the
-- task rows updated (HOT). The caller runs task_cancel_dependents.sql next, in the same
-- transaction: a failed task's dependents can never run.
-- Params: $1 ids uuid[], $2 attempt tokens uuid[], $3 error_message text[], $4 actions text[]
--         ('task.failed', or 'task.reclaimed' when an expired lease used up the last retry),
--         $5 details jsonb[], $6 actor text (worker id),
--         $7 workspaces uuid[] (NULL on PostgreSQL; on Citus the batch's one workspace: queue/shard.rs)
WITH f AS MATERIALIZED (
  SELECT *
  FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[])
       AS f(id, token, error, action, details)
), locked AS (
  SELECT q.id
  FROM task_queue q
  WHERE q.id = ANY($1::uuid[])
    AND ($7::uuid[] IS NULL OR q.workspace_id = ANY($7))
  ORDER BY q.id
  FOR UPDATE
), released AS (
  DELETE FROM task_queue q
  USING f
  WHERE q.id = ANY (ARRAY(SELECT id FROM locked))
    AND ($7::uuid[] IS NULL OR q.workspace_id = ANY($7))
    AND f.id = q.id
    AND q.attempt_token = f.token
    AND q.locked_by IS NOT NULL  -- a reclaimed attempt's late failure changes nothing
  RETURNING q.id
), failed AS (
  UPDATE autonomous_tasks t
  SET status = 'failed',
      error_message = f.error,
      locked_by = NULL,
      lease_expires_at = NULL,
      updated_at = now()
  FROM f
  WHERE t.id = ANY (ARRAY(SELECT id FROM released))
    AND ($7::uuid[] IS NULL OR t.workspace_id = ANY($7))
    AND f.id = t.id
  RETURNING t.id, t.workspace_id, t.retry_count, t.error_message, f.action, f.details
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, action, 'autonomous_tasks', id, $6, 'failed',
         details || jsonb_build_object('retry_count', retry_count, 'error', error_message)
  FROM failed
)
SELECT id FROM failed ORDER BY id;
