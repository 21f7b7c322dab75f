-- agent_delete.sql: remove an agent from the registry (taskfleet agents remove). Its tasks stay:
-- they wait as for an unknown agent (TASK_004) until an agent of that name is registered again.
-- Notifies workers so their registry cache drops it at once.
-- Returns no row when no agent has that name. Locks: the agent's row.
-- Params: $1 name text
WITH gone AS (
  DELETE FROM agents
  WHERE name = $1
  RETURNING name
)
SELECT name, pg_notify('taskfleet_agents', name) IS NULL AS notified
FROM gone;
