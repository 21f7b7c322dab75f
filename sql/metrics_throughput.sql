-- metrics_throughput.sql: a workspace's last hour, minute by minute, for the `throughput` field
-- of GET /api/metrics/orchestrator (the dashboard's chart): attempts that completed
-- (task.executed), failed for good (task.failed) and were scheduled for a retry
-- (task.retry_scheduled), counted from the audit trail, which records each one once in the
-- transaction of the change. 60 rows, oldest minute first, zeros included; the last row is the
-- current, unfinished minute. audit_logs_created_brin narrows the scan to the last hour.
-- Params: $1 workspace_id uuid
WITH minutes AS (
  SELECT generate_series(date_trunc('minute', now()) - interval '59 minutes',
                         date_trunc('minute', now()), interval '1 minute') AS minute
), events AS (
  SELECT date_trunc('minute', a.created_at) AS minute, a.action
  FROM audit_logs a
  WHERE a.workspace_id = $1
    AND a.created_at >= date_trunc('minute', now()) - interval '59 minutes'
    AND a.action IN ('task.executed', 'task.failed', 'task.retry_scheduled')
)
SELECT m.minute,
       count(e.action) FILTER (WHERE e.action = 'task.executed') AS completed,
       count(e.action) FILTER (WHERE e.action = 'task.failed') AS failed,
       count(e.action) FILTER (WHERE e.action = 'task.retry_scheduled') AS retried
FROM minutes m
LEFT JOIN events e ON e.minute = m.minute
GROUP BY m.minute
ORDER BY m.minute;
