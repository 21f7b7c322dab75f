-- Enqueue as design E does it: 500 task rows and their 500 hot rows in one statement, with
-- time-ordered ids (a sequence standing in for UUIDv7) and the workspace looked up once.
WITH ins AS (
  INSERT INTO t (id, workspace_id, task_description, task_type, assigned_agent, priority)
  SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(nextval('spike_ids')), 12, '0'))::uuid,
         (ARRAY(SELECT id FROM ws ORDER BY id))[1 + g % 4], 'task ' || g, 'other', 'general-executor', 5
  FROM generate_series(1, 500) g
  RETURNING id, workspace_id, priority, created_at)
INSERT INTO hot (id, workspace_id, priority, created_at) SELECT id, workspace_id, priority, created_at FROM ins;
