-- task_delete_expired.sql: retention, one batch: delete up to $2 terminal tasks (completed,
-- failed, cancelled) last changed before $1. A task some queued or running task still depends on
-- is kept, so readiness never sees a dependency vanish. Called in a loop until a batch comes back
-- short (the statement returns how many it deleted): many small deletes instead of one huge one that would hold locks and bloat WAL at once.
-- Params: $1 cutoff timestamptz, $2 batch size int
WITH deleted AS (
DELETE FROM autonomous_tasks t
WHERE t.id IN (
  SELECT c.id
  FROM autonomous_tasks c
  WHERE c.status IN ('completed', 'failed', 'cancelled')
    AND c.updated_at < $1
    AND NOT EXISTS (
      SELECT 1 FROM autonomous_tasks d
      WHERE d.depends_on <> '{}' AND d.depends_on @> ARRAY[c.id]
        AND d.status IN ('queued', 'in_progress'))
  ORDER BY c.updated_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED)
RETURNING t.id
)
SELECT count(*) FROM deleted;
