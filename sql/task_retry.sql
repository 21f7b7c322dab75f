-- task_retry.sql: manual retry (POST /api/tasks/{id}/retry): a failed or cancelled task, or a
-- completed one whose result an approver rejected, goes back to queued, ready at once, its error
-- and output cleared (retry_count reset when asked), together with the tasks cancelled on its
-- account (cancelled_by = it), and only those. A task that needs approval asks for it again.
-- unmet_deps is recomputed for every re-queued task; their other dependencies are locked
-- FOR SHARE in id order, as task_insert.sql does, so a dependency completing meanwhile is not
-- missed. Those with no unmet dependency enter task_queue, ready now. One task.retried audit row
-- per re-queued task; NOTIFY wakes idle workers.
-- Returns nothing when the task is missing or not failed/cancelled/rejected (the caller answers
-- 404/409).
-- Params: $1 id uuid, $2 reset_retry_count bool, $3 actor text, $4 its workspace uuid (every
--         statement names it, so Citus runs it on the workspace's shard)
WITH target AS (
  SELECT id
  FROM autonomous_tasks
  WHERE id = $1
    AND workspace_id = $4
    AND (status IN ('failed', 'cancelled') OR (status = 'completed' AND approval_state = 'rejected'))
  FOR UPDATE
), family AS MATERIALIZED (
  SELECT id FROM target
  UNION
  SELECT t.id
  FROM autonomous_tasks t
  WHERE t.cancelled_by = $1 AND t.status = 'cancelled' AND t.workspace_id = $4
    AND EXISTS (SELECT 1 FROM target)
), dep_locks AS MATERIALIZED (
  -- Wrapped, as in task_insert.sql: Citus reads a locking query's result back wrongly.
  SELECT l.id, l.met FROM (
    SELECT t.id, taskfleet_dependency_met(t.status, t.approval_state) AS met
    FROM autonomous_tasks t
    WHERE t.id IN (SELECT unnest(f.depends_on) FROM autonomous_tasks f
                   WHERE f.workspace_id = $4 AND f.id IN (SELECT id FROM family))
      AND t.id NOT IN (SELECT id FROM family)
      AND t.workspace_id = $4
    ORDER BY t.id
    FOR SHARE
  ) AS l
), requeued AS (
  UPDATE autonomous_tasks t
  SET status = 'queued',
      error_message = NULL,
      output_data = NULL,
      cancelled_by = NULL,
      approval_state = CASE WHEN t.approval_state IS NOT NULL THEN 'pending' END,
      approval_by = NULL,
      approval_at = NULL,
      approval_comment = NULL,
      retry_count = CASE WHEN t.id = $1 AND $2 THEN 0 ELSE t.retry_count END,
      next_run_at = now(),
      started_at = NULL,
      completed_at = NULL,
      locked_by = NULL,
      lease_expires_at = NULL,
      unmet_deps = (
        SELECT count(DISTINCT d.id)
        FROM unnest(t.depends_on) AS d(id)
        WHERE NOT EXISTS (SELECT 1 FROM dep_locks l WHERE l.id = d.id AND l.met)),
      updated_at = now()
  WHERE t.id IN (SELECT id FROM family)
    AND t.workspace_id = $4
  RETURNING t.id, t.workspace_id, t.retry_count, t.unmet_deps, t.priority, t.created_at,
            t.next_run_at
), ready AS (
  INSERT INTO task_queue (id, workspace_id, priority, created_at, run_at)
  SELECT id, workspace_id, priority, created_at, next_run_at
  FROM requeued
  WHERE unmet_deps = 0
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, 'task.retried', 'autonomous_tasks', id, $3, 'queued',
         jsonb_build_object('retry_count', retry_count,
                            'requeued_with', CASE WHEN id = $1 THEN NULL ELSE $1 END)
  FROM requeued
), wake AS (
  SELECT pg_notify('taskfleet_ready', 'retried') IS NOT NULL AS sent  -- boolean, not void: Citus materializes CTEs
  WHERE EXISTS (SELECT 1 FROM requeued WHERE unmet_deps = 0)
)
SELECT r.id, (SELECT count(*) FROM wake) AS woke
FROM requeued r;
