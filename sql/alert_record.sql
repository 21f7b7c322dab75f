-- alert_record.sql: the alerts sweep records what changed since its last evaluation. $1 holds
-- every evaluated alert (alert_evaluate.sql); those whose firing differs from alert_states (no
-- row = not firing) get their state upserted with since = now() and one audit row:
-- alert.raised when it starts firing, alert.resolved when it stops. An alert that stays firing
-- writes nothing. Only the sweep writes alert_states, one runner at a time (advisory lock), so
-- no row locks are taken before the upsert.
-- Params: $1 alerts jsonb: [{workspace_id, name, value, threshold, firing}], $2 actor text
WITH input AS (
  SELECT *
  FROM jsonb_to_recordset($1::jsonb)
       AS x(workspace_id uuid, name text, value float8, threshold float8, firing boolean)
), changed AS (
  SELECT i.*
  FROM input i
  LEFT JOIN alert_states s ON s.workspace_id = i.workspace_id AND s.name = i.name
  WHERE i.firing IS DISTINCT FROM coalesce(s.firing, false)
    AND EXISTS (SELECT 1 FROM workspaces w WHERE w.id = i.workspace_id)
), upsert AS (
  INSERT INTO alert_states (workspace_id, name, firing, since, value)
  SELECT workspace_id, name, firing, now(), value
  FROM changed
  ON CONFLICT (workspace_id, name) DO UPDATE
  SET firing = excluded.firing, since = excluded.since, value = excluded.value
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT workspace_id, CASE WHEN firing THEN 'alert.raised' ELSE 'alert.resolved' END,
         'alert_states', NULL, $2, CASE WHEN firing THEN 'firing' ELSE 'resolved' END,
         jsonb_build_object('name', name, 'value', value, 'threshold', threshold)
  FROM changed
)
SELECT workspace_id, name, value, threshold, firing
FROM changed
ORDER BY workspace_id, name;
