-- agent_upsert.sql: register or update a downstream agent (taskfleet agents register), with its
-- fleet-wide limits (NULL = none, migration 0020): its permit rows are made to match its
-- concurrency limit; a new rate starts with a full bucket.
-- Notifies workers so their registry cache picks the change up at once.
-- Params: $1 name text, $2 url text, $3 enabled bool, $4 max_concurrency int (NULL = no limit),
--         $5 rate_per_sec float8 (NULL = no limit)
WITH up AS (
  INSERT INTO agents (name, url, enabled, max_concurrency, rate_per_sec, bucket_tokens)
  VALUES ($1, $2, $3, $4::int, $5::float8, coalesce($5::float8, 0))
  ON CONFLICT (name) DO UPDATE
    SET url = EXCLUDED.url, enabled = EXCLUDED.enabled,
        max_concurrency = EXCLUDED.max_concurrency, rate_per_sec = EXCLUDED.rate_per_sec,
        updated_at = now()
  RETURNING name, url, enabled, max_concurrency, (xmax = 0) AS inserted
), extra AS (
  DELETE FROM agent_permits p
  USING up
  WHERE p.agent = up.name AND p.slot > coalesce(up.max_concurrency, 0)
), added AS (
  INSERT INTO agent_permits (agent, slot)
  SELECT up.name, g FROM up, generate_series(1, coalesce(up.max_concurrency, 0)) g
  ON CONFLICT DO NOTHING
)
SELECT name, url, enabled, inserted, pg_notify('taskfleet_agents', name) IS NULL AS notified
FROM up;
