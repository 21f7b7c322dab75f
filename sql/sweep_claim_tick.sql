-- sweep_claim_tick.sql: claim cron tick $2 of sweep $1 for this worker. Exactly one caller per
-- (sweep, tick) gets a row back, however many workers reach the tick: the conditional upsert is
-- atomic. The caller also holds the sweep's advisory lock while it runs, so a slow run never
-- overlaps the next tick's.
-- Params: $1 sweep name text, $2 tick timestamptz
INSERT INTO sweep_runs (name, last_tick)
VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE
  SET last_tick = EXCLUDED.last_tick, last_run_at = now()
  WHERE sweep_runs.last_tick < EXCLUDED.last_tick
RETURNING name;
