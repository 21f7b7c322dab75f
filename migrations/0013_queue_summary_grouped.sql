-- 0013_queue_summary_grouped: queue_summary counts with one grouped scan per table instead of a
-- lateral subquery per workspace (hot path v2, the DBA views).
--
-- The lateral form re-scanned autonomous_tasks once per workspace, and its correlated scan could
-- not run in parallel: 741 ms for 4 workspaces at 1,000,000 tasks, 213 ms for one. Grouped, a
-- filter on workspace_id still reaches the scans (the planner pushes it through the join's
-- equivalence into the grouped subqueries), and PostgreSQL can split each scan over parallel
-- workers: 214 ms and 126 ms on the same data (scripts/measure-views.sh). Same columns, types
-- and values; a workspace with no tasks still shows zeros.
CREATE OR REPLACE VIEW queue_summary AS
SELECT w.id AS workspace_id,
       w.name AS workspace_name,
       coalesce(c.total, 0) AS total,
       coalesce(c.queued, 0) AS queued,
       coalesce(c.in_progress, 0) AS in_progress,
       coalesce(c.completed, 0) AS completed,
       coalesce(c.failed, 0) AS failed,
       coalesce(c.cancelled, 0) AS cancelled,
       coalesce(r.ready, 0) AS ready,
       r.oldest_ready_age
FROM workspaces w
LEFT JOIN (
  SELECT workspace_id,
         count(*) AS total,
         count(*) FILTER (WHERE status = 'queued') AS queued,
         count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
         count(*) FILTER (WHERE status = 'completed') AS completed,
         count(*) FILTER (WHERE status = 'failed') AS failed,
         count(*) FILTER (WHERE status = 'cancelled') AS cancelled
  FROM autonomous_tasks
  GROUP BY workspace_id) c ON c.workspace_id = w.id
LEFT JOIN (
  SELECT workspace_id, count(*) AS ready, now() - min(run_at) AS oldest_ready_age
  FROM task_queue
  WHERE locked_by IS NULL AND run_at <= now()
  GROUP BY workspace_id) r ON r.workspace_id = w.id;

-- Replacing a view keeps its query's owner rights unless told again.
ALTER VIEW queue_summary SET (security_invoker = true);
