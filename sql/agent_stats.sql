-- agent_stats.sql: every registered agent with its circuit breaker and recent figures, by name
-- (GET /api/agents; `taskfleet agents list` reads the breaker from it). Never the URL: the API
-- role may not read agents.url (migration 0019). Agents are fleet-wide, so all of them appear,
-- with NULL figures (0 in flight) when they have none. The figures come from tasks and audit
-- rows: the API runs this inside tenancy::begin (taskfleet_api under row-level security), so
-- they count only the caller's workspaces; run by the owner (the CLI) they count every one.
--   in_flight      tasks in_progress with that agent now: the leased task_queue rows
--                  (task_queue_leased_idx), each task row by primary key.
--   success_rate   over the attempts that ended in the last $1 seconds, as the audit trail records
--                  them (the events of metrics_throughput.sql): task.executed (a success) divided
--                  by task.executed + task.retry_scheduled + task.failed (a failure: transient
--                  with retries left, or for good). Not attempts at the agent: task.deferred (no
--                  call: the agent unknown, disabled or its breaker open; outside business hours),
--                  task.released (worker shutdown) and task.reclaimed (the worker's lease expired).
--   p50_ms, p95_ms percentiles (continuous, rounded to the ms) of the successes' duration_ms:
--                  the attempt's started_at to its completion, written by task_complete.sql.
--                  Failures carry no duration, so these are the latencies of successful calls.
--   last_error     the error of the most recent failure in the window: task.failed carries it
--                  (details.error); task.retry_scheduled does not, so the task's error_message,
--                  the latest of that task (a later failure of it may have replaced it; a later
--                  success clears it, and such a row is skipped).
-- success_rate, p50_ms, p95_ms, last_error are NULL with nothing in the window.
-- An audit row's agent: task.executed names it (details.assigned_agent); a failure row does not,
-- so the task's assigned_agent, by primary key (and only for failure rows). A row whose task was
-- deleted since (retention) and names no agent counts for none.
-- breaker is {state, since, reason} (migration 0018), as the API shows it; max_concurrency the
-- rate_per_sec the fleet-wide limits (migration 0020; NULL = none).
-- Read-only, no locks. audit_logs_created_brin narrows the scan to the window; every audit row of
-- the window is read (then filtered by workspace under RLS), so the cost grows with the fleet's
-- attempts per window, not the caller's.
-- Params: $1 window secs float8
WITH attempts AS (
  SELECT coalesce(a.details->>'assigned_agent',
                  (SELECT t.assigned_agent FROM autonomous_tasks t WHERE t.id = a.resource_id))
           AS agent,
         a.action,
         a.created_at,
         a.id,
         (a.details->>'duration_ms')::float8 AS duration_ms,
         CASE WHEN a.action <> 'task.executed' THEN
           coalesce(a.details->>'error',
                    (SELECT t.error_message FROM autonomous_tasks t WHERE t.id = a.resource_id))
         END AS error
  FROM audit_logs a
  WHERE a.created_at > now() - make_interval(secs => $1::float8)
    AND a.resource = 'autonomous_tasks'
    AND a.action IN ('task.executed', 'task.retry_scheduled', 'task.failed')
), per_agent AS (
  SELECT agent,
         count(*) AS attempts,
         count(*) FILTER (WHERE action = 'task.executed') AS succeeded,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms)
           FILTER (WHERE action = 'task.executed') AS p50_ms,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)
           FILTER (WHERE action = 'task.executed') AS p95_ms
  FROM attempts
  GROUP BY agent
), last_error AS (
  SELECT DISTINCT ON (agent) agent, error
  FROM attempts
  WHERE error IS NOT NULL
  ORDER BY agent, created_at DESC, id DESC
), in_flight AS (
  SELECT t.assigned_agent AS agent, count(*) AS n
  FROM task_queue q
  JOIN autonomous_tasks t ON t.id = q.id
  WHERE q.locked_by IS NOT NULL
    AND t.status = 'in_progress'
  GROUP BY t.assigned_agent
)
SELECT g.name,
       g.enabled,
       jsonb_build_object('state', g.breaker_state, 'since', g.breaker_since,
                          'reason', g.breaker_reason) AS breaker,
       coalesce(f.n, 0) AS in_flight,
       g.max_concurrency,
       g.rate_per_sec,
       CASE WHEN p.attempts > 0 THEN p.succeeded::float8 / p.attempts END AS success_rate,
       round(p.p50_ms)::bigint AS p50_ms,
       round(p.p95_ms)::bigint AS p95_ms,
       e.error AS last_error
FROM agents g
LEFT JOIN per_agent p ON p.agent = g.name
LEFT JOIN last_error e ON e.agent = g.name
LEFT JOIN in_flight f ON f.agent = g.name
ORDER BY g.name;
