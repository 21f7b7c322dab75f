-- Design E (built in migration 0008): D, with the leased index on locked_by (heartbeats stay HOT)
-- and the task row marked in_progress by a HOT update at claim, so its status is truthful.
\i common.sql
CREATE INDEX t_ws_created ON t (workspace_id, created_at, id);
ALTER TABLE t SET (fillfactor = 70);
CREATE TABLE hot (id uuid PRIMARY KEY, workspace_id uuid NOT NULL, priority int NOT NULL, created_at timestamptz NOT NULL, run_at timestamptz NOT NULL DEFAULT now(),
  locked_by text, locked_until timestamptz, token uuid);
CREATE INDEX hot_claim ON hot (priority DESC, created_at, id) WHERE locked_by IS NULL;
CREATE INDEX hot_locked ON hot (locked_by) WHERE locked_by IS NOT NULL;
INSERT INTO t (id, workspace_id, task_description, task_type, assigned_agent, priority, created_at)
SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g),12,'0'))::uuid, (SELECT id FROM ws ORDER BY id OFFSET (g % 4) LIMIT 1), 'task ' || g, 'other', 'general-executor', 5, now() + g * interval '1 microsecond'
FROM generate_series(1, :rows) g;
INSERT INTO hot (id, workspace_id, priority, created_at) SELECT id, workspace_id, priority, created_at FROM t;
VACUUM ANALYZE t; VACUUM ANALYZE hot;
CREATE SEQUENCE IF NOT EXISTS spike_ids START 100000000;
