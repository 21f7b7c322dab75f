-- 0020_agent_limits: fleet-wide limits per agent (issue 18, item 2), shared by every worker
-- process through these rows.
-- * max_concurrency N: the agent has N permit rows; a worker takes one (SKIP LOCKED, one
--   statement) before calling it and gives it back after, so no more than N calls to it run at
--   once. A permit expires with its holder's task timeout, so one held by a worker that died
--   frees itself.
-- * rate_per_sec R: a token bucket on the agent's row (at most R tokens, refilled at R a second);
--   each call takes a token. A 429 with Retry-After empties the bucket for that long, so the
--   whole fleet slows down for the agent, not only the task that got the 429.
ALTER TABLE agents
  ADD COLUMN max_concurrency integer CHECK (max_concurrency > 0),
  ADD COLUMN rate_per_sec double precision CHECK (rate_per_sec > 0),
  ADD COLUMN bucket_tokens double precision NOT NULL DEFAULT 0,
  ADD COLUMN bucket_at timestamptz NOT NULL DEFAULT now();

-- The API lists the limits (GET /api/agents); migration 0019 grants that role agents' columns
-- one by one.
GRANT SELECT (max_concurrency, rate_per_sec) ON agents TO taskfleet_api;

CREATE TABLE agent_permits (
  agent       text NOT NULL REFERENCES agents(name) ON DELETE CASCADE,
  slot        integer NOT NULL,
  task_id     uuid,
  holder      text,
  expires_at  timestamptz,
  PRIMARY KEY (agent, slot)
);
