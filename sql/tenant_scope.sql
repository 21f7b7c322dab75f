-- tenant_scope.sql: first statement of every API transaction, sent with tenant_role.sql before
-- it. Sets the caller's workspaces, which the row-level security policies read
-- (taskfleet_caller_workspaces()), for this transaction only. A SET statement, not set_config():
-- Citus passes SET LOCAL on to the worker nodes' connections (citus.propagate_set_commands,
-- which sql/citus_distribute.sql sets to 'local'), where the shards' policies are checked. SET
-- takes no parameters: the caller puts a uuid[] literal it built from parsed UUIDs (hex digits,
-- dashes, commas and braces only) in place of {workspaces}.
SET LOCAL taskfleet.workspaces = '{workspaces}';
