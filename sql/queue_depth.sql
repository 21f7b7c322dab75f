-- queue_depth.sql: fleet-wide gauges for the metrics sweep: tasks by status, ready tasks, ready
-- tasks waiting longer than $1 seconds (stale), and the oldest ready task's age in seconds.
-- Then the results awaiting approval, and those waiting longer than $2 seconds (the partial
-- index of migration 0014 holds only tasks that need approval).
-- Params: $1 stale threshold float8 (seconds), $2 approval reminder threshold float8 (seconds)
SELECT
  (SELECT count(*) FROM autonomous_tasks WHERE status = 'queued') AS queued,
  (SELECT count(*) FROM task_queue WHERE locked_by IS NOT NULL) AS in_progress,
  (SELECT count(*) FROM ready_tasks) AS ready,
  (SELECT count(*) FROM ready_tasks WHERE next_run_at < now() - make_interval(secs => $1)) AS stale,
  (SELECT coalesce(extract(epoch FROM now() - min(next_run_at)), 0) FROM ready_tasks)::float8 AS oldest_ready_age,
  (SELECT count(*) FROM autonomous_tasks
   WHERE approval_state = 'pending' AND status = 'completed') AS approvals_pending,
  (SELECT count(*) FROM autonomous_tasks
   WHERE approval_state = 'pending' AND status = 'completed'
     AND completed_at < now() - make_interval(secs => $2)) AS approvals_stale;
