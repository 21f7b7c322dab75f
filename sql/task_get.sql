-- task_get.sql: full task rows by id (under RLS: only the caller's). Params: $1 ids uuid[]
SELECT id, workspace_id, contact_id, strategy_id, task_description, task_type, assigned_agent,
       priority, status, depends_on, input_data, output_data, error_message, started_at,
       completed_at, retry_count, max_retries, created_at, updated_at, next_run_at, locked_by,
       lease_expires_at, deadline, template_id,
       taskfleet_approval_of(t.status, t.approval_state, t.approval_by, t.approval_at,
                             t.approval_comment, t.completed_at) AS approval
FROM autonomous_tasks t
WHERE id = ANY($1)
ORDER BY created_at, id;
