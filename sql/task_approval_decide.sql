-- task_approval_decide.sql: an approver's decision on a completed task whose approval is pending
-- (POST /api/tasks/{id}/approve and /reject), with its audit row (task.approved or
-- task.rejected, carrying the comment or reason and how long the result waited). A concurrent
-- second decision waits for the row lock, then finds the state no longer pending and changes
-- nothing. The caller then unblocks (approved) or cancels (rejected) the dependents in the same
-- transaction. Returns the approval as taskfleet_approval_of() shows it, or nothing when the task is missing or not awaiting approval: the caller
-- reads it to say why (404 or 409).
-- Params: $1 id uuid, $2 decision text ('approved' | 'rejected'), $3 actor text, $4 comment text,
--         $5 its workspace uuid (its shard, on Citus)
WITH decided AS (
  UPDATE autonomous_tasks t
  SET approval_state = $2,
      approval_by = $3,
      approval_at = now(),
      approval_comment = $4,
      updated_at = now()
  WHERE t.id = $1
    AND t.workspace_id = $5
    AND t.status = 'completed'
    AND t.approval_state = 'pending'
  RETURNING t.id, t.workspace_id, t.status, t.approval_state, t.approval_by, t.approval_comment,
            t.approval_at, t.completed_at
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, CASE approval_state WHEN 'approved' THEN 'task.approved' ELSE 'task.rejected' END,
         'autonomous_tasks', id, $3, 'completed',
         jsonb_build_object('approval', approval_state, 'comment', approval_comment,
                            'waited_ms', round(extract(epoch FROM approval_at - completed_at) * 1000))
  FROM decided
)
-- Built here, not in RETURNING: Citus refuses a STABLE function over columns in an UPDATE.
SELECT taskfleet_approval_of(status, approval_state, approval_by, approval_at, approval_comment,
                             completed_at) AS approval
FROM decided;
