-- task_status_summary.sql: counts by status over every task matching the status filters (not just
-- one page), and how many of the completed await approval. Params: as task_status_page.sql $1..$4, then $5 task_type text, $6 strategy_id
-- uuid, $7 priority int, $8 description text, $9 depends-on task id (each NULL = any; the
-- same rules as task_status_page.sql's $7..$11)
SELECT count(*) AS total,
       count(*) FILTER (WHERE status = 'queued') AS queued,
       count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE status = 'completed' AND approval_state = 'pending') AS awaiting_approval
FROM autonomous_tasks
WHERE workspace_id = $1
  AND ($2::uuid IS NULL OR id = $2)
  AND ($3::text IS NULL OR status = $3)
  AND ($4::text IS NULL OR assigned_agent = $4)
  AND ($5::text IS NULL OR task_type = $5)
  AND ($6::uuid IS NULL OR strategy_id = $6)
  AND ($7::int IS NULL OR priority = $7)
  AND ($8::text IS NULL OR strpos(lower(task_description), lower($8)) > 0)
  AND ($9::uuid IS NULL OR depends_on @> ARRAY[$9::uuid]);
