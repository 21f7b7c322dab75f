-- task_cancel_dependents.sql: after a task is cancelled, fails or has its result rejected by an
-- approver, cancel every queued task that depends on it, transitively (TASK_006), in the same
-- transaction; a rejection's reason is quoted in the message. Each records the upstream whose
-- fate it shares in cancelled_by, so a manual retry of that upstream re-queues exactly these.
-- Dependents are locked in id order (like task_unblock_dependents.sql) so cascades and
-- completions cannot deadlock.
-- Params: $1 upstream ids uuid[], $2 upstream fates text[] ('cancelled' | 'failed' | 'rejected'),
--         $3 actor text
WITH RECURSIVE upstream AS (
  SELECT u.id, u.status
  FROM unnest($1::uuid[], $2::text[]) AS u(id, status)
), reach(id, root, root_status) AS (
  SELECT dep.id, up.id, up.status
  FROM upstream up
  JOIN autonomous_tasks dep ON dep.depends_on <> '{}' AND dep.depends_on @> ARRAY[up.id]
  WHERE dep.status = 'queued'
  UNION
  SELECT dep.id, r.root, r.root_status
  FROM reach r
  JOIN autonomous_tasks dep ON dep.depends_on <> '{}' AND dep.depends_on @> ARRAY[r.id]
  WHERE dep.status = 'queued'
), first_root AS (
  SELECT DISTINCT ON (id) id, root, root_status
  FROM reach
  ORDER BY id, root
), locked AS (
  SELECT t.id, f.root, f.root_status
  FROM autonomous_tasks t
  JOIN first_root f ON f.id = t.id
  WHERE t.status = 'queued'
  ORDER BY t.id
  FOR UPDATE OF t
), cancelled AS (
  UPDATE autonomous_tasks t
  SET status = 'cancelled',
      cancelled_by = l.root,
      error_message = format('TASK_006: upstream task %s %s', l.root,
                             CASE l.root_status
                               WHEN 'failed' THEN 'failed'
                               WHEN 'rejected' THEN format('was rejected: %s',
                                 (SELECT r.approval_comment FROM autonomous_tasks r WHERE r.id = l.root))
                               ELSE 'was cancelled' END),
      updated_at = now()
  FROM locked l
  WHERE t.id = l.id
    AND t.status = 'queued'
  RETURNING t.id, t.workspace_id, l.root, l.root_status
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, 'task.cancelled', 'autonomous_tasks', id, $3, 'cancelled',
         jsonb_build_object('previous_status', 'queued', 'upstream', root,
                            'upstream_status', root_status, 'code', 'TASK_006')
  FROM cancelled
)
SELECT id FROM cancelled;
