-- task_workspace.sql: the workspace of a task, before a write that names it (cancel, approve,
-- reject): on Citus that write must name its shard. Under the API's row-level security another
-- tenant's task has none, like a missing one.
-- Params: $1 id uuid
SELECT workspace_id FROM autonomous_tasks WHERE id = $1;
