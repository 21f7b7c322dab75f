-- demo_events.sql: notable audit rows of one workspace after audit id $2, for the demo's event log.
-- Params: $1 workspace_id uuid, $2 last audit id seen bigint
SELECT a.id, a.action, a.details, t.task_description, t.assigned_agent,
       cardinality(t.depends_on) AS dependencies
FROM audit_logs a
JOIN autonomous_tasks t ON t.id = a.resource_id
WHERE a.workspace_id = $1
  AND a.id > $2
  AND a.action IN ('task.started', 'task.executed', 'task.retry_scheduled', 'task.failed',
                   'task.cancelled', 'task.reclaimed', 'task.deferred', 'task.approved',
                   'task.rejected')
ORDER BY a.id
LIMIT 500;
