-- task_insert.sql: insert a batch of queued tasks (POST /api/tasks, decomposition, bench).
-- $1 is a JSON array of objects with the columns below; depends_on may name existing tasks and
-- tasks earlier in the same batch (the caller validates ids, workspaces and cycles: TASK_011).
-- unmet_deps counts distinct dependencies not completed. Existing dependencies are locked
-- FOR SHARE, in id order, so a dependency completing concurrently is either seen completed here
-- or, having waited for this insert to commit, sees this task in task_unblock_dependents.sql.
-- Tasks with no unmet dependency enter task_queue (ready now or at their next_run_at).
-- A task.created audit row per task when $3 is true (one task created by a request) or with
-- TASKFLEET_AUDIT=full; a bulk insert is recorded by its caller (strategy.decomposed).
-- Wakes idle workers when a task is ready now.
-- Params: $1 tasks jsonb, $2 actor text, $3 audit each task bool
WITH input AS MATERIALIZED (
  SELECT *
  FROM jsonb_to_recordset($1::jsonb) AS x(
    id uuid, workspace_id uuid, contact_id uuid, strategy_id uuid, task_description text,
    task_type text, assigned_agent text, priority int, depends_on uuid[], input_data jsonb,
    max_retries int, next_run_at timestamptz, plan_index int, deadline timestamptz)
), dep_locks AS MATERIALIZED (
  SELECT t.id, t.status
  FROM autonomous_tasks t
  WHERE t.id IN (SELECT DISTINCT unnest(i.depends_on) FROM input i)
  ORDER BY t.id
  FOR SHARE
), ins AS (
  INSERT INTO autonomous_tasks (
    id, workspace_id, contact_id, strategy_id, task_description, task_type, assigned_agent,
    priority, depends_on, input_data, max_retries, next_run_at, plan_index, deadline, unmet_deps)
  SELECT i.id, i.workspace_id, i.contact_id, i.strategy_id, i.task_description, i.task_type,
         i.assigned_agent, coalesce(i.priority, 5), coalesce(i.depends_on, '{}'),
         coalesce(i.input_data, '{}'), coalesce(i.max_retries, 3), coalesce(i.next_run_at, now()),
         i.plan_index, i.deadline,
         CASE WHEN i.depends_on IS NULL OR i.depends_on = '{}' THEN 0  -- no subquery per independent task
              ELSE (SELECT count(DISTINCT d.id)
                    FROM unnest(i.depends_on) AS d(id)
                    WHERE NOT EXISTS (SELECT 1 FROM dep_locks l
                                      WHERE l.id = d.id AND l.status = 'completed')) END
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
  SELECT workspace_id, 'task.created', 'autonomous_tasks', id, $2, 'queued',
         jsonb_build_object('assigned_agent', assigned_agent, 'priority', priority,
                            'task_type', task_type)
  FROM ins
  WHERE $3
), wake AS (
  SELECT pg_notify('taskfleet_ready', 'created') AS sent
  WHERE EXISTS (SELECT 1 FROM ins WHERE unmet_deps = 0 AND next_run_at <= now())
)
SELECT i.id, i.unmet_deps, (SELECT count(*) FROM wake) AS woke
FROM ins i;
