-- task_claim_workspaces.sql (Citus only): the workspaces with tasks ready now, for the claim's
-- per-workspace form (task_claim_workspace.sql). Grouped by the distribution column, so each
-- shard answers for its own workspaces from task_queue_fair_idx and only the ids travel.
SELECT q.workspace_id
FROM task_queue q
WHERE q.locked_by IS NULL
  AND q.run_at <= now()
GROUP BY q.workspace_id;
