-- sweep_unlock.sql: release a sweep's advisory lock taken by sweep_try_lock.sql. Params: $1 key bigint
SELECT pg_advisory_unlock($1);
