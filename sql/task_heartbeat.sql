-- task_heartbeat.sql: renew the leases of the tasks worker $4 is running.
-- Fenced: a row matches only while it is in_progress under the same attempt token, so the ids
-- NOT returned are tasks this worker no longer owns (reclaimed or cancelled): it abandons them.
-- Touches only lease_expires_at (in no index), so the update stays HOT. Rows are locked in id
-- order first, like every batch write, so a heartbeat never deadlocks with a completion.
-- Params: $1 ids uuid[], $2 attempt tokens uuid[], $3 lease_secs float8, $4 worker_id text
WITH locked AS (
  SELECT t.id
  FROM autonomous_tasks t
  WHERE t.id = ANY($1::uuid[])
  ORDER BY t.id
  FOR UPDATE
)
UPDATE autonomous_tasks t
SET lease_expires_at = now() + make_interval(secs => $3)
FROM unnest($1::uuid[], $2::uuid[]) AS l(id, token)
WHERE t.id = ANY (ARRAY(SELECT id FROM locked))  -- key lookups, as in task_complete.sql
  AND l.id = t.id
  AND t.attempt_token = l.token
  AND t.status = 'in_progress'
  AND t.locked_by = $4
RETURNING t.id;
