-- agent_permit_acquire.sql: take one of an agent's max_concurrency permits for a call
-- (migration 0020): a free one, or one whose holder let it expire. SKIP LOCKED, so workers
-- racing for the last permit never wait on each other; none left returns no row (the caller
-- waits a little, then defers the task).
-- Params: $1 agent name text, $2 task id uuid, $3 holder (worker id) text, $4 lease secs float8
UPDATE agent_permits p
SET task_id = $2, holder = $3, expires_at = now() + make_interval(secs => $4)
FROM (
  SELECT agent, slot
  FROM agent_permits
  WHERE agent = $1 AND (task_id IS NULL OR expires_at < now())
  ORDER BY slot
  LIMIT 1
  FOR UPDATE SKIP LOCKED
) free
WHERE p.agent = free.agent AND p.slot = free.slot
RETURNING p.slot;
