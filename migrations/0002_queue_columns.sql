-- 0002_queue_columns: what the fleet needs on top of the specification's columns.

ALTER TABLE autonomous_tasks
  -- The strategy a task was decomposed from (NULL for tasks created directly).
  ADD COLUMN strategy_id       uuid REFERENCES marketing_strategies(id) ON DELETE SET NULL,
  -- Earliest instant the task may start: retry backoff and time-of-day rules move it; when the
  -- last dependency completes it is raised to that instant, so it also reads "ready since".
  ADD COLUMN next_run_at       timestamptz NOT NULL DEFAULT now(),
  -- The lease: which worker holds the task and until when. A heartbeat renews it.
  ADD COLUMN locked_by         text,
  ADD COLUMN lease_expires_at  timestamptz,
  -- Fresh per claim. Every write by the claiming worker matches it, so a worker that lost its
  -- lease can never overwrite a newer attempt.
  ADD COLUMN attempt_token     uuid,
  -- Dependencies not yet completed. Maintained at insert and by task_complete.sql so the claim
  -- reads one integer instead of joining depends_on; the views recompute it from depends_on.
  ADD COLUMN unmet_deps        integer NOT NULL DEFAULT 0 CHECK (unmet_deps >= 0);

-- The claim: queued, unblocked tasks in claim order. Terminal rows are not in it, so a table
-- full of completed history does not slow the claim.
CREATE INDEX autonomous_tasks_claim_idx ON autonomous_tasks (priority DESC, created_at, id)
  WHERE status = 'queued' AND unmet_deps = 0;

-- Dependents of a completed task (task_complete.sql), only over tasks that have dependencies.
CREATE INDEX autonomous_tasks_depends_on_idx ON autonomous_tasks USING gin (depends_on)
  WHERE depends_on <> '{}';

-- Lease reaper and stuck_tasks. Keyed on id (never updated) so heartbeats stay HOT updates.
CREATE INDEX autonomous_tasks_in_progress_idx ON autonomous_tasks (id)
  WHERE status = 'in_progress';

-- Status pages and summaries per workspace.
CREATE INDEX autonomous_tasks_workspace_idx ON autonomous_tasks (workspace_id, status);
CREATE INDEX autonomous_tasks_strategy_idx ON autonomous_tasks (strategy_id)
  WHERE strategy_id IS NOT NULL;

-- The hot table is updated several times per task: vacuum it early so dead tuples do not pile
-- up in the claim index between autovacuum runs.
ALTER TABLE autonomous_tasks SET (
  autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_analyze_scale_factor = 0.02,
  fillfactor = 90
);
