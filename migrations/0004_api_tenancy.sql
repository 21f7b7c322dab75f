-- 0004_api_tenancy: what the API needs: decomposition bookkeeping, paging, and row-level
-- security as defence in depth behind the API's own workspace checks.

-- Position of a task in its strategy's decomposition plan. Unique per strategy, so two racing
-- decompositions of one strategy cannot both insert its tasks: the database refuses duplicates.
ALTER TABLE autonomous_tasks ADD COLUMN plan_index integer;
CREATE UNIQUE INDEX autonomous_tasks_strategy_plan_idx ON autonomous_tasks (strategy_id, plan_index)
  WHERE strategy_id IS NOT NULL AND plan_index IS NOT NULL;

-- Status pages walk a workspace's tasks in creation order (keyset paging).
CREATE INDEX autonomous_tasks_workspace_page_idx ON autonomous_tasks (workspace_id, created_at, id);

-- The API's role. The API keeps its own DATABASE_URL login and switches to this role inside each
-- transaction (SET LOCAL ROLE), together with the caller's workspaces; workers stay on the login
-- role, which owns the tables and so bypasses the policies. Roles are cluster-wide, so creating it
-- must tolerate another database of the same cluster doing the same at the same moment.
DO $$
BEGIN
  CREATE ROLE taskfleet_api NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END $$;
DO $$
BEGIN
  EXECUTE format('GRANT taskfleet_api TO %I', current_user);
EXCEPTION WHEN others THEN
  -- Already a member, or a superuser (who may SET ROLE to anything).
  NULL;
END $$;

-- The workspaces of the current API caller, as set by the API for the transaction.
CREATE FUNCTION taskfleet_caller_workspaces() RETURNS uuid[]
LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('taskfleet.workspaces', true), ''), '{}')::uuid[]
$$;

GRANT USAGE ON SCHEMA public TO taskfleet_api;
GRANT SELECT ON workspaces, agents TO taskfleet_api;
GRANT SELECT, INSERT, UPDATE ON autonomous_tasks, marketing_strategies, contacts TO taskfleet_api;
GRANT SELECT, INSERT ON audit_logs TO taskfleet_api;
GRANT SELECT ON ready_tasks, blocked_tasks, queue_summary, stuck_tasks TO taskfleet_api;
GRANT EXECUTE ON FUNCTION taskfleet_caller_workspaces() TO taskfleet_api;

ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE marketing_strategies ENABLE ROW LEVEL SECURITY;
ALTER TABLE autonomous_tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;

CREATE POLICY caller_workspaces ON workspaces
  USING (id = ANY (taskfleet_caller_workspaces()));
CREATE POLICY caller_workspaces ON contacts
  USING (workspace_id = ANY (taskfleet_caller_workspaces()))
  WITH CHECK (workspace_id = ANY (taskfleet_caller_workspaces()));
CREATE POLICY caller_workspaces ON marketing_strategies
  USING (workspace_id = ANY (taskfleet_caller_workspaces()))
  WITH CHECK (workspace_id = ANY (taskfleet_caller_workspaces()));
CREATE POLICY caller_workspaces ON autonomous_tasks
  USING (workspace_id = ANY (taskfleet_caller_workspaces()))
  WITH CHECK (workspace_id = ANY (taskfleet_caller_workspaces()));
CREATE POLICY caller_workspaces ON audit_logs
  USING (workspace_id = ANY (taskfleet_caller_workspaces()))
  WITH CHECK (workspace_id = ANY (taskfleet_caller_workspaces()));

-- Views run with their owner's rights by default, which would bypass the policies above for the
-- API role; security_invoker makes them apply the caller's.
ALTER VIEW ready_tasks SET (security_invoker = true);
ALTER VIEW blocked_tasks SET (security_invoker = true);
ALTER VIEW queue_summary SET (security_invoker = true);
ALTER VIEW stuck_tasks SET (security_invoker = true);
