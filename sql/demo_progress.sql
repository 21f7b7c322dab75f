-- demo_progress.sql: the demo's live counts for one workspace, per phase (pillar and KPI tasks
-- group as "Ongoing"), in plan order. "retrying" = queued after at least one failed attempt.
-- Params: $1 workspace_id uuid
SELECT coalesce(input_data->>'phase_name', 'Ongoing: pillars and KPIs') AS phase,
       count(*) AS total,
       count(*) FILTER (WHERE status = 'queued' AND retry_count = 0) AS queued,
       count(*) FILTER (WHERE status = 'queued' AND retry_count > 0) AS retrying,
       count(*) FILTER (WHERE status = 'in_progress') AS running,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled
FROM autonomous_tasks
WHERE workspace_id = $1
GROUP BY 1
ORDER BY min(coalesce(plan_index, 2147483647)), 1;
