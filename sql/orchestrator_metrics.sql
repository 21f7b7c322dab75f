-- orchestrator_metrics.sql: OrchestratorMetrics for one workspace, computed in SQL.
-- "Today" is the calendar day in the workspace's zone ($2, e.g. Australia/Sydney).
-- Execution time is started_at → completed_at of the last attempt of completed tasks.
-- agents_utilization: each agent's share of the attempts that finished today (0..1).
-- p95_execution_time_ms: the 95th percentile of the same execution times as the average.
-- agents_in_flight: in_progress tasks per agent now (agents with none are absent).
-- Params: $1 workspace_id uuid, $2 zone text
WITH day AS (
  SELECT date_trunc('day', now() AT TIME ZONE $2) AT TIME ZONE $2 AS start
), t AS (
  SELECT * FROM autonomous_tasks WHERE workspace_id = $1
), finished_today AS (
  SELECT assigned_agent, status
  FROM t, day
  WHERE t.status IN ('completed', 'failed') AND t.updated_at >= day.start
)
SELECT
  (SELECT count(*) FROM t, day WHERE t.created_at >= day.start) AS tasks_created_today,
  (SELECT count(*) FROM finished_today WHERE status = 'completed') AS tasks_executed_today,
  (SELECT count(*) FROM finished_today WHERE status = 'failed') AS tasks_failed_today,
  (SELECT coalesce(round(avg(extract(epoch FROM completed_at - started_at) * 1000)), 0)::float8
     FROM t WHERE status = 'completed' AND started_at IS NOT NULL) AS average_execution_time_ms,
  (SELECT count(*) FROM t WHERE status = 'queued') AS queue_depth,
  (SELECT count(*) FROM ready_tasks r WHERE r.workspace_id = $1) AS ready_depth,
  (SELECT coalesce(extract(epoch FROM now() - min(r.next_run_at)), 0)::float8
     FROM ready_tasks r WHERE r.workspace_id = $1) AS oldest_ready_age_seconds,
  (SELECT count(*) FROM t) AS total_tasks,
  (SELECT count(*) FROM t WHERE status = 'in_progress') AS in_progress,
  (SELECT count(*) FROM t WHERE status = 'completed') AS completed,
  (SELECT count(*) FROM t WHERE status = 'failed') AS failed,
  (SELECT count(*) FROM t WHERE status = 'cancelled') AS cancelled,
  (SELECT coalesce(sum(retry_count), 0) FROM t)::bigint AS total_retries,
  (SELECT CASE WHEN count(*) = 0 THEN NULL
               ELSE (count(*) FILTER (WHERE status = 'completed'))::float8 / count(*) END
     FROM t WHERE status IN ('completed', 'failed')) AS success_rate,
  (SELECT coalesce(jsonb_object_agg(assigned_agent, share), '{}')
     FROM (SELECT assigned_agent,
                  round((count(*)::numeric / sum(count(*)) OVER ()), 4)::float8 AS share
           FROM finished_today GROUP BY assigned_agent) s) AS agents_utilization,
  (SELECT coalesce(round(percentile_cont(0.95) WITHIN GROUP (
            ORDER BY extract(epoch FROM completed_at - started_at) * 1000)), 0)::float8
     FROM t WHERE status = 'completed' AND started_at IS NOT NULL) AS p95_execution_time_ms,
  (SELECT coalesce(jsonb_object_agg(assigned_agent, n), '{}')
     FROM (SELECT assigned_agent, count(*) AS n FROM t WHERE status = 'in_progress'
           GROUP BY assigned_agent) f) AS agents_in_flight;
