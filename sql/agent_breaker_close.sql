-- agent_breaker_close.sql: a probe succeeded: close the breaker (agent.breaker_closed) and
-- release the agent's tasks deferred while it was open (their error_message starts
-- 'TASK_004: agent unhealthy:'), ready now in both tables, so recovery does not wait for their
-- deferral to run out. Other deferrals of those tasks (backoff, time-of-day) are left alone.
-- Locks task_queue rows first, then task rows, in id order, as every writer does.
-- Params: $1 agent name text, $2 actor (worker id) text
WITH closed AS (
  UPDATE agents
  SET breaker_state = 'closed',
      breaker_since = now(),
      breaker_reason = NULL,
      breaker_opens = 0,
      breaker_probe_at = NULL,
      updated_at = now()
  WHERE name = $1 AND breaker_state <> 'closed'
  RETURNING name
), deferred AS (
  SELECT q.id
  FROM task_queue q
  JOIN autonomous_tasks t ON t.id = q.id
  WHERE EXISTS (SELECT 1 FROM closed)
    AND q.locked_by IS NULL
    AND q.run_at > now()
    AND t.assigned_agent = $1
    AND t.error_message LIKE 'TASK_004: agent unhealthy:%'
  ORDER BY q.id
  FOR UPDATE OF q SKIP LOCKED
), released AS (
  UPDATE task_queue q
  SET run_at = now()
  WHERE q.id IN (SELECT id FROM deferred)
  RETURNING q.id
), records AS (
  UPDATE autonomous_tasks t
  SET next_run_at = now(), updated_at = now()
  WHERE t.id IN (SELECT id FROM released)
), audit AS (
  INSERT INTO audit_logs (workspace_id, action, resource, resource_id, agent, status, details)
  SELECT NULL, 'agent.breaker_closed', 'agents', NULL, $2, 'closed',
         jsonb_build_object('agent', name, 'released', (SELECT count(*) FROM released))
  FROM closed
), wake AS (
  SELECT pg_notify('taskfleet_ready', 'breaker_closed') IS NOT NULL AS sent  -- boolean, not void: Citus materializes CTEs
  WHERE EXISTS (SELECT 1 FROM released)
)
SELECT (SELECT count(*) FROM released) AS released,
       pg_notify('taskfleet_agents', name) IS NULL AS notified,
       (SELECT count(*) FROM wake) AS woke
FROM closed;
