-- bench_count_completed.sql: completed tasks of one workspace (the benchmark's clock stops when
-- the database says all are done). Params: $1 workspace_id uuid
SELECT count(*) FROM autonomous_tasks WHERE workspace_id = $1 AND status = 'completed';
