-- strategy_lock.sql: a strategy to decompose, locked FOR UPDATE so two decompositions of the same
-- strategy run one after the other (the second finds the first's tasks and returns them).
-- Params: $1 strategy id uuid, $2 workspace_id uuid
SELECT id, workspace_id, contact_id, campaign_calendar, content_pillars, kpis, execution_plan
FROM marketing_strategies
WHERE id = $1 AND workspace_id = $2
FOR UPDATE;
