-- 0017_fair_claim: the claim shared across workspaces (TASKFLEET_CLAIM_ORDER=fair, the default;
-- sql/task_claim.sql). Unleased tasks by workspace, in each workspace's claim order: the claim
-- finds the workspaces with work by a loose scan of this index (one probe per workspace) and
-- takes each one's share from it. Like task_queue_claim_idx it holds only unleased rows, so a
-- claim moves a row out of it and a heartbeat never touches it.
CREATE INDEX task_queue_fair_idx ON task_queue (workspace_id, priority DESC, created_at, id)
  INCLUDE (run_at)
  WHERE locked_by IS NULL;
