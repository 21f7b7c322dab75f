-- audit_delete_expired.sql: retention, one batch: delete up to $2 audit rows older than $1
-- (oldest first, by id, which follows time). Called in a loop like task_delete_expired.sql.
-- Params: $1 cutoff timestamptz, $2 batch size int
WITH deleted AS (
  DELETE FROM audit_logs
  WHERE id IN (SELECT id FROM audit_logs WHERE created_at < $1 ORDER BY id LIMIT $2)
  RETURNING id
)
SELECT count(*) FROM deleted;
