-- bench_tenant_latency.sql: for `taskfleet bench --tenants`, the last tenant's figures: from its
-- enqueue (its tasks' created_at, one statement) until its last task completed, and its tasks'
-- ready -> started latency, p50 and p99, in milliseconds.
-- Params: $1 workspace_id uuid
SELECT coalesce(extract(epoch FROM max(completed_at) - min(created_at)) * 1000, 0)::float8 AS last_done_ms,
       coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), 0)::float8 AS p50,
       coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), 0)::float8 AS p99
FROM (SELECT created_at, completed_at, extract(epoch FROM started_at - next_run_at) * 1000 AS ms
      FROM autonomous_tasks
      WHERE workspace_id = $1 AND status = 'completed') s;
