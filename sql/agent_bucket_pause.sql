-- agent_bucket_pause.sql: the agent answered 429 with Retry-After: empty its rate bucket so that
-- it refills only after that long (tokens go negative), for the whole fleet. Only agents with a
-- rate have a bucket; others just retry the task after Retry-After, as before.
-- Params: $1 agent name text, $2 Retry-After secs float8
UPDATE agents
SET bucket_tokens = least(bucket_tokens, -rate_per_sec * $2),
    bucket_at = now()
WHERE name = $1 AND rate_per_sec IS NOT NULL;
