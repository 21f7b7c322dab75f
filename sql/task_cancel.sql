-- task_cancel.sql: cancel one queued or in_progress task (POST /api/tasks/{id}/cancel).
-- The caller runs task_dequeue.sql first, in the same transaction, so the task_queue row's lock
-- is taken before the task row's, as every writer does. An in_progress attempt is abandoned: its
-- late result matches no task_queue row any more, and NOTIFY taskfleet_cancel tells that worker
-- to drop the call now. The caller runs task_cancel_dependents.sql next.
-- Returns no row when the task is missing, else its previous status, whether it was
-- cancelled (false: it was already terminal) and how many workers were told.
-- Params: $1 id uuid, $2 reason text (NULL = 'Cancelled by user'), $3 actor text,
--         $4 its workspace uuid (its shard, on Citus)
WITH target AS (
  SELECT id, status
  FROM autonomous_tasks
  WHERE id = $1
    AND workspace_id = $4
  FOR UPDATE
), cancelled AS (
  UPDATE autonomous_tasks t
  SET status = 'cancelled',
      error_message = coalesce($2, 'Cancelled by user'),
      locked_by = NULL,
      lease_expires_at = NULL,
      updated_at = now()
  FROM target
  WHERE t.id = target.id
    AND t.workspace_id = $4
    AND target.status IN ('queued', 'in_progress')
  RETURNING t.id, t.workspace_id, target.status AS previous_status
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, 'task.cancelled', 'autonomous_tasks', id, $3, 'cancelled',
         jsonb_build_object('previous_status', previous_status, 'reason', coalesce($2, 'Cancelled by user'))
  FROM cancelled
), wake AS (
  SELECT pg_notify('taskfleet_cancel', id::text) IS NOT NULL AS sent  -- boolean, not void: Citus materializes CTEs
  FROM cancelled
  WHERE previous_status = 'in_progress'
)
SELECT target.status AS previous_status, c.id IS NOT NULL AS cancelled,
       (SELECT count(*) FROM wake) AS notified
FROM target
LEFT JOIN cancelled c ON c.id = target.id;
