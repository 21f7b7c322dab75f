-- 0005_lifecycle: cancellation cascades, manual retry, and cron sweeps.

-- The task whose cancellation or failure cancelled this one (TASK_006). A manual retry of that
-- upstream re-queues exactly the tasks cancelled on its account.
ALTER TABLE autonomous_tasks ADD COLUMN cancelled_by uuid;
CREATE INDEX autonomous_tasks_cancelled_by_idx ON autonomous_tasks (cancelled_by)
  WHERE cancelled_by IS NOT NULL;

-- Last cron tick each fleet-wide sweep ran for. Claiming a tick is one conditional UPDATE, so
-- a sweep runs once per tick however many workers reach it.
CREATE TABLE sweep_runs (
  name         text PRIMARY KEY,
  last_tick    timestamptz NOT NULL,
  last_run_at  timestamptz NOT NULL DEFAULT now(),
  last_result  jsonb NOT NULL DEFAULT '{}'
);
GRANT SELECT ON sweep_runs TO taskfleet_api;
