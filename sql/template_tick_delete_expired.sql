-- template_tick_delete_expired.sql: retention, one batch: delete up to $2 template_ticks rows
-- whose tick is older than both the cutoff $1 and the longest catch-up window (31 days,
-- templates::model::MAX_CATCH_UP_SECS). Such a tick can never be due again (the sweep would
-- skip it, and last_tick is past it), so its key row guards nothing; without this a
-- per-minute template would keep half a million rows a year. Called in a loop until a batch
-- comes back short, like the other retention statements.
-- Params: $1 cutoff timestamptz, $2 batch size int
WITH doomed AS (
  SELECT k.template_id, k.tick
  FROM template_ticks k
  WHERE k.tick < least($1, now() - interval '31 days')
  LIMIT $2
), deleted AS (
  DELETE FROM template_ticks k
  USING doomed d
  WHERE k.template_id = d.template_id AND k.tick = d.tick
  RETURNING 1
)
SELECT count(*) FROM deleted;
