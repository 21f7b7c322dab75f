-- task_list_by_strategy.sql: a strategy's decomposed tasks in plan order, with their plan position.
-- Params: $1 strategy_id uuid
SELECT id, plan_index
FROM autonomous_tasks
WHERE strategy_id = $1 AND plan_index IS NOT NULL
ORDER BY plan_index;
