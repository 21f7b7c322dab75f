-- 0012_templates: recurring task templates (issue 17). A template is a task body plus a cron
-- expression read on a zone's wall clock; the `templates` sweep (src/templates/) creates one
-- task per due tick.

CREATE TABLE task_templates (
  id             uuid PRIMARY KEY,
  workspace_id   uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name           text NOT NULL CHECK (btrim(name) <> ''),
  -- The `cron` crate's syntax (contract section 8): 6 or 7 fields, seconds first.
  cron           text NOT NULL,
  -- IANA zone the cron is read in; the workspace's (or TASKFLEET_TIMEZONE) when created without
  -- one, resolved at creation so a later change of the workspace's zone does not move it.
  timezone       text NOT NULL,
  -- The POST /api/tasks body without workspace_id, validated by the API at creation and stored
  -- with its defaults filled in: task_description, task_type, assigned_agent, priority,
  -- input_data, max_retries. Instantiation never re-validates it (sql/template_instantiate.sql).
  task           jsonb NOT NULL CHECK (jsonb_typeof(task) = 'object'),
  enabled        boolean NOT NULL DEFAULT true,
  -- A missed tick runs late only while it is younger than this (the latest missed one only).
  catch_up_secs  integer NOT NULL DEFAULT 3600 CHECK (catch_up_secs > 0),
  -- Ticks are counted from here until the first one is settled.
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- The latest tick settled: its task created, or skipped as too old to catch up. Only ticks
  -- after it are due.
  last_tick      timestamptz
);
CREATE INDEX task_templates_workspace_idx ON task_templates (workspace_id, created_at, id);

-- One task per (template, tick), whichever worker gets there: the real guarantee behind the
-- sweep's advisory lock and last_tick. Written by the same statement as the task, so a second
-- worker's attempt at the same tick inserts nothing. A separate table keeps autonomous_tasks
-- (the hot table) free of another index. task_id is not a foreign key: retention deletes old
-- tasks, and the tick must stay settled after that.
CREATE TABLE template_ticks (
  template_id  uuid NOT NULL REFERENCES task_templates(id) ON DELETE CASCADE,
  tick         timestamptz NOT NULL,
  task_id      uuid NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (template_id, tick)
);

-- The template a task was created from. No foreign key and no index: deleting a template keeps
-- its tasks (and their history), and no query looks tasks up by template on the hot table.
ALTER TABLE autonomous_tasks ADD COLUMN template_id uuid;

-- The API creates, lists and deletes templates as taskfleet_api, under the caller's workspaces;
-- template_ticks is written by workers only (the owner login), and its rows go with their
-- template through the cascade.
ALTER TABLE task_templates ENABLE ROW LEVEL SECURITY;
CREATE POLICY caller_workspaces ON task_templates
  USING (workspace_id = ANY (taskfleet_caller_workspaces()))
  WITH CHECK (workspace_id = ANY (taskfleet_caller_workspaces()));
GRANT SELECT, INSERT, DELETE ON task_templates TO taskfleet_api;
