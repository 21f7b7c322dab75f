-- template_list_enabled.sql: every enabled template of every workspace, for the `templates`
-- sweep (worker login, no row-level security), which computes each one's due tick in Rust
-- (src/templates/tick.rs) and settles it with template_instantiate.sql or
-- template_skip_tick.sql. Reads only; takes no row locks.
-- Params: none
SELECT id, workspace_id, cron, timezone, catch_up_secs, created_at, last_tick
FROM task_templates
WHERE enabled
ORDER BY id;
