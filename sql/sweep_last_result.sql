-- sweep_last_result.sql: what the last run of a sweep found, as recorded by the worker that ran
-- it. Workers that lose a queue_metrics tick read it, so every worker's gauges describe the same
-- recent measurement instead of whatever it last measured itself.
-- Params: $1 sweep name text
SELECT last_result FROM sweep_runs WHERE name = $1;
