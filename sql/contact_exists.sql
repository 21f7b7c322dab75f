-- contact_exists.sql: whether a contact belongs to a workspace. Params: $1 id uuid, $2 workspace_id uuid
SELECT EXISTS (SELECT 1 FROM contacts WHERE id = $1 AND workspace_id = $2);
