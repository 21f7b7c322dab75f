-- task_dependents_reach.sql: the first half of a TASK_006 cascade (task_cancel_dependents.sql
-- is the second): every queued task downstream of the upstream tasks, transitively, with the
-- upstream whose fate it shares (the first by id when several reach it). Reads only; the
-- caller passes the answer to task_cancel_dependents.sql in the same transaction, which locks
-- and re-checks each row. Two statements because Citus runs a recursive query only as a query
-- of one shard, never inside a statement that also writes audit rows.
-- Params: $1 upstream ids uuid[], $2 upstream fates text[] ('cancelled' | 'failed' | 'rejected'),
--         $3 their workspace uuid (one call per workspace: a task's dependents are in its
--         workspace)
WITH RECURSIVE reach(id, root, root_status) AS (
  SELECT dep.id, up.id, up.status
  FROM unnest($1::uuid[], $2::text[]) AS up(id, status)
  JOIN autonomous_tasks dep ON dep.depends_on <> '{}' AND dep.depends_on @> ARRAY[up.id]
  WHERE dep.status = 'queued'
    AND dep.workspace_id = $3
  UNION
  SELECT dep.id, r.root, r.root_status
  FROM reach r
  JOIN autonomous_tasks dep ON dep.depends_on <> '{}' AND dep.depends_on @> ARRAY[r.id]
  WHERE dep.status = 'queued'
    AND dep.workspace_id = $3
)
SELECT DISTINCT ON (id) id, root, root_status
FROM reach
ORDER BY id, root;
