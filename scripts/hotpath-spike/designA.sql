-- Design A: the shape before migration 0008 (wide row with status in its indexes, audit rows).
\i common.sql
CREATE INDEX t_claim ON t (priority DESC, created_at, id) WHERE status = 'queued' AND unmet_deps = 0;
CREATE INDEX t_inprog ON t (id) WHERE status = 'in_progress';
CREATE INDEX t_ws_status ON t (workspace_id, status);
CREATE INDEX t_ws_created ON t (workspace_id, created_at, id);
ALTER TABLE t SET (fillfactor = 90);
INSERT INTO t (id, workspace_id, task_description, task_type, assigned_agent, priority, created_at)
SELECT gen_random_uuid(), (SELECT id FROM ws ORDER BY id OFFSET (g % 4) LIMIT 1), 'task ' || g, 'other', 'general-executor', 5, now() + g * interval '1 microsecond'
FROM generate_series(1, :rows) g;
VACUUM ANALYZE t;
