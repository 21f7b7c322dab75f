-- demo_dba_query.sql: the query the demo's summary suggests to a DBA. The demo prints it with its
-- workspace in place of $1 and never runs it; the sql/ test prepares it, so it stays valid.
-- Params: $1 workspace_id uuid
SELECT * FROM queue_summary WHERE workspace_id = $1;
