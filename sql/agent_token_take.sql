-- agent_token_take.sql: take one token of an agent's rate bucket (migration 0020): refill it at
-- rate_per_sec since bucket_at, up to rate_per_sec tokens (one second's burst), and take one if
-- there is one. Returns the tokens left, or no row when the bucket is empty (the caller waits
-- and asks again, or defers the task). One row, updated HOT; only agents with a rate are asked.
-- Params: $1 agent name text
UPDATE agents
SET bucket_tokens = least(rate_per_sec,
                          bucket_tokens + rate_per_sec * extract(epoch FROM now() - bucket_at)) - 1,
    bucket_at = now()
WHERE name = $1
  AND rate_per_sec IS NOT NULL
  AND least(rate_per_sec, bucket_tokens + rate_per_sec * extract(epoch FROM now() - bucket_at)) >= 1
RETURNING bucket_tokens;
