-- sweep_record_result.sql: what a sweep run did, for DBAs (SELECT * FROM sweep_runs).
-- Params: $1 sweep name text, $2 result jsonb
UPDATE sweep_runs SET last_result = $2 WHERE name = $1;
