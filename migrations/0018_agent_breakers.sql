-- 0018_agent_breakers: a circuit breaker per agent, shared by the fleet (issue 18). Workers keep
-- the registry in memory (reloaded on NOTIFY taskfleet_agents), so every worker sees a breaker
-- change within milliseconds of the statement that made it.
--   closed:    tasks are sent to the agent;
--   open:      the agent failed TASKFLEET_BREAKER_FAILURES calls in a row (or its probe failed):
--              its tasks are not sent, they are deferred until breaker_probe_at and consume no
--              retry (task.deferred, reason agent_unhealthy);
--   half_open: one worker is sending one probe task; the others keep deferring.
-- The cool-down doubles with each opening in a row (breaker_opens), capped; a successful probe
-- closes the breaker and releases the deferred tasks at once.
ALTER TABLE agents
  ADD COLUMN breaker_state text NOT NULL DEFAULT 'closed'
    CHECK (breaker_state IN ('closed', 'open', 'half_open')),
  ADD COLUMN breaker_since timestamptz,
  ADD COLUMN breaker_reason text,
  ADD COLUMN breaker_opens integer NOT NULL DEFAULT 0 CHECK (breaker_opens >= 0),
  ADD COLUMN breaker_probe_at timestamptz;
