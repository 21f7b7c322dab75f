-- strategy_insert.sql: store a marketing strategy and its strategy.created audit row.
-- Params: $1 workspace_id uuid, $2 contact_id uuid, $3 name text, $4 campaign_calendar jsonb,
--         $5 content_pillars jsonb, $6 kpis jsonb, $7 actor text
WITH ins AS (
  INSERT INTO marketing_strategies (workspace_id, contact_id, name, campaign_calendar, content_pillars, kpis)
  VALUES ($1, $2, $3, $4, $5, $6)
  RETURNING id, workspace_id, name
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, 'strategy.created', 'marketing_strategies', id, $7, NULL,
         jsonb_build_object('name', name)
  FROM ins
)
SELECT id FROM ins;
