-- template_delete.sql: delete one template if it belongs to one of the caller's workspaces
-- (DELETE /api/templates/{id}); no row back means missing or someone else's. Its
-- template_ticks go with it (ON DELETE CASCADE); the tasks it created stay, with their
-- template_id. A sweep instantiating it at the same moment holds its row lock (FOR NO KEY
-- UPDATE in template_instantiate.sql), so the delete waits for that task to commit, and a later
-- sweep no longer finds it.
-- Params: $1 id uuid, $2 the caller's workspaces uuid[]
DELETE FROM task_templates
WHERE id = $1 AND workspace_id = ANY ($2)
RETURNING id, workspace_id, name, cron, timezone, task, enabled, catch_up_secs, created_at,
          last_tick;
