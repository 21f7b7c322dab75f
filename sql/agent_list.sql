-- agent_list.sql: the whole agent registry with each breaker's state and concurrency limit; workers cache it and
-- reload on NOTIFY taskfleet_agents.
SELECT name, url, enabled, breaker_state, breaker_opens, breaker_probe_at, max_concurrency,
       rate_per_sec
FROM agents
ORDER BY name;
