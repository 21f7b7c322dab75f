-- agent_set_enabled.sql: enable or disable a registered agent (taskfleet agents enable|disable).
-- A disabled agent's tasks wait (TASK_004, no retry consumed) until it is enabled again.
-- Notifies workers so their registry cache picks the change up at once.
-- Returns no row when no agent has that name. Locks: the agent's row.
-- Params: $1 name text, $2 enabled bool
WITH up AS (
  UPDATE agents SET enabled = $2, updated_at = now()
  WHERE name = $1
  RETURNING name, url, enabled
)
SELECT name, url, enabled, pg_notify('taskfleet_agents', name) IS NULL AS notified
FROM up;
