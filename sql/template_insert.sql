-- template_insert.sql: create a recurring task template (POST /api/templates, `taskfleet
-- templates create`). The caller has validated every field: the cron expression, the zone, and
-- the task body as POST /api/tasks would (stored with its defaults filled in).
-- Under row-level security (the API) only a workspace of the caller is accepted.
-- Params: $1 id uuid, $2 workspace_id uuid, $3 name text, $4 cron text, $5 timezone text,
--         $6 task jsonb, $7 enabled bool, $8 catch_up_secs int, $9 created_at timestamptz
--         (the caller's clock: ticks are counted from it)
INSERT INTO task_templates (id, workspace_id, name, cron, timezone, task, enabled, catch_up_secs,
                            created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id, workspace_id, name, cron, timezone, task, enabled, catch_up_secs, created_at,
          last_tick;
