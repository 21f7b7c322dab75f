-- tenant_scope.sql: first statement of every API transaction. Switches to the taskfleet_api role
-- (subject to row-level security) and sets the caller's workspaces that the policies read, both
-- for this transaction only (set_config(..., true) is SET LOCAL).
-- Params: $1 workspaces as a Postgres array literal text, e.g. '{uuid,uuid}'
SELECT set_config('role', 'taskfleet_api', true) AS role,
       set_config('taskfleet.workspaces', $1, true) AS workspaces;
