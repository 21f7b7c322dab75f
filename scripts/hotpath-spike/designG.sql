-- Design G: Graphile Worker's shape (one jobs table; claim = update, complete = delete).
DROP TABLE IF EXISTS jobs;
CREATE TABLE jobs (id bigserial PRIMARY KEY, queue_name text, task_identifier text NOT NULL, payload jsonb NOT NULL DEFAULT '{}', priority int NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(), attempts int NOT NULL DEFAULT 0, max_attempts int NOT NULL DEFAULT 25, last_error text,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), key text, locked_at timestamptz, locked_by text, revision int NOT NULL DEFAULT 0, flags jsonb,
  is_available boolean GENERATED ALWAYS AS (locked_at IS NULL AND attempts < max_attempts) STORED);
CREATE INDEX jobs_main ON jobs (priority, run_at) INCLUDE (id, task_identifier) WHERE is_available = true;
INSERT INTO jobs (task_identifier, payload) SELECT 'noop', jsonb_build_object('n', g) FROM generate_series(1, :rows) g;
VACUUM ANALYZE jobs;
