-- 0003_views: the queue as DBAs read it. These views compute readiness from depends_on (the
-- source of truth), not from the unmet_deps counter the claim uses, so they show the truth.

-- Queued tasks that may start now, in claim order.
CREATE VIEW ready_tasks AS
SELECT t.*
FROM autonomous_tasks t
WHERE t.status = 'queued'
  AND t.next_run_at <= now()
  AND NOT EXISTS (
    SELECT 1
    FROM unnest(t.depends_on) AS d(id)
    LEFT JOIN autonomous_tasks dep ON dep.id = d.id
    WHERE dep.status IS DISTINCT FROM 'completed')
ORDER BY t.priority DESC, t.created_at, t.id;

-- Queued tasks waiting on a dependency, naming the unmet ones and their status
-- ('missing' when the dependency row no longer exists).
CREATE VIEW blocked_tasks AS
SELECT t.id,
       t.workspace_id,
       t.task_description,
       t.assigned_agent,
       t.priority,
       array_agg(d.id ORDER BY d.ord) AS unmet_dependencies,
       jsonb_object_agg(d.id::text, coalesce(dep.status, 'missing')) AS dependency_status
FROM autonomous_tasks t
CROSS JOIN LATERAL unnest(t.depends_on) WITH ORDINALITY AS d(id, ord)
LEFT JOIN autonomous_tasks dep ON dep.id = d.id
WHERE t.status = 'queued'
  AND dep.status IS DISTINCT FROM 'completed'
GROUP BY t.id;

-- Per workspace: counts by status, how many are ready, and how long the oldest ready task
-- has been waiting (ready since next_run_at).
CREATE VIEW queue_summary AS
SELECT w.id AS workspace_id,
       w.name AS workspace_name,
       c.total, c.queued, c.in_progress, c.completed, c.failed, c.cancelled,
       r.ready,
       r.oldest_ready_age
FROM workspaces w
CROSS JOIN LATERAL (
  SELECT count(*) AS total,
         count(*) FILTER (WHERE status = 'queued') AS queued,
         count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
         count(*) FILTER (WHERE status = 'completed') AS completed,
         count(*) FILTER (WHERE status = 'failed') AS failed,
         count(*) FILTER (WHERE status = 'cancelled') AS cancelled
  FROM autonomous_tasks t WHERE t.workspace_id = w.id) c
CROSS JOIN LATERAL (
  SELECT count(*) AS ready, now() - min(rt.next_run_at) AS oldest_ready_age
  FROM ready_tasks rt WHERE rt.workspace_id = w.id) r;

-- in_progress tasks whose lease has expired: their worker died or stalled. The reaper takes
-- them back (task.reclaimed); until then they show here.
CREATE VIEW stuck_tasks AS
SELECT t.id,
       t.workspace_id,
       t.assigned_agent,
       t.locked_by,
       t.lease_expires_at,
       now() - t.lease_expires_at AS expired_for,
       t.started_at,
       t.retry_count,
       t.attempt_token
FROM autonomous_tasks t
WHERE t.status = 'in_progress'
  AND t.lease_expires_at < now();
