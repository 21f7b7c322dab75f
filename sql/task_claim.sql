-- task_claim.sql: claim up to $2 ready tasks for worker $1, in ready_tasks order.
-- Used by every worker and by POST /api/tasks/execute, so the two can never run a task twice.
-- Locks: FOR UPDATE SKIP LOCKED in a CTE, then one UPDATE. The CTE matters: with the LIMIT
-- inside the locking subquery the planner cannot turn it into a nested loop that updates more
-- rows than asked for (Oban's fetch_jobs comment explains the same trap).
-- Readiness comes from unmet_deps (kept by task_complete.sql) so the claim joins nothing.
-- Writes: status, started_at, the lease and a fresh attempt token; one task.started audit row
-- per task, in the same statement and so the same transaction. Returns the workspace's zone for
-- the time-of-day rules.
-- Params: $1 worker_id text, $2 limit int, $3 lease_secs float8,
--         $4 workspace_id uuid (NULL = any), $5 priority_min int (NULL = any),
--         $6 task_type text (NULL = any), $7 assigned_agent text (NULL = any)
WITH candidates AS (
  SELECT id
  FROM autonomous_tasks
  WHERE status = 'queued'
    AND unmet_deps = 0
    AND next_run_at <= now()
    AND ($4::uuid IS NULL OR workspace_id = $4)
    AND ($5::int IS NULL OR priority >= $5)
    AND ($6::text IS NULL OR task_type = $6)
    AND ($7::text IS NULL OR assigned_agent = $7)
  ORDER BY priority DESC, created_at, id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE autonomous_tasks t
  SET status = 'in_progress',
      started_at = now(),
      locked_by = $1,
      lease_expires_at = now() + make_interval(secs => $3),
      attempt_token = gen_random_uuid(),
      updated_at = now()
  -- = ANY(ARRAY(...)) keeps this a primary-key lookup per claimed row; a join on the CTE let the
  -- planner hash-join it against a sequential scan of the whole table (20 ms for 500 of 50k rows).
  WHERE t.id = ANY (ARRAY(SELECT id FROM candidates))
  RETURNING t.id, t.workspace_id, t.task_type, t.assigned_agent, t.task_description,
            t.input_data, t.priority, t.retry_count, t.max_retries, t.attempt_token,
            t.next_run_at, t.started_at, t.created_at,
            (SELECT w.timezone FROM workspaces w WHERE w.id = t.workspace_id) AS timezone
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, 'task.started', 'autonomous_tasks', id, $1, 'in_progress',
         jsonb_build_object('attempt', retry_count + 1, 'assigned_agent', assigned_agent)
  FROM claimed
)
SELECT id, workspace_id, task_type, assigned_agent, task_description, input_data, priority,
       retry_count, max_retries, attempt_token, next_run_at, started_at, timezone
FROM claimed
ORDER BY priority DESC, created_at, id;
