-- bench_mark_completed.sql: turn a workspace's tasks into finished history (the benchmark's
-- "after 1,000,000 completed tasks" runs): out of task_queue, completed in the task table.
-- Params: $1 workspace_id uuid
WITH dequeued AS (
  DELETE FROM task_queue WHERE workspace_id = $1
)
UPDATE autonomous_tasks
SET status = 'completed', started_at = now(), completed_at = now(), output_data = '{}'
WHERE workspace_id = $1;
