-- task_claim.sql: claim up to $2 ready tasks for worker $1, in ready_tasks order.
-- Used by every worker and by POST /api/tasks/execute, so the two can never run a task twice.
-- Locks: task_queue rows FOR UPDATE SKIP LOCKED in a CTE (the LIMIT inside the locking subquery
-- keeps the planner from updating more rows than asked for, as Oban's fetch_jobs explains), then
-- their task rows. task_queue holds only ready and leased tasks, so the claim joins nothing.
-- Writes: the lease and a fresh attempt token on task_queue (the claim index's predicate changes:
-- not HOT); status, started_at and the lease on the task row (no index mentions them: HOT).
-- A task.started audit row per task only with TASKFLEET_AUDIT=full ($8).
-- Returns the workspace's zone for the time-of-day rules.
-- Params: $1 worker_id text, $2 limit int, $3 lease_secs float8,
--         $4 workspace_id uuid (NULL = any), $5 priority_min int (NULL = any),
--         $6 task_type text (NULL = any), $7 assigned_agent text (NULL = any),
--         $8 full audit bool
WITH candidates AS (
  SELECT q.id
  FROM task_queue q
  WHERE q.locked_by IS NULL
    AND q.run_at <= now()
    AND ($4::uuid IS NULL OR q.workspace_id = $4)
    AND ($5::int IS NULL OR q.priority >= $5)
    -- Per-row lookups that run only when the filter is set. (An EXISTS here became a hashed
    -- subplan over the whole task table in the workers' cached generic plan.)
    AND ($6::text IS NULL OR (SELECT f.task_type FROM autonomous_tasks f WHERE f.id = q.id) = $6)
    AND ($7::text IS NULL
         OR (SELECT f.assigned_agent FROM autonomous_tasks f WHERE f.id = q.id) = $7)
  ORDER BY q.priority DESC, q.created_at, q.id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
), leased AS (
  UPDATE task_queue q
  SET locked_by = $1,
      lease_expires_at = now() + make_interval(secs => $3),
      attempt_token = gen_random_uuid()
  -- = ANY(ARRAY(...)) keeps these primary-key lookups; a join on the CTE let the planner
  -- hash-join it against a scan of the whole table.
  WHERE q.id = ANY (ARRAY(SELECT id FROM candidates))
  RETURNING q.id, q.lease_expires_at, q.attempt_token
), claimed AS (
  UPDATE autonomous_tasks t
  SET status = 'in_progress',
      started_at = now(),
      locked_by = $1,
      lease_expires_at = l.lease_expires_at,
      attempt_token = l.attempt_token,
      updated_at = now()
  FROM leased l
  WHERE t.id = ANY (ARRAY(SELECT id FROM leased))
    AND l.id = t.id
  RETURNING t.id, t.workspace_id, t.task_type, t.assigned_agent, t.task_description,
            t.input_data, t.priority, t.retry_count, t.max_retries, t.attempt_token,
            t.next_run_at, t.started_at, t.created_at,
            (SELECT w.timezone FROM workspaces w WHERE w.id = t.workspace_id) AS timezone
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, 'task.started', 'autonomous_tasks', id, $1, 'in_progress',
         jsonb_build_object('attempt', retry_count + 1, 'assigned_agent', assigned_agent)
  FROM claimed
  WHERE $8
)
SELECT id, workspace_id, task_type, assigned_agent, task_description, input_data, priority,
       retry_count, max_retries, attempt_token, next_run_at, started_at, timezone
FROM claimed
ORDER BY priority DESC, created_at, id;
