-- task_claim.sql: claim up to $2 ready tasks for worker $1.
-- Used by every worker and by POST /api/tasks/execute, so the two can never run a task twice.
-- Order ($9, TASKFLEET_CLAIM_ORDER):
--   global: ready_tasks order (priority, then age) across all workspaces;
--   fair (workers' default): urgent tasks (priority 9-10) first, in global order; the rest of the
--   claim is shared equally among the workspaces with unleased tasks (a loose index scan finds
--   them, one probe each), each share in the workspace's own priority order. A workspace with
--   100,000 tasks queued takes half of each claim when one other workspace has work, not all of
--   it. Every share is a query of one workspace (Citus can route it to that workspace's shard).
--   Shares a workspace cannot fill go to the next tasks in the global order (the fill).
-- The branch not chosen is cut by a one-time filter on $9, so it costs nothing.
-- Locks: task_queue rows FOR UPDATE SKIP LOCKED in a CTE (the LIMIT inside the locking subquery
-- keeps the planner from updating more rows than asked for, as Oban's fetch_jobs explains), then
-- their task rows. task_queue holds only ready and leased tasks, so the claim joins nothing.
-- Writes: the lease and a fresh attempt token on task_queue (the claim indexes' predicate
-- changes: not HOT); status, started_at and the lease on the task row (no index mentions them:
-- HOT). A task.started audit row per task only with TASKFLEET_AUDIT=full ($8).
-- Returns the workspace's zone for the time-of-day rules.
-- Params: $1 worker_id text, $2 limit int, $3 lease_secs float8,
--         $4 workspace_id uuid (NULL = any), $5 priority_min int (NULL = any),
--         $6 task_type text (NULL = any), $7 assigned_agent text (NULL = any),
--         $8 full audit bool, $9 fair bool (the caller sets it only without filters)
WITH RECURSIVE ordered AS (
  SELECT q.id
  FROM task_queue q
  WHERE NOT $9
    AND q.locked_by IS NULL
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
), urgent AS (
  SELECT q.id
  FROM task_queue q
  WHERE $9
    AND q.locked_by IS NULL
    AND q.run_at <= now()
    AND q.priority >= 9
  ORDER BY q.priority DESC, q.created_at, q.id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
), workspaces_with_work(workspace_id) AS (
  -- Loose index scan over task_queue_fair_idx: the next workspace id after the last, until none.
  (SELECT q.workspace_id FROM task_queue q
   WHERE $9 AND q.locked_by IS NULL
   ORDER BY q.workspace_id LIMIT 1)
  UNION ALL
  SELECT (SELECT q.workspace_id FROM task_queue q
          WHERE q.locked_by IS NULL AND q.workspace_id > w.workspace_id
          ORDER BY q.workspace_id LIMIT 1)
  FROM workspaces_with_work w
  WHERE w.workspace_id IS NOT NULL
), rest AS (
  -- What the urgent tasks leave of the claim.
  SELECT $2 - count(*) AS n FROM urgent
), share AS (
  SELECT ceil((SELECT n FROM rest)::float8 / greatest(count(*), 1))::int AS n
  FROM workspaces_with_work
  WHERE workspace_id IS NOT NULL
), shared AS (
  SELECT s.id, s.priority, s.created_at
  FROM workspaces_with_work w
  CROSS JOIN LATERAL (
    SELECT q.id, q.priority, q.created_at
    FROM task_queue q
    WHERE q.workspace_id = w.workspace_id
      AND q.locked_by IS NULL
      AND q.run_at <= now()
      AND q.priority < 9
    ORDER BY q.priority DESC, q.created_at, q.id
    LIMIT (SELECT n FROM share)
    FOR UPDATE SKIP LOCKED
  ) s
  WHERE w.workspace_id IS NOT NULL
), fill AS (
  -- Shares a workspace could not use (it had fewer ready tasks, or only urgent or future ones)
  -- go to whoever is next in the global order, so a claim is never short while work is ready.
  -- Runs only when the shares fell short. (Our own locked rows are not skipped by SKIP LOCKED,
  -- hence the explicit exclusion.)
  SELECT q.id, q.priority, q.created_at
  FROM task_queue q
  WHERE $9
    AND (SELECT count(*) FROM shared) < (SELECT n FROM rest)
    AND q.locked_by IS NULL
    AND q.run_at <= now()
    AND q.priority < 9
    AND q.id <> ALL (ARRAY(SELECT id FROM shared))
  ORDER BY q.priority DESC, q.created_at, q.id
  LIMIT greatest((SELECT n FROM rest) - (SELECT count(*) FROM shared), 0)
  FOR UPDATE SKIP LOCKED
), candidates AS (
  SELECT id FROM ordered
  UNION ALL
  SELECT id FROM urgent
  UNION ALL
  -- Exactly the claim's size: the shares round up, and the rows past it (locked, not leased) are
  -- free again when this statement commits.
  (SELECT id FROM shared
   ORDER BY priority DESC, created_at, id
   LIMIT (SELECT n FROM rest))
  UNION ALL
  SELECT id FROM fill
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
