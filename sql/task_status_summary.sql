-- task_status_summary.sql: counts by status over every task matching the status filters (not just
-- one page). Params: as task_status_page.sql $1..$4
SELECT count(*) AS total,
       count(*) FILTER (WHERE status = 'queued') AS queued,
       count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled
FROM autonomous_tasks
WHERE workspace_id = $1
  AND ($2::uuid IS NULL OR id = $2)
  AND ($3::text IS NULL OR status = $3)
  AND ($4::text IS NULL OR assigned_agent = $4);
