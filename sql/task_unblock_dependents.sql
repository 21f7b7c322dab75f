-- task_unblock_dependents.sql: after task_complete.sql, in the same transaction. Each queued task
-- that depends on a just-completed task loses one unmet dependency per completed dependency; the
-- ones that reach 0 become ready now (next_run_at raised to now(), so it reads "ready since"),
-- enter task_queue, and one NOTIFY wakes idle workers. Dependents are locked in id order so two
-- batches completing overlapping dependencies cannot deadlock. The task-row update is HOT.
-- Params: $1 completed task ids uuid[],
--         $2 workspaces uuid[] (NULL on PostgreSQL; on Citus their one workspace: queue/shard.rs)
WITH dependents AS MATERIALIZED (
  -- One GIN probe per completed task (@> with one element); a single && probe with the whole
  -- batch looked cheaper to the planner but made it scan the table instead.
  -- now() travels as a column: Citus refuses it inside the CASE of an UPDATE.
  SELECT dep.id, count(DISTINCT done.id)::int AS n, now() AS at
  FROM unnest($1::uuid[]) AS done(id)
  JOIN autonomous_tasks dep ON dep.depends_on <> '{}' AND dep.depends_on @> ARRAY[done.id]
  WHERE dep.status = 'queued'
    AND ($2::uuid[] IS NULL OR dep.workspace_id = ANY($2))
  GROUP BY dep.id
), locked AS (
  -- = ANY(ARRAY(...)) keeps these primary-key lookups: the planner cannot estimate how many rows
  -- && matches and otherwise hash-joins against a scan of the whole table.
  SELECT t.id
  FROM autonomous_tasks t
  WHERE t.id = ANY (ARRAY(SELECT id FROM dependents))
    AND ($2::uuid[] IS NULL OR t.workspace_id = ANY($2))
  ORDER BY t.id
  FOR UPDATE
), unblocked AS (
  UPDATE autonomous_tasks t
  SET unmet_deps = greatest(t.unmet_deps - d.n, 0),
      next_run_at = CASE WHEN t.unmet_deps - d.n <= 0 THEN greatest(t.next_run_at, d.at)
                         ELSE t.next_run_at END
  FROM dependents d
  WHERE t.id = ANY (ARRAY(SELECT id FROM locked))
    AND ($2::uuid[] IS NULL OR t.workspace_id = ANY($2))
    AND d.id = t.id
  RETURNING t.id, t.workspace_id, t.priority, t.created_at, t.next_run_at, t.unmet_deps
), ready AS (
  INSERT INTO task_queue (id, workspace_id, priority, created_at, run_at)
  SELECT id, workspace_id, priority, created_at, next_run_at
  FROM unblocked
  WHERE unmet_deps = 0
  ON CONFLICT DO NOTHING  -- the key is (workspace_id, id) on Citus
), wake AS (
  SELECT pg_notify('taskfleet_ready', 'unblocked') IS NOT NULL AS sent  -- boolean, not void: Citus materializes CTEs
  WHERE EXISTS (SELECT 1 FROM unblocked WHERE unmet_deps = 0)
)
SELECT (SELECT count(*) FROM unblocked WHERE unmet_deps = 0)::bigint AS unblocked,
       (SELECT count(*) FROM wake)::bigint AS woke;
