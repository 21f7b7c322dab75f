-- strategy_list.sql: a workspace's strategies, newest first, with how many tasks each one's
-- decomposition created (0 before it is decomposed), for GET /api/strategies and the
-- dashboard's DAG picker. Read-only; marketing_strategies_workspace_idx finds the rows.
-- Params: $1 workspace_id uuid, $2 at most this many rows int
SELECT s.id, s.name, s.created_at, s.execution_plan IS NOT NULL AS decomposed,
       (SELECT count(*) FROM autonomous_tasks t WHERE t.strategy_id = s.id) AS task_count
FROM marketing_strategies s
WHERE s.workspace_id = $1
ORDER BY s.created_at DESC, s.id
LIMIT $2;
