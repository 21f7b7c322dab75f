-- task_complete.sql: record successful attempts, a batch at a time.
-- Fenced by the attempt token: a late result from a lost lease matches no task_queue row and
-- changes nothing, and `completed` is written once. One exception, on purpose: a reclaim keeps
-- the expired attempt's token until another attempt is claimed (task_requeue.sql), so a success
-- held through a database outage longer than the lease is still recorded if nothing else has
-- started the task (the reclaim's retry stays counted; the audit shows task.reclaimed, then
-- task.executed).
-- The task_queue rows are locked in id order first (like every batch write), then deleted; the
-- task rows get a HOT update. One task.executed audit row per task, in the same statement.
-- The caller runs task_unblock_dependents.sql next, for the tasks that need no approval (a task
-- whose approval is pending keeps its dependents blocked until POST /api/tasks/{id}/approve), in the same transaction but as a second
-- statement: its fresh snapshot sees a dependent inserted while this statement waited on a row
-- lock (task_insert.sql locks dependencies FOR SHARE), which this statement's snapshot cannot.
-- Params: $1 ids uuid[], $2 attempt tokens uuid[], $3 outputs jsonb[], $4 worker_id text,
--         $5 workspaces uuid[] (NULL on PostgreSQL; on Citus the batch's one workspace: queue/shard.rs)
WITH locked AS (
  SELECT q.id
  FROM task_queue q
  WHERE q.id = ANY($1::uuid[])
    AND ($5::uuid[] IS NULL OR q.workspace_id = ANY($5))
  ORDER BY q.id
  FOR UPDATE
), released AS (
  DELETE FROM task_queue q
  USING unnest($1::uuid[], $2::uuid[]) AS d(id, token)
  -- = ANY(ARRAY(...)): primary-key lookups of the locked rows; `IN (SELECT id FROM locked)` was
  -- planned as a nested-loop semi join, quadratic in the batch.
  WHERE q.id = ANY (ARRAY(SELECT id FROM locked))
    AND ($5::uuid[] IS NULL OR q.workspace_id = ANY($5))
    AND d.id = q.id
    AND q.attempt_token = d.token
  RETURNING q.id
), done AS (
  UPDATE autonomous_tasks t
  SET status = 'completed',
      completed_at = now(),
      output_data = d.output,
      error_message = NULL,
      locked_by = NULL,
      lease_expires_at = NULL,
      updated_at = now()
  FROM unnest($1::uuid[], $3::jsonb[]) AS d(id, output)
  WHERE t.id = ANY (ARRAY(SELECT id FROM released))
    AND ($5::uuid[] IS NULL OR t.workspace_id = ANY($5))
    AND d.id = t.id
  RETURNING t.id, t.workspace_id, t.assigned_agent, t.retry_count, t.started_at,
            t.approval_state
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, 'task.executed', 'autonomous_tasks', id, $4, 'completed',
         jsonb_build_object('assigned_agent', assigned_agent,
                            'retry_count', retry_count,
                            'duration_ms', round(extract(epoch FROM now() - started_at) * 1000))
  FROM done
)
SELECT id, approval_state IS NOT DISTINCT FROM 'pending' AS awaits_approval FROM done;
