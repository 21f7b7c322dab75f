-- strategy_set_plan.sql: record the execution plan of a strategy's decomposition (same transaction
-- as its tasks). Params: $1 strategy id uuid, $2 plan jsonb
UPDATE marketing_strategies SET execution_plan = $2, updated_at = now() WHERE id = $1;
