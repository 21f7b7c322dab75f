-- task_eta.sql: eta_seconds of GET /api/tasks/status for the queued and in_progress tasks among
-- $1, from their agent's history in the workspace over the last $3 seconds (README: "ETA"):
--   rate  = the agent's completions per second in that window, but at least 1 / avg (one slot);
--   avg   = the agent's average execution time (started_at -> completed_at) in that window;
--   queued:      (tasks of the agent running + queued ahead of it in claim order) / rate + avg;
--   in_progress: avg - time since started_at, at least 0.
-- NULL when the agent completed nothing in the window. Read-only; one pass over the
-- workspace's queued and running tasks of those agents.
-- Params: $1 ids uuid[], $2 workspace_id uuid, $3 history window secs float8
WITH target AS (
  SELECT t.id, t.assigned_agent, t.status, t.started_at
  FROM autonomous_tasks t
  WHERE t.id = ANY($1) AND t.workspace_id = $2 AND t.status IN ('queued', 'in_progress')
), agents AS (
  SELECT DISTINCT assigned_agent FROM target
), history AS (
  SELECT h.assigned_agent, count(*) AS done,
         avg(extract(epoch FROM h.completed_at - h.started_at))::float8 AS avg_secs
  FROM autonomous_tasks h
  WHERE h.workspace_id = $2
    AND h.assigned_agent IN (SELECT assigned_agent FROM agents)
    AND h.status = 'completed'
    AND h.completed_at >= now() - make_interval(secs => $3)
    AND h.started_at IS NOT NULL
  GROUP BY h.assigned_agent
), open_tasks AS (
  SELECT o.id, o.assigned_agent, o.status,
         count(*) FILTER (WHERE o.status = 'queued')
           OVER (PARTITION BY o.assigned_agent, o.status = 'queued'
                 ORDER BY o.priority DESC, o.created_at, o.id) - 1 AS queued_ahead,
         count(*) FILTER (WHERE o.status = 'in_progress')
           OVER (PARTITION BY o.assigned_agent) AS running
  FROM autonomous_tasks o
  WHERE o.workspace_id = $2
    AND o.assigned_agent IN (SELECT assigned_agent FROM agents)
    AND o.status IN ('queued', 'in_progress')
)
SELECT tg.id,
       CASE
         WHEN h.done IS NULL THEN NULL
         WHEN tg.status = 'in_progress' THEN
           greatest(h.avg_secs - extract(epoch FROM now() - tg.started_at)::float8, 0)
         ELSE (o.queued_ahead + o.running)
                / greatest(h.done / $3::float8, 1 / greatest(h.avg_secs, 0.001))
              + h.avg_secs
       END AS eta_seconds
FROM target tg
JOIN open_tasks o ON o.id = tg.id
LEFT JOIN history h ON h.assigned_agent = tg.assigned_agent
ORDER BY tg.id;
