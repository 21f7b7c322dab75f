-- sweep_try_lock.sql: take the fleet-wide advisory lock of one sweep for this session, without
-- waiting (false: another worker is running it). Released by sweep_unlock.sql.
-- Params: $1 lock key bigint
SELECT pg_try_advisory_lock($1);
