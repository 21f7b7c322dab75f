-- 0020_agent_limits: a fleet-wide concurrency limit per agent (issue 18, item 2). An agent
-- registered with --max-concurrency N has N permit rows; a worker takes one (SKIP LOCKED, one
-- statement) before calling the agent and gives it back after, so no more than N calls to it
-- run at once across every worker process. A permit expires with its holder's task timeout, so
-- one held by a worker that died frees itself.
ALTER TABLE agents
  ADD COLUMN max_concurrency integer CHECK (max_concurrency > 0);

-- The API lists it (GET /api/agents); migration 0019 grants that role agents' columns one by one.
GRANT SELECT (max_concurrency) ON agents TO taskfleet_api;

CREATE TABLE agent_permits (
  agent       text NOT NULL REFERENCES agents(name) ON DELETE CASCADE,
  slot        integer NOT NULL,
  task_id     uuid,
  holder      text,
  expires_at  timestamptz,
  PRIMARY KEY (agent, slot)
);
