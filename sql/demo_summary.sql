-- demo_summary.sql: one row per task of a workspace for the demo's closing table, in plan order:
-- phase, agent, status, attempts (retries + 1) and the last attempt's duration.
-- Params: $1 workspace_id uuid
SELECT coalesce(input_data->>'phase_name', 'Ongoing') AS phase,
       assigned_agent,
       task_description,
       status,
       retry_count + 1 AS attempts,
       coalesce(extract(epoch FROM completed_at - started_at) * 1000, 0)::float8 AS duration_ms
FROM autonomous_tasks
WHERE workspace_id = $1
ORDER BY coalesce(plan_index, 2147483647), created_at, id;
