-- strategy_exists.sql: whether a strategy belongs to a workspace (the strategy_id filter of
-- GET /api/tasks/status). Params: $1 id uuid, $2 workspace_id uuid
SELECT EXISTS (SELECT 1 FROM marketing_strategies WHERE id = $1 AND workspace_id = $2);
