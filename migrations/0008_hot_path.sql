-- 0008_hot_path: the queue's hot writes move to a narrow table, so the task rows take only HOT
-- updates while tasks run (hot path v2; BENCHMARKS.md has the spike and the measurements).
--
-- task_queue holds every task that is ready or leased: queued with no unmet dependency (due now
-- or later: run_at is its next_run_at), or in_progress with its lease. Claims lock and update it;
-- completions and failures delete from it; blocked tasks enter it when their last dependency
-- completes. autonomous_tasks stays the record DBAs read: its status, lease and attempt token are
-- written in the same statements, but no index mentions them any more, so those updates are HOT
-- (no index insertions) where the page has room (fillfactor 40, below).
--
-- Rows in both tables are always locked task_queue first, then autonomous_tasks, in id order, so
-- claims, completions, heartbeats, cancels and the reaper cannot deadlock one another.

CREATE TABLE task_queue (
  id                uuid PRIMARY KEY,
  workspace_id      uuid NOT NULL,
  priority          integer NOT NULL,
  -- The task's created_at: with priority, the claim order of ready_tasks.
  created_at        timestamptz NOT NULL,
  -- The task's next_run_at: not claimed before.
  run_at            timestamptz NOT NULL,
  locked_by         text,
  lease_expires_at  timestamptz,
  attempt_token     uuid
) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.01,
        autovacuum_analyze_scale_factor = 0.02);

-- The claim: unleased tasks in claim order. run_at is included so that counting the ready tasks
-- (KEDA's `SELECT count(*) FROM ready_tasks`) is an index-only scan: 100 ms instead of 1.1 s at
-- 300k ready tasks on this machine (scripts/measure-views.sh).
CREATE INDEX task_queue_claim_idx ON task_queue (priority DESC, created_at, id) INCLUDE (run_at)
  WHERE locked_by IS NULL;
-- The reaper and stuck_tasks: leased tasks. locked_by does not change on a heartbeat, so
-- renewing a lease stays a HOT update.
CREATE INDEX task_queue_leased_idx ON task_queue (locked_by) WHERE locked_by IS NOT NULL;

INSERT INTO task_queue (id, workspace_id, priority, created_at, run_at, locked_by,
                        lease_expires_at, attempt_token)
SELECT id, workspace_id, priority, created_at, next_run_at, locked_by, lease_expires_at,
       attempt_token
FROM autonomous_tasks
WHERE (status = 'queued' AND unmet_deps = 0) OR status = 'in_progress';

-- Indexes whose key or predicate mentions status or unmet_deps made every claim and completion
-- a non-HOT update of the wide row. The claim and the reaper read task_queue now; paging by
-- workspace uses autonomous_tasks_workspace_page_idx (workspace_id, created_at, id).
DROP INDEX autonomous_tasks_claim_idx;
DROP INDEX autonomous_tasks_in_progress_idx;
DROP INDEX autonomous_tasks_workspace_idx;
-- Room on each page for the new versions of its rows (pages written from now on): a claim writes
-- one and the completion another, and a claim takes a whole page of consecutive tasks at once.
-- At 70 only 37 % of claims found room (measured on 200k tasks of 170 bytes), at 50 84 %, at 40
-- all of them; the claim took 13-16 ms per 250 tasks at 70 and 7-9 ms at 40. The price is space:
-- a finished task's page stays 40 % full (87 MB per 200k tasks instead of 48 MB).
ALTER TABLE autonomous_tasks SET (fillfactor = 40);

ALTER TABLE task_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY caller_workspaces ON task_queue
  USING (workspace_id = ANY (taskfleet_caller_workspaces()))
  WITH CHECK (workspace_id = ANY (taskfleet_caller_workspaces()));
GRANT SELECT, INSERT, UPDATE, DELETE ON task_queue TO taskfleet_api;

-- The views read the queue's own structures instead of recomputing readiness from depends_on
-- for every queued row (0.7-1.3 s at 1M tasks). `sql/queue_check.sql` recomputes it from
-- depends_on and lists every disagreement; the tests run it after each kind of transition.
-- A LEFT JOIN on the task row's primary key: a query that reads no task column (a count) skips
-- the join altogether. Every task_queue row has its task row (queue_check.sql checks it).
CREATE OR REPLACE VIEW ready_tasks AS
SELECT t.*
FROM task_queue q
LEFT JOIN autonomous_tasks t ON t.id = q.id
WHERE q.locked_by IS NULL
  AND q.run_at <= now()
ORDER BY q.priority DESC, q.created_at, q.id;

CREATE OR REPLACE VIEW stuck_tasks AS
SELECT t.id,
       t.workspace_id,
       t.assigned_agent,
       q.locked_by,
       q.lease_expires_at,
       now() - q.lease_expires_at AS expired_for,
       t.started_at,
       t.retry_count,
       q.attempt_token
FROM task_queue q
JOIN autonomous_tasks t ON t.id = q.id
WHERE q.locked_by IS NOT NULL
  AND q.lease_expires_at < now();

-- Ready counts come from task_queue; status counts still read the workspace's task rows.
CREATE OR REPLACE VIEW queue_summary AS
SELECT w.id AS workspace_id,
       w.name AS workspace_name,
       c.total, c.queued, c.in_progress, c.completed, c.failed, c.cancelled,
       r.ready,
       r.oldest_ready_age
FROM workspaces w
CROSS JOIN LATERAL (
  SELECT count(*) AS total,
         count(*) FILTER (WHERE status = 'queued') AS queued,
         count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
         count(*) FILTER (WHERE status = 'completed') AS completed,
         count(*) FILTER (WHERE status = 'failed') AS failed,
         count(*) FILTER (WHERE status = 'cancelled') AS cancelled
  FROM autonomous_tasks t WHERE t.workspace_id = w.id) c
CROSS JOIN LATERAL (
  SELECT count(*) AS ready, now() - min(q.run_at) AS oldest_ready_age
  FROM task_queue q
  WHERE q.workspace_id = w.id AND q.locked_by IS NULL AND q.run_at <= now()) r;

-- Replacing a view keeps its query's owner rights unless told again.
ALTER VIEW ready_tasks SET (security_invoker = true);
ALTER VIEW stuck_tasks SET (security_invoker = true);
ALTER VIEW queue_summary SET (security_invoker = true);
