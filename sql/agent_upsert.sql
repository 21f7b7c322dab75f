-- agent_upsert.sql: register or update a downstream agent (taskfleet agents register).
-- Notifies workers so their registry cache picks the change up at once.
-- Params: $1 name text, $2 url text, $3 enabled bool
WITH up AS (
  INSERT INTO agents (name, url, enabled)
  VALUES ($1, $2, $3)
  ON CONFLICT (name) DO UPDATE
    SET url = EXCLUDED.url, enabled = EXCLUDED.enabled, updated_at = now()
  RETURNING name, url, enabled, (xmax = 0) AS inserted
)
SELECT name, url, enabled, inserted, pg_notify('taskfleet_agents', name) IS NULL AS notified
FROM up;
