-- task_heartbeat.sql: renew the leases of the tasks worker $4 is running.
-- Fenced: a task_queue row matches only while it holds the same attempt token and worker, so the
-- ids NOT returned are tasks this worker no longer owns (reclaimed or cancelled): it abandons
-- them. Rows are locked in id order, task_queue first, like every batch write, so a heartbeat
-- never deadlocks with a completion. Only lease_expires_at changes (in no index): both updates
-- are HOT. The task row's copy keeps `SELECT lease_expires_at FROM autonomous_tasks` truthful.
-- Params: $1 ids uuid[], $2 attempt tokens uuid[], $3 lease_secs float8, $4 worker_id text,
--         $5 workspaces uuid[] (NULL on PostgreSQL; on Citus the batch's one workspace: queue/shard.rs)
WITH locked AS (
  SELECT q.id
  FROM task_queue q
  WHERE q.id = ANY($1::uuid[])
    AND ($5::uuid[] IS NULL OR q.workspace_id = ANY($5))
  ORDER BY q.id
  FOR UPDATE
), renewed AS (
  UPDATE task_queue q
  SET lease_expires_at = now() + make_interval(secs => $3)
  FROM unnest($1::uuid[], $2::uuid[]) AS l(id, token)
  WHERE q.id = ANY (ARRAY(SELECT id FROM locked))  -- key lookups, as in task_complete.sql
    AND ($5::uuid[] IS NULL OR q.workspace_id = ANY($5))
    AND l.id = q.id
    AND q.attempt_token = l.token
    AND q.locked_by = $4
  RETURNING q.id, q.lease_expires_at
), mirrored AS (
  UPDATE autonomous_tasks t
  SET lease_expires_at = r.lease_expires_at
  FROM renewed r
  WHERE t.id = ANY (ARRAY(SELECT id FROM renewed))
    AND ($5::uuid[] IS NULL OR t.workspace_id = ANY($5))
    AND r.id = t.id
)
SELECT id FROM renewed;
