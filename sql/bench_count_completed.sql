-- bench_count_completed.sql: completed measured tasks of one workspace (the benchmark's clock
-- stops when the database says all are done; a backlog in the same workspace has a lower
-- priority). Params: $1 workspace_id uuid, $2 the measured tasks' priority int
SELECT count(*) FROM autonomous_tasks WHERE workspace_id = $1 AND status = 'completed' AND priority = $2;
