-- task_escalate_deadlines.sql: the deadline_escalation sweep. Raises to $3 the priority of up to
-- $5 queued or in_progress tasks whose deadline is within $2 seconds of $1 (the sweep's clock),
-- on the task row and on its task_queue row (ready or leased tasks have one; blocked tasks get
-- the raised priority when they enter the queue). One task.escalated audit row per raise.
-- Locks: task_queue rows first, then autonomous_tasks rows, both FOR UPDATE in id order, as every
-- writer does (migration 0008). A task that a concurrent unblock put in task_queue after this
-- statement's snapshot may keep its old priority there; it still matches `due` (its queue
-- row's priority is below $3), so the next pass repairs it (queue_check.sql reports it until then).
-- Params: $1 now timestamptz, $2 window secs float8, $3 urgent priority int, $4 actor text,
--         $5 limit int
WITH due AS MATERIALIZED (
  SELECT t.id
  FROM autonomous_tasks t
  WHERE t.deadline IS NOT NULL
    AND t.deadline <= $1::timestamptz + make_interval(secs => $2)
    AND t.status IN ('queued', 'in_progress')
    AND (t.priority < $3
         OR EXISTS (SELECT 1 FROM task_queue q WHERE q.id = t.id AND q.priority < $3))
  ORDER BY t.id
  LIMIT $5
), queue_locked AS MATERIALIZED (
  SELECT q.id
  FROM task_queue q
  WHERE q.id IN (SELECT id FROM due)
  ORDER BY q.id
  FOR UPDATE
), task_locked AS MATERIALIZED (
  SELECT t.id, t.priority AS old_priority
  FROM autonomous_tasks t
  WHERE t.id IN (SELECT id FROM due)
    -- An uncorrelated subquery runs once before the first row is locked: queue rows first.
    AND (SELECT count(*) FROM queue_locked) >= 0
    AND t.status IN ('queued', 'in_progress')
  ORDER BY t.id
  FOR UPDATE
), raised AS (
  UPDATE autonomous_tasks t
  SET priority = greatest(t.priority, $3),
      updated_at = CASE WHEN t.priority < $3 THEN now() ELSE t.updated_at END
  FROM task_locked l
  WHERE t.id = l.id
  RETURNING t.id, t.workspace_id, t.status, t.deadline, l.old_priority, t.priority AS new_priority
), queue_raised AS (
  UPDATE task_queue q
  SET priority = r.new_priority
  FROM raised r
  WHERE q.id = r.id
    AND q.id IN (SELECT id FROM queue_locked)
    AND q.priority <> r.new_priority
  RETURNING q.id
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, 'task.escalated', 'autonomous_tasks', id, $4, status,
         jsonb_build_object('from_priority', old_priority, 'to_priority', new_priority,
                            'deadline', deadline, 'window_secs', $2)
  FROM raised
  WHERE old_priority < new_priority
)
SELECT r.id, r.workspace_id, r.old_priority, r.new_priority,
       (SELECT count(*) FROM queue_raised) AS queue_rows
FROM raised r
WHERE r.old_priority < r.new_priority
ORDER BY r.id;
