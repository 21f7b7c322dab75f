-- task_cancel_dependents.sql: after a task is cancelled, fails or has its result rejected by an
-- approver, cancel the queued tasks downstream of it (TASK_006) that task_dependents_reach.sql
-- found, in the same transaction; a rejection's reason is quoted in the message. Each records
-- the upstream whose fate it shares in cancelled_by, so a manual retry of that upstream
-- re-queues exactly these. Dependents are locked in id order (like task_unblock_dependents.sql)
-- so cascades and completions cannot deadlock; one no longer queued is left alone.
-- Params: $1 dependent ids uuid[], $2 their upstream ids uuid[], $3 the upstream fates text[]
--         ('cancelled' | 'failed' | 'rejected'), $4 actor text, $5 their workspace uuid
WITH first_root AS (
  SELECT f.id, f.root, f.root_status
  FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS f(id, root, root_status)
), locked AS (
  -- The message is built here, in a query: Citus refuses format() over columns in an UPDATE.
  -- Wrapped, as in task_insert.sql: Citus reads a locking query's result back wrongly.
  SELECT l.id, l.root, l.root_status, l.message FROM (
    SELECT t.id, f.root, f.root_status,
           format('TASK_006: upstream task %s %s', f.root,
                  CASE f.root_status
                    WHEN 'failed' THEN 'failed'
                    WHEN 'rejected' THEN format('was rejected: %s',
                      (SELECT r.approval_comment FROM autonomous_tasks r
                       WHERE r.id = f.root AND r.workspace_id = $5))
                    ELSE 'was cancelled' END) AS message
    FROM autonomous_tasks t
    JOIN first_root f ON f.id = t.id
    WHERE t.status = 'queued'
      AND t.workspace_id = $5
    ORDER BY t.id
    FOR UPDATE OF t
  ) AS l
), cancelled AS (
  UPDATE autonomous_tasks t
  SET status = 'cancelled',
      cancelled_by = l.root,
      error_message = l.message,
      updated_at = now()
  FROM locked l
  WHERE t.id = l.id
    AND t.status = 'queued'
    AND t.workspace_id = $5
  RETURNING t.id, t.workspace_id, l.root, l.root_status
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, 'task.cancelled', 'autonomous_tasks', id, $4, 'cancelled',
         jsonb_build_object('previous_status', 'queued', 'upstream', root,
                            'upstream_status', root_status, 'code', 'TASK_006')
  FROM cancelled
)
SELECT id FROM cancelled;
