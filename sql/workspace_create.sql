-- workspace_create.sql: create a workspace (tenant). Params: $1 name text, $2 timezone text (NULL = default)
INSERT INTO workspaces (name, timezone)
VALUES ($1, $2)
RETURNING id;
