-- task_insert.sql: insert a batch of queued tasks (POST /api/tasks, decomposition, bench).
-- depends_on may name existing tasks and
-- tasks earlier in the same batch (the caller validates ids, workspaces and cycles: TASK_011).
-- unmet_deps counts distinct dependencies not met (taskfleet_dependency_met: completed, and
-- approved when they need approval). Existing dependencies are locked
-- FOR SHARE, in id order, so a dependency completing concurrently is either seen completed here
-- or, having waited for this insert to commit, sees this task in task_unblock_dependents.sql.
-- Tasks with no unmet dependency enter task_queue (ready now or at their next_run_at).
-- A task.created audit row per task when $3 is true (one task created by a request) or with
-- TASKFLEET_AUDIT=full; a bulk insert is recorded by its caller (strategy.decomposed).
-- Wakes idle workers when a task is ready now.
-- The batch arrives as one typed array per column (parsing a JSON array of objects cost more
-- than the insert itself); depends_on as one array literal per task, since arrays of arrays
-- must be rectangular.
-- Params: $1 actor text, $2 audit each task bool, then per column: $3 ids uuid[],
--         $4 workspace_ids uuid[], $5 contact_ids uuid[], $6 strategy_ids uuid[],
--         $7 descriptions text[], $8 task_types text[], $9 agents text[], $10 priorities int[],
--         $11 depends_on text[] ('{uuid,...}'), $12 input_data jsonb[], $13 max_retries int[],
--         $14 next_run_at timestamptz[] (NULL = now), $15 plan_index int[],
--         $16 deadlines timestamptz[], $17 requires_approval bool[] (shorter, even empty: the
--         missing ones are NULL = no approval, as unnest pads),
--         $18 workspaces uuid[] (NULL on PostgreSQL; on Citus the batch's one workspace: queue/shard.rs)
WITH input AS MATERIALIZED (
  SELECT x.id, x.workspace_id, x.contact_id, x.strategy_id, x.task_description, x.task_type,
         x.assigned_agent, x.priority, x.depends_on::uuid[] AS depends_on, x.input_data,
         x.max_retries, x.next_run_at, x.plan_index, x.deadline,
         CASE WHEN x.requires_approval THEN 'pending' END AS approval_state
  FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::text[], $9::text[],
              $10::int[], $11::text[], $12::jsonb[], $13::int[], $14::timestamptz[], $15::int[],
              $16::timestamptz[], $17::bool[]) AS x(
    id, workspace_id, contact_id, strategy_id, task_description, task_type, assigned_agent,
    priority, depends_on, input_data, max_retries, next_run_at, plan_index, deadline,
    requires_approval)
), dep_locks AS MATERIALIZED (
  -- The locking query is wrapped so the CTE's own columns are just (id, met): Citus reads its
  -- result back in the wrong format when the locking query's row marks are in it.
  SELECT l.id, l.met FROM (
    SELECT t.id, taskfleet_dependency_met(t.status, t.approval_state) AS met
    FROM autonomous_tasks t
    WHERE t.id IN (SELECT DISTINCT unnest(i.depends_on) FROM input i)
      AND ($18::uuid[] IS NULL OR t.workspace_id = ANY($18))
    ORDER BY t.id
    FOR SHARE
  ) AS l
), ins AS (
  INSERT INTO autonomous_tasks (
    id, workspace_id, contact_id, strategy_id, task_description, task_type, assigned_agent,
    priority, depends_on, input_data, max_retries, next_run_at, plan_index, deadline,
    approval_state, unmet_deps)
  SELECT i.id, i.workspace_id, i.contact_id, i.strategy_id, i.task_description, i.task_type,
         i.assigned_agent, coalesce(i.priority, 5), coalesce(i.depends_on, '{}'),
         coalesce(i.input_data, '{}'), coalesce(i.max_retries, 3), coalesce(i.next_run_at, now()),
         i.plan_index, i.deadline, i.approval_state,
         CASE WHEN i.depends_on IS NULL OR i.depends_on = '{}' THEN 0  -- no subquery per independent task
              ELSE (SELECT count(DISTINCT d.id)
                    FROM unnest(i.depends_on) AS d(id)
                    WHERE NOT EXISTS (SELECT 1 FROM dep_locks l
                                      WHERE l.id = d.id AND l.met)) END
  FROM input i
  RETURNING id, workspace_id, assigned_agent, priority, task_type, unmet_deps, next_run_at,
            created_at
), queued AS (
  INSERT INTO task_queue (id, workspace_id, priority, created_at, run_at)
  SELECT id, workspace_id, priority, created_at, next_run_at
  FROM ins
  WHERE unmet_deps = 0
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, 'task.created', 'autonomous_tasks', id, $1, 'queued',
         jsonb_build_object('assigned_agent', assigned_agent, 'priority', priority,
                            'task_type', task_type)
  FROM ins
  WHERE $2
), wake AS (
  SELECT pg_notify('taskfleet_ready', 'created') IS NOT NULL AS sent  -- boolean, not void: Citus materializes CTEs
  WHERE EXISTS (SELECT 1 FROM ins WHERE unmet_deps = 0 AND next_run_at <= now())
)
SELECT i.id, i.unmet_deps, (SELECT count(*) FROM wake) AS woke
FROM ins i;
