-- bench_outage_result.sql: for `taskfleet bench --agent-outage-secs`, how the run's tasks ended
-- and what the breakers did: tasks failed, done (completed or failed), the most retries one
-- task used, and the agent.breaker_opened / agent.breaker_closed rows (every failed probe
-- reopens the breaker, so the openings after the first are the failed probes).
-- Params: $1 workspace_id uuid
SELECT count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status IN ('completed', 'failed')) AS done,
       coalesce(max(retry_count), 0) AS max_retries_used,
       (SELECT count(*) FROM audit_logs WHERE action = 'agent.breaker_opened') AS opened,
       (SELECT count(*) FROM audit_logs WHERE action = 'agent.breaker_closed') AS closed
FROM autonomous_tasks
WHERE workspace_id = $1;
