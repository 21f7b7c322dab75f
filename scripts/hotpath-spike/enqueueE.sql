WITH ins AS (
  INSERT INTO t (id, workspace_id, task_description, task_type, assigned_agent, priority)
  SELECT uuid_in(overlay(overlay(md5(random()::text || clock_timestamp()::text) placing '7' from 13) placing '8' from 17)::cstring),
         (SELECT id FROM ws ORDER BY id OFFSET (g % 4) LIMIT 1), 'task ' || g, 'other', 'general-executor', 5
  FROM generate_series(1, 500) g
  RETURNING id, workspace_id, priority, created_at)
INSERT INTO hot (id, workspace_id, priority, created_at) SELECT id, workspace_id, priority, created_at FROM ins;
