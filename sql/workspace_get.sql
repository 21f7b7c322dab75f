-- workspace_get.sql: a workspace by id (under RLS: only the caller's). Params: $1 id uuid
SELECT id, name, timezone
FROM workspaces
WHERE id = $1;
