-- audit_insert.sql: one audit row for a change that is not a task transition (strategy.decomposed).
-- Params: $1 workspace_id uuid, $2 action text, $3 resource text, $4 resource_id uuid,
--         $5 actor text, $6 status text, $7 details jsonb
INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
VALUES ($1, $2, $3, $4, $5, $6, $7);
