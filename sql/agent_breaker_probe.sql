-- agent_breaker_probe.sql: claim the one probe of an open breaker whose cool-down is over (or of
-- a half-open one whose prober went quiet past its probe time). The worker that gets the row
-- sends one task to the agent; every other worker keeps deferring until the new probe time,
-- one cool-down away. NOTIFY taskfleet_agents tells them.
-- Params: $1 agent name text, $2 current cool-down secs float8
WITH probing AS (
  UPDATE agents
  SET breaker_state = 'half_open',
      breaker_probe_at = now() + make_interval(secs => $2),
      updated_at = now()
  WHERE name = $1
    AND breaker_state IN ('open', 'half_open')
    AND breaker_probe_at <= now()
  RETURNING name, breaker_probe_at
)
SELECT breaker_probe_at, pg_notify('taskfleet_agents', name) IS NULL AS notified
FROM probing;
