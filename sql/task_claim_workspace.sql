-- task_claim_workspace.sql (Citus only): task_claim.sql's claim for one workspace, the form a
-- Citus cluster runs on that workspace's shard (queue::claim visits the workspaces with ready
-- work, from task_claim_workspaces.sql, and shares the claim among them). Same locks and writes
-- as task_claim.sql, in the workspace's priority order; the filters are the API execute pass's.
-- Citus refuses volatile functions in an UPDATE of a distributed table, so the attempt tokens
-- are derived from a random nonce per claim ($9) and the task id: one fresh token per attempt.
-- Params: $1 worker_id text, $2 limit int, $3 lease_secs float8, $4 workspace_id uuid,
--         $5 priority_min int (NULL = any), $6 task_type text (NULL = any),
--         $7 assigned_agent text (NULL = any), $8 full audit bool, $9 nonce uuid
WITH candidates AS (
  SELECT q.id
  FROM task_queue q
  WHERE q.workspace_id = $4
    AND q.locked_by IS NULL
    AND q.run_at <= now()
    AND ($5::int IS NULL OR q.priority >= $5)
    AND ($6::text IS NULL OR (SELECT f.task_type FROM autonomous_tasks f
                              WHERE f.workspace_id = $4 AND f.id = q.id) = $6)
    AND ($7::text IS NULL OR (SELECT f.assigned_agent FROM autonomous_tasks f
                              WHERE f.workspace_id = $4 AND f.id = q.id) = $7)
  ORDER BY q.priority DESC, q.created_at, q.id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
), leased AS (
  UPDATE task_queue q
  SET locked_by = $1,
      lease_expires_at = now() + make_interval(secs => $3),
      attempt_token = md5($9::text || q.id::text)::uuid
  WHERE q.workspace_id = $4
    AND q.id = ANY (ARRAY(SELECT id FROM candidates))
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
  WHERE t.workspace_id = $4
    AND t.id = ANY (ARRAY(SELECT id FROM leased))
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
