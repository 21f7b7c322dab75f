-- 0014_approvals: human approval gates (issue 17, contract section 9). A task created with
-- requires_approval runs its agent as usual and ends `completed` (the five statuses stay the
-- specification's), but its approval state starts `pending`: until someone approves it, its
-- dependents count it as unmet. Approve unblocks them (task_unblock_dependents.sql); reject
-- cancels them with TASK_006 (task_cancel_dependents.sql); a retry of a rejected task runs the
-- agent again and asks again.
--
-- NULL approval_state means no approval is needed (every task before this migration, and every
-- task created without the flag). The columns are nullable and default NULL, so the row and
-- the hot path's writes do not grow for tasks that need no approval.
ALTER TABLE autonomous_tasks
  ADD COLUMN approval_state text CHECK (approval_state IN ('pending', 'approved', 'rejected')),
  ADD COLUMN approval_by text,
  ADD COLUMN approval_at timestamptz,
  ADD COLUMN approval_comment text;

-- The approval queue (GET /api/approvals, the metrics sweep, queue_summary). Partial, and on
-- columns the claim and the completion never change, so their updates stay HOT.
CREATE INDEX autonomous_tasks_approval_pending_idx ON autonomous_tasks (workspace_id)
  WHERE approval_state = 'pending';

-- The one rule for "this dependency is met", used by every view and statement that recomputes
-- readiness from depends_on: completed, and approved if it needed approval. A plain SQL function
-- is inlined by the planner, so it costs nothing over the expression.
CREATE FUNCTION taskfleet_dependency_met(status text, approval_state text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN status = 'completed' AND (approval_state IS NULL OR approval_state = 'approved');

-- A task's approval as the API shows it (contract section 9), null when it needs none;
-- requested_at is when the agent's result became ready for a decision. Usable in a DBA's query:
--   SELECT id, taskfleet_approval(t) FROM autonomous_tasks t WHERE approval_state = 'pending';
CREATE FUNCTION taskfleet_approval(t autonomous_tasks) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN t.approval_state IS NOT NULL THEN
  jsonb_build_object('state', t.approval_state, 'by', t.approval_by, 'at', t.approval_at,
                     'comment', t.approval_comment,
                     'requested_at', CASE WHEN t.status = 'completed' THEN t.completed_at END)
END;

-- ready_tasks reads task_queue, which never holds a task blocked on an approval; replacing it
-- adds the columns added to autonomous_tasks since 0008 (deadline, template_id, approval_*).
CREATE OR REPLACE VIEW ready_tasks AS
SELECT t.*
FROM task_queue q
LEFT JOIN autonomous_tasks t ON t.id = q.id
WHERE q.locked_by IS NULL
  AND q.run_at <= now()
ORDER BY q.priority DESC, q.created_at, q.id;

-- blocked_tasks: a completed dependency awaiting approval (or rejected) is unmet; its status
-- reads `completed (awaiting approval)` / `completed (rejected)`, and `reasons` says in words
-- what each unmet dependency waits for.
CREATE OR REPLACE VIEW blocked_tasks AS
SELECT t.id,
       t.workspace_id,
       t.task_description,
       t.assigned_agent,
       t.priority,
       array_agg(d.id ORDER BY d.ord) AS unmet_dependencies,
       jsonb_object_agg(d.id::text,
                        CASE WHEN dep.status = 'completed'
                             THEN format('completed (%s)',
                                         CASE dep.approval_state WHEN 'pending' THEN 'awaiting approval'
                                                                 ELSE dep.approval_state END)
                             ELSE coalesce(dep.status, 'missing') END) AS dependency_status,
       array_agg(CASE WHEN dep.status = 'completed' AND dep.approval_state = 'pending'
                      THEN format('awaiting approval of %s', d.id)
                      WHEN dep.status = 'completed'
                      THEN format('%s was rejected', d.id)
                      ELSE format('waiting for %s (%s)', d.id, coalesce(dep.status, 'missing')) END
                 ORDER BY d.ord) AS reasons
FROM autonomous_tasks t
CROSS JOIN LATERAL unnest(t.depends_on) WITH ORDINALITY AS d(id, ord)
LEFT JOIN autonomous_tasks dep ON dep.id = d.id
WHERE t.status = 'queued'
  AND NOT coalesce(taskfleet_dependency_met(dep.status, dep.approval_state), false)
GROUP BY t.id;

-- queue_summary gains the tasks awaiting approval and how long the oldest has waited (since
-- its agent succeeded).
CREATE OR REPLACE VIEW queue_summary AS
SELECT w.id AS workspace_id,
       w.name AS workspace_name,
       coalesce(c.total, 0) AS total,
       coalesce(c.queued, 0) AS queued,
       coalesce(c.in_progress, 0) AS in_progress,
       coalesce(c.completed, 0) AS completed,
       coalesce(c.failed, 0) AS failed,
       coalesce(c.cancelled, 0) AS cancelled,
       coalesce(r.ready, 0) AS ready,
       r.oldest_ready_age,
       coalesce(a.awaiting_approval, 0) AS awaiting_approval,
       a.oldest_approval_age
FROM workspaces w
LEFT JOIN (
  SELECT workspace_id,
         count(*) AS total,
         count(*) FILTER (WHERE status = 'queued') AS queued,
         count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
         count(*) FILTER (WHERE status = 'completed') AS completed,
         count(*) FILTER (WHERE status = 'failed') AS failed,
         count(*) FILTER (WHERE status = 'cancelled') AS cancelled
  FROM autonomous_tasks
  GROUP BY workspace_id) c ON c.workspace_id = w.id
LEFT JOIN (
  SELECT workspace_id, count(*) AS ready, now() - min(run_at) AS oldest_ready_age
  FROM task_queue
  WHERE locked_by IS NULL AND run_at <= now()
  GROUP BY workspace_id) r ON r.workspace_id = w.id
LEFT JOIN (
  -- The partial index holds only tasks that need approval: no second scan of the table.
  SELECT workspace_id, count(*) AS awaiting_approval, now() - min(completed_at) AS oldest_approval_age
  FROM autonomous_tasks
  WHERE approval_state = 'pending' AND status = 'completed'
  GROUP BY workspace_id) a ON a.workspace_id = w.id;

-- Replacing a view keeps its query's owner rights unless told again.
ALTER VIEW ready_tasks SET (security_invoker = true);
ALTER VIEW blocked_tasks SET (security_invoker = true);
ALTER VIEW queue_summary SET (security_invoker = true);
