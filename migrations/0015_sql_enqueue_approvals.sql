-- 0015_sql_enqueue_approvals: the SQL enqueue functions of 0010 learn approval gates
-- (0014). Two changes, and nothing else differs from 0010's text:
--   * a dependency counts as met only when taskfleet_dependency_met() says so (completed, and
--     approved if it needs approval), as task_insert.sql counts it: without this, a task added
--     from SQL after its dependency completed would skip that dependency's approval;
--   * `requires_approval` (boolean, default false) is a task field, as on POST /api/tasks.
-- A function's body can only be replaced whole, hence the full text below (0010 explains it).
-- taskfleet_add_task gains a last parameter, requires_approval DEFAULT false: existing calls,
-- positional or named, keep working.

CREATE OR REPLACE FUNCTION taskfleet_add_tasks(tasks jsonb) RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE
  allowed_fields CONSTANT text[] := ARRAY['workspace_id', 'task_description', 'task_type',
    'assigned_agent', 'priority', 'depends_on', 'input_data', 'max_retries', 'deadline',
    'requires_approval'];
  n_tasks   integer;
  types     text[];
  t         record;
  where_    text;
  unknown   text;
  ws_seen   uuid[] := '{}';
  found_    uuid[];
  dead      text;
  unmet     integer;
  new_id    uuid;
  created   timestamptz;
  ready_now boolean := false;
  actor     text := 'sql:' || current_user;
BEGIN
  IF tasks IS NULL OR jsonb_typeof(tasks) <> 'array' THEN
    RAISE EXCEPTION 'TASK_010: tasks must be a JSON array of task objects' USING ERRCODE = 'TF010';
  END IF;
  n_tasks := jsonb_array_length(tasks);
  IF n_tasks > 1000 THEN
    RAISE EXCEPTION 'TASK_010: at most 1000 tasks per call (got %)', n_tasks
      USING ERRCODE = 'TF010';
  END IF;

  -- The values the table's CHECK allows, so this list cannot drift from it.
  SELECT array_agg(m[1]) INTO types
  FROM pg_constraint c, regexp_matches(pg_get_constraintdef(c.oid), '''([^'']+)''', 'g') AS m
  WHERE c.conrelid = 'autonomous_tasks'::regclass AND c.conname = 'autonomous_tasks_task_type_check';

  -- Field checks first, reading only. The casts run in this block so that a value of the wrong
  -- type becomes TASK_010; the block writes nothing, so its subtransaction takes no xid.
  BEGIN
    FOR t IN
      SELECT e.ord, e.value AS obj, x.*
      FROM jsonb_array_elements(tasks) WITH ORDINALITY AS e(value, ord)
      LEFT JOIN LATERAL jsonb_to_record(CASE jsonb_typeof(e.value) WHEN 'object' THEN e.value END)
        AS x(workspace_id uuid, task_description text, task_type text, assigned_agent text,
             priority integer, depends_on uuid[], input_data jsonb, max_retries integer,
             deadline timestamptz, requires_approval boolean) ON true
      ORDER BY e.ord
    LOOP
      where_ := CASE WHEN n_tasks > 1 THEN format(' (task %s of %s)', t.ord, n_tasks) ELSE '' END;
      IF jsonb_typeof(t.obj) <> 'object' THEN
        RAISE EXCEPTION 'TASK_010: a task must be a JSON object%', where_ USING ERRCODE = 'TF010';
      END IF;
      SELECT string_agg(k, ', ') INTO unknown
      FROM jsonb_object_keys(t.obj) AS k WHERE k <> ALL (allowed_fields);
      IF unknown IS NOT NULL THEN
        RAISE EXCEPTION '%', format('TASK_010: unknown field(s) %s; the fields are %s%s', unknown,
          array_to_string(allowed_fields, ', '), where_) USING ERRCODE = 'TF010';
      END IF;
      IF t.workspace_id IS NULL THEN
        RAISE EXCEPTION 'TASK_010: workspace_id is required%', where_ USING ERRCODE = 'TF010';
      END IF;
      IF t.task_type IS NULL OR (types IS NOT NULL AND t.task_type <> ALL (types)) THEN
        RAISE EXCEPTION '%', format('TASK_007: task_type %s is not one of %s%s',
          coalesce(quote_literal(t.task_type), 'NULL'), array_to_string(types, ', '), where_)
          USING ERRCODE = 'TF007';
      END IF;
      IF coalesce(btrim(t.task_description), '') = '' THEN
        RAISE EXCEPTION 'TASK_010: task_description must not be empty%', where_
          USING ERRCODE = 'TF010';
      END IF;
      -- The rule of src/agents/name.rs.
      IF t.assigned_agent IS NULL OR t.assigned_agent !~ '^[a-z0-9][a-z0-9-]{0,63}$' THEN
        RAISE EXCEPTION 'TASK_010: assigned_agent must be an agent name: 1 to 64 lowercase letters, digits or ''-'', starting with a letter or digit%',
          where_ USING ERRCODE = 'TF010';
      END IF;
      IF coalesce(t.priority, 5) NOT BETWEEN 1 AND 10 THEN
        RAISE EXCEPTION 'TASK_010: priority % is outside 1..10%', t.priority, where_
          USING ERRCODE = 'TF010';
      END IF;
      IF coalesce(t.max_retries, 3) NOT BETWEEN 0 AND 100 THEN
        RAISE EXCEPTION 'TASK_010: max_retries % is outside 0..100%', t.max_retries, where_
          USING ERRCODE = 'TF010';
      END IF;
      IF t.input_data IS NOT NULL AND jsonb_typeof(t.input_data) <> 'object' THEN
        RAISE EXCEPTION 'TASK_010: input_data must be a JSON object%', where_
          USING ERRCODE = 'TF010';
      END IF;
      IF t.deadline IS NOT NULL AND t.deadline <= now() THEN
        RAISE EXCEPTION 'TASK_010: deadline % is in the past%', t.deadline, where_
          USING ERRCODE = 'TF010';
      END IF;
      IF cardinality(t.depends_on) > 1000 THEN
        RAISE EXCEPTION 'TASK_010: at most 1000 dependencies per task%', where_
          USING ERRCODE = 'TF010';
      END IF;
    END LOOP;
  EXCEPTION WHEN data_exception THEN
    RAISE EXCEPTION 'TASK_010: %', SQLERRM USING ERRCODE = 'TF010';
  END;

  FOR t IN
    SELECT e.ord, x.workspace_id, x.task_description, x.task_type, x.assigned_agent,
           coalesce(x.priority, 5) AS requested_priority,
           CASE WHEN x.deadline - now() <= interval '48 hours'
                THEN greatest(coalesce(x.priority, 5), 9)
                ELSE coalesce(x.priority, 5) END AS priority,
           x.deadline,
           ARRAY(SELECT DISTINCT d FROM unnest(x.depends_on) AS d WHERE d IS NOT NULL ORDER BY d)
             AS depends_on,
           coalesce(x.input_data, '{}') AS input_data, coalesce(x.max_retries, 3) AS max_retries,
           CASE WHEN x.requires_approval THEN 'pending' END AS approval_state
    FROM jsonb_array_elements(tasks) WITH ORDINALITY AS e(value, ord),
         jsonb_to_record(e.value)
           AS x(workspace_id uuid, task_description text, task_type text, assigned_agent text,
                priority integer, depends_on uuid[], input_data jsonb, max_retries integer,
                deadline timestamptz, requires_approval boolean)
    ORDER BY e.ord
  LOOP
    where_ := CASE WHEN n_tasks > 1 THEN format(' (task %s of %s)', t.ord, n_tasks) ELSE '' END;
    -- Under row-level security a workspace outside the caller's scope is invisible, so it
    -- answers as a missing one does (the API's 404 TASK_013).
    IF t.workspace_id <> ALL (ws_seen) THEN
      PERFORM 1 FROM workspaces w WHERE w.id = t.workspace_id;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'TASK_013: workspace % not found%', t.workspace_id, where_
          USING ERRCODE = 'TF013';
      END IF;
      ws_seen := ws_seen || t.workspace_id;
    END IF;

    unmet := 0;
    IF cardinality(t.depends_on) > 0 THEN
      -- Locked FOR SHARE in id order (as task_insert.sql does): a dependency completing
      -- concurrently is either seen completed here, or waits for this transaction and then sees
      -- this task in task_unblock_dependents.sql.
      SELECT array_agg(d.id),
             count(*) FILTER (WHERE NOT taskfleet_dependency_met(d.status, d.approval_state)),
             string_agg(format('%s is %s', d.id, d.status), ', ')
               FILTER (WHERE d.status IN ('failed', 'cancelled'))
        INTO found_, unmet, dead
      FROM (SELECT a.id, a.status, a.approval_state FROM autonomous_tasks a
            WHERE a.id = ANY (t.depends_on) AND a.workspace_id = t.workspace_id
            ORDER BY a.id FOR SHARE) AS d;
      SELECT string_agg(d::text, ', ') INTO unknown
      FROM unnest(t.depends_on) AS d WHERE d <> ALL (coalesce(found_, '{}'));
      IF unknown IS NOT NULL THEN
        RAISE EXCEPTION '%', format('TASK_011: depends_on names tasks not found in this workspace: %s%s',
          unknown, where_) USING ERRCODE = 'TF011';
      END IF;
      IF dead IS NOT NULL THEN
        RAISE EXCEPTION 'TASK_006: dependency %; it can never complete (retry it first)%',
          dead, where_ USING ERRCODE = 'TF006';
      END IF;
    END IF;

    -- A UUIDv7, as the API's ids: time-ordered, so new rows land at the right edge of the
    -- primary key index.
    new_id := encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                placing substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint)
                                  FROM 3)
                FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid;
    INSERT INTO autonomous_tasks (id, workspace_id, task_description, task_type, assigned_agent,
                                  priority, depends_on, input_data, max_retries, next_run_at,
                                  deadline, unmet_deps, approval_state)
    VALUES (new_id, t.workspace_id, t.task_description, t.task_type, t.assigned_agent,
            t.priority, t.depends_on, t.input_data, t.max_retries, now(), t.deadline, unmet,
            t.approval_state)
    RETURNING autonomous_tasks.created_at INTO created;
    IF unmet = 0 THEN
      INSERT INTO task_queue (id, workspace_id, priority, created_at, run_at)
      VALUES (new_id, t.workspace_id, t.priority, created, now());
      ready_now := true;
    END IF;
    INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
    VALUES (t.workspace_id, 'task.created', 'autonomous_tasks', new_id, actor, 'queued',
            jsonb_build_object('assigned_agent', t.assigned_agent, 'priority', t.priority,
                               'task_type', t.task_type));
    IF t.priority > t.requested_priority THEN
      INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
      VALUES (t.workspace_id, 'task.escalated', 'autonomous_tasks', new_id, actor, 'queued',
              jsonb_build_object('from_priority', t.requested_priority, 'to_priority', t.priority,
                                 'deadline', t.deadline, 'at', 'creation'));
    END IF;
    RETURN NEXT new_id;
  END LOOP;

  IF ready_now THEN
    PERFORM pg_notify('taskfleet_ready', 'created');
  END IF;
END
$$;

DROP FUNCTION taskfleet_add_task(uuid, text, text, text, integer, uuid[], jsonb, integer, timestamptz);
CREATE FUNCTION taskfleet_add_task(
  workspace_id uuid,
  task_description text,
  task_type text,
  assigned_agent text,
  priority integer DEFAULT 5,
  depends_on uuid[] DEFAULT '{}',
  input_data jsonb DEFAULT '{}',
  max_retries integer DEFAULT 3,
  deadline timestamptz DEFAULT NULL,
  requires_approval boolean DEFAULT false
) RETURNS uuid
LANGUAGE sql SECURITY INVOKER AS $$
  SELECT id FROM taskfleet_add_tasks(jsonb_build_array(jsonb_build_object(
    'workspace_id', $1, 'task_description', $2, 'task_type', $3, 'assigned_agent', $4,
    'priority', $5, 'depends_on', $6, 'input_data', $7, 'max_retries', $8, 'deadline', $9,
    'requires_approval', $10)))
    AS t(id)
$$;

COMMENT ON FUNCTION taskfleet_add_task(uuid, text, text, text, integer, uuid[], jsonb, integer, timestamptz, boolean) IS
  'Enqueue one task in the caller''s transaction (as POST /api/tasks); returns its id. See README "Enqueue from SQL".';
REVOKE EXECUTE ON FUNCTION taskfleet_add_task(uuid, text, text, text, integer, uuid[], jsonb, integer, timestamptz, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION taskfleet_add_task(uuid, text, text, text, integer, uuid[], jsonb, integer, timestamptz, boolean) TO taskfleet_api;
