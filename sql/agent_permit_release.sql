-- agent_permit_release.sql: give a permit back after the call (only if this task still holds
-- it: an expired permit may have been taken by another call meanwhile).
-- Params: $1 agent name text, $2 slot int, $3 task id uuid
UPDATE agent_permits
SET task_id = NULL, holder = NULL, expires_at = NULL
WHERE agent = $1 AND slot = $2 AND task_id = $3;
