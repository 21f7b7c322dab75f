-- 0022_approval_of_columns: the approval object of a task (contract section 9) from its columns,
-- for the statements that send it from a shard on Citus (issue 19): there a row of
-- autonomous_tasks is a row of its shard, whose type is not autonomous_tasks, so
-- taskfleet_approval(t) cannot be called with it. taskfleet_approval(t) stays for DBAs and now
-- calls this one; both give the same object.
CREATE FUNCTION taskfleet_approval_of(status text, approval_state text, approval_by text,
                                      approval_at timestamptz, approval_comment text,
                                      completed_at timestamptz) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN approval_state IS NOT NULL THEN
  jsonb_build_object('state', approval_state, 'by', approval_by, 'at', approval_at,
                     'comment', approval_comment,
                     'requested_at', CASE WHEN status = 'completed' THEN completed_at END)
END;

CREATE OR REPLACE FUNCTION taskfleet_approval(t autonomous_tasks) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN taskfleet_approval_of(t.status, t.approval_state, t.approval_by, t.approval_at,
                             t.approval_comment, t.completed_at);

