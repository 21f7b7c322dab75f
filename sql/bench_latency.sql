-- bench_latency.sql: ready → started latency of a benchmark's measured tasks (started_at minus
-- next_run_at, which is when each became ready), p50 and p99 in milliseconds.
-- Params: $1 workspace_id uuid, $2 the measured tasks' priority int (a backlog has a lower one)
SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), 0)::float8 AS p50,
       coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), 0)::float8 AS p99
FROM (SELECT extract(epoch FROM started_at - next_run_at) * 1000 AS ms
      FROM autonomous_tasks
      WHERE workspace_id = $1 AND status = 'completed' AND priority = $2) s;
