-- tenant_role.sql: the API transaction's switch to the taskfleet_api role, subject to row-level
-- security, for this transaction only; sent together with tenant_scope.sql.
SET LOCAL ROLE taskfleet_api;
