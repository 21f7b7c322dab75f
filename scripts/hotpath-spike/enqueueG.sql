-- Enqueue as Graphile does it (addJobs inserts one jobs row per job), 500 per statement.
INSERT INTO jobs (task_identifier, payload) SELECT 'noop', jsonb_build_object('n', g) FROM generate_series(1, 500) g;
