-- task_dequeue.sql: take one task out of task_queue (ready or leased) before cancelling it, in
-- the cancel's transaction: locking the task_queue row before the task row, like every writer.
-- A terminal task has no task_queue row, so this changes nothing for one.
-- Params: $1 id uuid, $2 its workspace uuid (its shard, on Citus)
DELETE FROM task_queue WHERE id = $1 AND workspace_id = $2 RETURNING id;
