-- Design D (../shared/hotpath-spike): a narrow hot table holds readiness and the lease; the task
-- row is written at creation and once at completion (its status stays queued while it runs).
\i common.sql
CREATE INDEX t_ws_created ON t (workspace_id, created_at, id);
ALTER TABLE t SET (fillfactor = 70);
CREATE TABLE hot (id uuid PRIMARY KEY, workspace_id uuid NOT NULL, priority int NOT NULL, created_at timestamptz NOT NULL, run_at timestamptz NOT NULL DEFAULT now(),
  locked_by text, locked_until timestamptz, token uuid);
CREATE INDEX hot_claim ON hot (priority DESC, created_at, id) WHERE locked_by IS NULL;
CREATE INDEX hot_locked ON hot (locked_until) WHERE locked_by IS NOT NULL;
INSERT INTO t (id, workspace_id, task_description, task_type, assigned_agent, priority, created_at)
SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g),12,'0'))::uuid, (SELECT id FROM ws ORDER BY id OFFSET (g % 4) LIMIT 1), 'task ' || g, 'other', 'general-executor', 5, now() + g * interval '1 microsecond'
FROM generate_series(1, :rows) g;
INSERT INTO hot (id, workspace_id, priority, created_at) SELECT id, workspace_id, priority, created_at FROM t;
VACUUM ANALYZE t; VACUUM ANALYZE hot;
