-- template_skip_tick.sql: settle a missed tick that is older than the template's catch_up_secs
-- without creating its task (the catch-up rule: after downtime only the latest missed tick may
-- run, and only while young enough). Moves last_tick forward only, so a slower worker holding
-- an older computation changes nothing.
-- Params: $1 template id uuid, $2 tick timestamptz
UPDATE task_templates
SET last_tick = $2
WHERE id = $1 AND (last_tick IS NULL OR last_tick < $2)
RETURNING id;
