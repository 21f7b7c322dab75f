-- health_check.sql: /readyz: the database answers and takes writes (not a standby in recovery,
-- not default_transaction_read_only), since every route and every worker outcome writes.
SELECT pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean AS read_only;
