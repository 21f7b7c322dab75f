-- approval_list.sql: a workspace's approval queue (GET /api/approvals): completed tasks whose
-- approval is pending, oldest result first, each with the agent's output the approver judges and
-- the queued tasks waiting on it. The partial index of migration 0014 holds only tasks that need
-- approval, so this reads none of the others.
-- Params: $1 workspace_id uuid, $2 limit int
SELECT t.id, t.strategy_id, t.task_description, t.task_type, t.assigned_agent, t.priority,
       t.output_data,
       taskfleet_approval_of(t.status, t.approval_state, t.approval_by, t.approval_at,
                             t.approval_comment, t.completed_at) AS approval,
       ARRAY(SELECT d.id
             FROM autonomous_tasks d
             WHERE d.workspace_id = t.workspace_id AND d.depends_on @> ARRAY[t.id]
               AND d.status = 'queued'
             ORDER BY d.id) AS waiting_dependents
FROM autonomous_tasks t
WHERE t.workspace_id = $1
  AND t.approval_state = 'pending'
  AND t.status = 'completed'
ORDER BY t.completed_at, t.id
LIMIT $2;
