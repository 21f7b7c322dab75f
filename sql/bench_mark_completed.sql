-- bench_mark_completed.sql: turn a workspace's tasks into finished history (the benchmark's
-- "after 1,000,000 completed tasks" runs). Params: $1 workspace_id uuid
UPDATE autonomous_tasks
SET status = 'completed', started_at = now(), completed_at = now(), output_data = '{}'
WHERE workspace_id = $1;
