-- 0001_core_tables: the specification's tables plus the tenancy and agent registry around them.
-- Every row of tenant data carries workspace_id; the API scopes every query by it (and RLS backs that up).

CREATE TABLE workspaces (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (btrim(name) <> ''),
  -- IANA zone for time-of-day rules; NULL means TASKFLEET_TIMEZONE (Australia/Sydney by default).
  timezone    text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contacts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name          text,
  email         text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_workspace_idx ON contacts (workspace_id);

CREATE TABLE marketing_strategies (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id       uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  contact_id         uuid REFERENCES contacts(id) ON DELETE SET NULL,
  name               text NOT NULL,
  campaign_calendar  jsonb NOT NULL,
  content_pillars    jsonb NOT NULL DEFAULT '[]',
  kpis               jsonb NOT NULL DEFAULT '[]',
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX marketing_strategies_workspace_idx ON marketing_strategies (workspace_id);

-- Downstream agents: tasks whose assigned_agent = name are POSTed to url.
-- Global (not per workspace): agents are platform services shared by every tenant.
CREATE TABLE agents (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]*$'),
  url         text NOT NULL CHECK (url ~ '^https?://'),
  enabled     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The specification's task table, column for column. Deviations, all stricter or additive:
--   * task_type also allows 'scheduling' and 'general', the types decomposition derives from
--     calendar-agent and general-executor (contract section 8);
--   * NOT NULL on columns the fleet always writes, so a DBA never has to reason about NULL priority.
CREATE TABLE autonomous_tasks (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id      uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  contact_id        uuid REFERENCES contacts(id) ON DELETE SET NULL,

  task_description  text NOT NULL,
  task_type         text NOT NULL CHECK (task_type IN (
                      'content', 'design', 'campaign', 'analysis', 'email',
                      'social_media', 'research', 'strategy', 'other',
                      'scheduling', 'general')),
  assigned_agent    text NOT NULL,

  priority          integer NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
  status            text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'in_progress', 'completed', 'failed', 'cancelled')),
  depends_on        uuid[] NOT NULL DEFAULT '{}',

  input_data        jsonb NOT NULL DEFAULT '{}',
  output_data       jsonb,
  error_message     text,

  started_at        timestamptz,
  completed_at      timestamptz,
  retry_count       integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
  max_retries       integer NOT NULL DEFAULT 3 CHECK (max_retries BETWEEN 0 AND 100),

  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The specification's audit trail, plus id, workspace_id and created_at.
-- org_id is the workspace (the spec's name for the tenant); generated so it can never disagree.
-- No foreign key on workspace_id: audit inserts ride on every state change and must stay cheap.
CREATE TABLE audit_logs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid,
  org_id        uuid GENERATED ALWAYS AS (workspace_id) STORED,
  action        text NOT NULL,
  resource      text NOT NULL,
  resource_id   uuid,
  agent         text NOT NULL,
  status        text,
  details       jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_resource_idx ON audit_logs (resource_id, id);
-- BRIN: rows arrive in time order, so a tiny index serves the retention sweep's range deletes.
CREATE INDEX audit_logs_created_brin ON audit_logs USING brin (created_at);
