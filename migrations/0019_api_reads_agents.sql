-- 0019_api_reads_agents: the API role reads the agent registry without its URLs (issue 18,
-- GET /api/agents). Since 0004 taskfleet_api held SELECT on the whole agents table, url included,
-- though nothing it runs needs the URL: the API calls agents (the execute pass) and keeps its
-- registry on the owner's login. An agent's URL may name internal hosts or carry a credential in
-- its query, and the contract says URLs never appear; a handler that selected it by mistake
-- should fail, not leak. So the table-wide grant becomes a grant of the columns GET /api/agents
-- shows. A column added to agents later is not readable by the API until granted here or in a
-- later migration (breaker_opens and breaker_probe_at, the workers' bookkeeping, are not).
REVOKE SELECT ON agents FROM taskfleet_api;
GRANT SELECT (name, enabled, breaker_state, breaker_since, breaker_reason, created_at, updated_at)
  ON agents TO taskfleet_api;
