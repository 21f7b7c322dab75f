-- citus_distribute.sql: spreads the schema over a Citus cluster by workspace (issue 19); run by
-- `taskfleet migrate` after the migrations when the database has the citus extension. One
-- transaction, and a no-op once autonomous_tasks is distributed, so it is as idempotent as the
-- migrations. The number of shards is Citus's own setting, citus.shard_count (32 by default).
--
-- - Tenant data is distributed on workspace_id and co-located: a workspace's tasks, queue rows,
--   audit rows, strategies and contacts live in one shard group, so every statement that names a
--   workspace runs on one node. Their primary keys become (workspace_id, id), as Citus requires.
-- - The small shared tables that tenant tables join or refer to become reference tables, copied
--   to every node. The fleet's own state (agents with their breakers, token buckets and permits;
--   sweep_runs) stays in plain tables on the coordinator: written on every agent call, it would
--   otherwise be a two-phase commit to every node each time.
-- - Citus refuses tables with triggers, so the statement-level reference checks of migration
--   0016 give way to foreign keys, which Citus checks on the shards: to workspaces (a reference
--   table) with ON DELETE CASCADE, and to a strategy or contact of the same workspace. Citus
--   cannot SET NULL part of a key that holds the distribution column, so on Citus a strategy or
--   contact that tasks still refer to cannot be deleted (NO ACTION) instead of being detached.
DO $distribute$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'autonomous_tasks'::regclass) THEN
    RETURN;
  END IF;

  DROP TRIGGER IF EXISTS tasks_on_delete ON workspaces;
  DROP TRIGGER IF EXISTS tasks_on_delete ON contacts;
  DROP TRIGGER IF EXISTS tasks_on_delete ON marketing_strategies;
  DROP TRIGGER IF EXISTS check_refs_on_insert ON autonomous_tasks;
  DROP TRIGGER IF EXISTS check_refs_on_update ON autonomous_tasks;

  ALTER TABLE marketing_strategies DROP CONSTRAINT marketing_strategies_contact_id_fkey;
  ALTER TABLE contacts DROP CONSTRAINT contacts_pkey, ADD PRIMARY KEY (workspace_id, id);
  ALTER TABLE marketing_strategies DROP CONSTRAINT marketing_strategies_pkey,
    ADD PRIMARY KEY (workspace_id, id);
  ALTER TABLE autonomous_tasks DROP CONSTRAINT autonomous_tasks_pkey,
    ADD PRIMARY KEY (workspace_id, id);
  ALTER TABLE task_queue DROP CONSTRAINT task_queue_pkey, ADD PRIMARY KEY (workspace_id, id);
  ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_pkey, ADD PRIMARY KEY (workspace_id, id);
  DROP INDEX autonomous_tasks_strategy_plan_idx;
  CREATE UNIQUE INDEX autonomous_tasks_strategy_plan_idx
    ON autonomous_tasks (workspace_id, strategy_id, plan_index)
    WHERE strategy_id IS NOT NULL AND plan_index IS NOT NULL;

  PERFORM create_reference_table(t)
  FROM unnest(ARRAY['workspaces', 'alert_states', 'task_templates', 'template_ticks']) AS t;
  PERFORM create_distributed_table('marketing_strategies', 'workspace_id');
  PERFORM create_distributed_table(t, 'workspace_id', colocate_with => 'marketing_strategies')
  FROM unnest(ARRAY['contacts', 'autonomous_tasks', 'task_queue', 'audit_logs']) AS t;

  ALTER TABLE marketing_strategies
    ADD FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id);
  ALTER TABLE autonomous_tasks
    ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;
  ALTER TABLE autonomous_tasks
    ADD FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id);
  ALTER TABLE autonomous_tasks
    ADD FOREIGN KEY (workspace_id, strategy_id) REFERENCES marketing_strategies (workspace_id, id);
  ALTER TABLE task_queue
    ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;

  -- The API's SET LOCAL of the caller's workspaces (tenant_scope.sql) must reach the worker
  -- nodes, where the shards' row-level security reads it. New sessions pick this up.
  EXECUTE format('ALTER DATABASE %I SET citus.propagate_set_commands = %L',
                 current_database(), 'local');
END
$distribute$;
