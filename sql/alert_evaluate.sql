-- alert_evaluate.sql: the three alerts of the specification (contract section 9), per workspace:
--   queue_depth     queued tasks (ready, blocked or waiting for their next_run_at) > $3;
--   failure_rate    failed / finished (completed + failed) among tasks that finished today, in
--                   the workspace's zone, > $4 with at least $5 finished;
--   slow_execution  the longest execution (started_at of the last attempt -> completed_at, or
--                   updated_at for a failed task) among tasks that finished in the last $7
--                   seconds > $6 seconds.
-- With the state the alerts sweep recorded (alert_states): whether it saw the alert firing and
-- since when. Read-only, no locks. Scans the non-terminal and recently finished task rows of the
-- workspaces asked for (no index mentions status: migration 0008).
-- Params: $1 workspace_id uuid (NULL = every workspace), $2 default zone text,
--         $3 queue depth threshold float8, $4 failure ratio threshold float8,
--         $5 minimum finished today int, $6 slow execution threshold secs float8,
--         $7 slow execution window secs float8
WITH ws AS (
  SELECT w.id, date_trunc('day', now() AT TIME ZONE coalesce(w.timezone, $2))
                 AT TIME ZONE coalesce(w.timezone, $2) AS day_start
  FROM workspaces w
  WHERE $1::uuid IS NULL OR w.id = $1
), per_ws AS (
  SELECT ws.id AS workspace_id,
         count(*) FILTER (WHERE t.status = 'queued') AS queued,
         count(*) FILTER (WHERE t.status IN ('completed', 'failed')
                          AND t.updated_at >= ws.day_start) AS finished_today,
         count(*) FILTER (WHERE t.status = 'failed' AND t.updated_at >= ws.day_start) AS failed_today,
         max(extract(epoch FROM coalesce(t.completed_at, t.updated_at) - t.started_at))
           FILTER (WHERE t.status IN ('completed', 'failed') AND t.started_at IS NOT NULL
                   AND coalesce(t.completed_at, t.updated_at)
                       >= now() - make_interval(secs => $7)) AS slowest_secs
  FROM ws
  LEFT JOIN autonomous_tasks t ON t.workspace_id = ws.id
  GROUP BY ws.id
), vals AS (
  SELECT p.workspace_id, a.ord, a.name, a.value, a.threshold, a.firing, p.finished_today
  FROM per_ws p
  CROSS JOIN LATERAL (VALUES
    (1, 'queue_depth', p.queued::float8, $3::float8, p.queued > $3::float8),
    (2, 'failure_rate',
     CASE WHEN p.finished_today = 0 THEN 0 ELSE p.failed_today::float8 / p.finished_today END,
     $4::float8,
     p.finished_today >= $5::int AND p.failed_today::float8 > $4::float8 * p.finished_today),
    (3, 'slow_execution', coalesce(p.slowest_secs, 0)::float8, $6::float8,
     coalesce(p.slowest_secs, 0) > $6::float8)
  ) AS a(ord, name, value, threshold, firing)
)
SELECT v.workspace_id, v.name, v.value, v.threshold, v.firing, v.finished_today,
       coalesce(s.firing, false) AS recorded_firing, s.since AS recorded_since
FROM vals v
LEFT JOIN alert_states s ON s.workspace_id = v.workspace_id AND s.name = v.name
ORDER BY v.workspace_id, v.ord;
