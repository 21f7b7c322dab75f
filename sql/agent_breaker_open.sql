-- agent_breaker_open.sql: open an agent's circuit breaker (migration 0018): after
-- TASKFLEET_BREAKER_FAILURES transient failures in a row seen by one worker, or when the probe of
-- a half-open breaker failed. The cool-down doubles with each opening in a row, capped: the next
-- probe may run at breaker_probe_at. Only a breaker not already open changes (several workers
-- may see the same failures at once); that statement writes agent.breaker_opened and tells every
-- worker through NOTIFY taskfleet_agents.
-- Params: $1 agent name text, $2 reason text, $3 base cool-down secs float8,
--         $4 maximum cool-down secs float8, $5 actor (worker id) text
WITH opened AS (
  UPDATE agents
  SET breaker_state = 'open',
      breaker_since = now(),
      breaker_reason = $2,
      breaker_opens = breaker_opens + 1,
      breaker_probe_at = now() + make_interval(secs => least($4, $3 * power(2, breaker_opens))),
      updated_at = now()
  WHERE name = $1 AND breaker_state <> 'open'
  RETURNING name, breaker_reason, breaker_opens, breaker_probe_at
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT NULL, 'agent.breaker_opened', 'agents', NULL, $5, 'open',
         jsonb_build_object('agent', name, 'reason', breaker_reason, 'opens_in_a_row', breaker_opens,
                            'probe_at', breaker_probe_at)
  FROM opened
)
SELECT breaker_probe_at, pg_notify('taskfleet_agents', name) IS NULL AS notified
FROM opened;
