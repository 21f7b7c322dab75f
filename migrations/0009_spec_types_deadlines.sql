-- 0009_spec_types_deadlines: the specification's task types, deadlines, and alert state.

-- task_type takes the specification's nine values only. Rows of the two extra types that
-- decomposition used to derive from the agent ('scheduling' for calendar-agent, 'general' for
-- general-executor) are classified again from their description by the keyword rules of contract
-- section 8, in their order (src/decompose/rules.rs has the same rules). Postgres' \m and \M are
-- word boundaries; `s?` allows the plural.
ALTER TABLE autonomous_tasks DROP CONSTRAINT autonomous_tasks_task_type_check;
UPDATE autonomous_tasks
SET task_type = CASE
      WHEN task_description ~* '\m(email|newsletter|drip)s?\M' THEN 'email'
      WHEN task_description ~* '\m(social|post|tweet|instagram|facebook|tiktok)s?\M'
        THEN 'social_media'
      WHEN task_description ~* '\m(analytics|tracking|report|dashboard|kpi|metric)s?\M'
        THEN 'analysis'
      WHEN task_description ~* '\m(design|graphic|visual|banner|image|mockup)s?\M' THEN 'design'
      WHEN task_description ~* '\m(research|survey|interview|competitor)s?\M' THEN 'research'
      WHEN task_description ~* '\m(blog|content|copy|article|write|whitepaper|video|case\s+study)s?\M'
        THEN 'content'
      WHEN task_description ~* '\m(ad|campaign|launch|webinar|event|promotion)s?\M' THEN 'campaign'
      WHEN task_description ~* '\m(strategy|plan|positioning|messaging)s?\M' THEN 'strategy'
      ELSE 'other'
    END
WHERE task_type IN ('scheduling', 'general');
ALTER TABLE autonomous_tasks ADD CONSTRAINT autonomous_tasks_task_type_check CHECK (task_type IN (
  'content', 'design', 'campaign', 'analysis', 'email', 'social_media', 'research', 'strategy',
  'other'));

-- When the task must be done by (optional). A non-terminal task whose deadline is within 48 hours
-- has priority 9 or more: set at creation, raised later by the deadline_escalation sweep.
ALTER TABLE autonomous_tasks ADD COLUMN deadline timestamptz;
-- The sweep's lookup. Neither status nor priority is in it, so claims and completions stay HOT
-- updates (migration 0008).
CREATE INDEX autonomous_tasks_deadline_idx ON autonomous_tasks (deadline)
  WHERE deadline IS NOT NULL;

-- The alerts sweep's memory: per workspace and alert, whether it was firing when last evaluated
-- and since when, so alert.raised / alert.resolved are written once per change.
CREATE TABLE alert_states (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (name IN ('queue_depth', 'failure_rate', 'slow_execution')),
  firing        boolean NOT NULL,
  since         timestamptz NOT NULL,
  value         double precision NOT NULL,
  PRIMARY KEY (workspace_id, name)
);
ALTER TABLE alert_states ENABLE ROW LEVEL SECURITY;
CREATE POLICY caller_workspaces ON alert_states
  USING (workspace_id = ANY (taskfleet_caller_workspaces()));
GRANT SELECT ON alert_states TO taskfleet_api;
