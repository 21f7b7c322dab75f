-- 0006_strategy_plan: keep the execution plan a decomposition produced, so decomposing the strategy
-- again answers with exactly the plan of the tasks that exist, even if the strategy was edited
-- since.
ALTER TABLE marketing_strategies ADD COLUMN execution_plan jsonb;
