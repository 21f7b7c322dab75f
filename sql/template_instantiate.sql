-- template_instantiate.sql: create the task of tick $2 of template $1, at most once.
-- The row written is what sql/task_insert.sql writes for one task with no dependencies: the
-- autonomous_tasks row (next_run_at = now(): due as soon as it exists), its task_queue row, a
-- task.created audit row (details name the template and the tick) and a NOTIFY that wakes idle
-- workers. The template's stored body was validated at creation (POST /api/templates), so
-- nothing here can refuse it at tick time.
-- Exactly once per (template, tick): the INSERT into template_ticks claims the pair, and the
-- task is inserted only from the row it returns; a second worker's attempt (it waits on the
-- primary key until the first commits) inserts nothing. The template row is locked FOR NO KEY
-- UPDATE first, so a concurrent delete or a racing worker waits, and last_tick moves forward in
-- the same statement (only forward: a tick at or before last_tick is settled already).
-- A disabled or deleted template, or a settled tick, returns no row and writes nothing.
-- Locks: the template row (FOR NO KEY UPDATE), then new rows only.
-- Params: $1 template id uuid, $2 tick timestamptz, $3 new task id uuid, $4 actor text
WITH tpl AS MATERIALIZED (
  SELECT t.id, t.workspace_id, x.task_description, x.task_type, x.assigned_agent,
         coalesce(x.priority, 5) AS priority, coalesce(x.input_data, '{}') AS input_data,
         coalesce(x.max_retries, 3) AS max_retries,
         CASE WHEN x.requires_approval THEN 'pending' END AS approval_state
  FROM task_templates t
  CROSS JOIN LATERAL jsonb_to_record(t.task) AS x(
    task_description text, task_type text, assigned_agent text, priority integer,
    input_data jsonb, max_retries integer, requires_approval boolean)
  WHERE t.id = $1 AND t.enabled AND (t.last_tick IS NULL OR t.last_tick < $2)
  FOR NO KEY UPDATE OF t
), claim AS (
  INSERT INTO template_ticks (template_id, tick, task_id)
  SELECT id, $2, $3 FROM tpl
  ON CONFLICT (template_id, tick) DO NOTHING
  RETURNING template_id, tick, task_id
), ins AS (
  INSERT INTO autonomous_tasks (
    id, workspace_id, task_description, task_type, assigned_agent, priority, depends_on,
    input_data, max_retries, next_run_at, unmet_deps, template_id, approval_state)
  SELECT c.task_id, p.workspace_id, p.task_description, p.task_type, p.assigned_agent,
         p.priority, '{}', p.input_data, p.max_retries, now(), 0, p.id, p.approval_state
  FROM claim c JOIN tpl p ON p.id = c.template_id
  RETURNING id, workspace_id, assigned_agent, priority, task_type, next_run_at, created_at,
            template_id
), queued AS (
  INSERT INTO task_queue (id, workspace_id, priority, created_at, run_at)
  SELECT id, workspace_id, priority, created_at, next_run_at
  FROM ins
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, 'task.created', 'autonomous_tasks', id, $4, 'queued',
         jsonb_build_object('assigned_agent', assigned_agent, 'priority', priority,
                            'task_type', task_type, 'template_id', template_id, 'tick', $2)
  FROM ins
), settled AS (
  UPDATE task_templates t
  SET last_tick = $2
  FROM tpl
  WHERE t.id = tpl.id
), wake AS (
  SELECT pg_notify('taskfleet_ready', 'created') IS NOT NULL AS sent  -- boolean, not void: Citus materializes CTEs
  WHERE EXISTS (SELECT 1 FROM ins)
)
SELECT i.id, (SELECT count(*) FROM wake) AS woke
FROM ins i;
