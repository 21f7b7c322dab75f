#!/usr/bin/env bash
# The DBA views at scale (issue "Hot path v2"): 1,000,000 tasks in 4 workspaces, 300,000 of them
# queued and ready, 700,000 completed. Times each view query 5 times and prints the medians.
#   scripts/measure-views.sh [TASKFLEET_BINARY]     (default target/release/taskfleet)
# The binary migrates a scratch database, so an older build measures the older schema.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/taskfleet}
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres} PGSSLMODE=disable
DB=taskfleet_views_$$
psql -qc "CREATE DATABASE $DB" postgres
trap 'psql -qc "DROP DATABASE IF EXISTS $DB" postgres' EXIT
DATABASE_URL="postgres://$PGUSER@$PGHOST/$DB?sslmode=disable" "$BIN" migrate >/dev/null
has_queue=$(psql -qAtc "SELECT to_regclass('task_queue') IS NOT NULL" "$DB")
psql -q "$DB" <<SQL
INSERT INTO workspaces (id, name)
SELECT ('00000000-0000-0000-0000-00000000000' || g)::uuid, 'w' || g FROM generate_series(1, 4) g;
INSERT INTO autonomous_tasks (id, workspace_id, task_description, task_type, assigned_agent,
                              priority, status, completed_at, created_at)
SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
       ('00000000-0000-0000-0000-00000000000' || (1 + g % 4))::uuid,
       'task ' || g, 'other', 'general-executor', 1 + g % 10,
       CASE WHEN g <= 700000 THEN 'completed' ELSE 'queued' END,
       CASE WHEN g <= 700000 THEN now() END,
       now() - interval '1 hour' + g * interval '1 millisecond'
FROM generate_series(1, 1000000) g;
SQL
if [ "$has_queue" = t ]; then
  psql -q "$DB" -c "INSERT INTO task_queue (id, workspace_id, priority, created_at, run_at)
                    SELECT id, workspace_id, priority, created_at, next_run_at
                    FROM autonomous_tasks WHERE status = 'queued'"
fi
psql -q "$DB" -c "VACUUM ANALYZE"
for q in "SELECT * FROM ready_tasks LIMIT 10" \
         "SELECT count(*) FROM ready_tasks" \
         "SELECT * FROM queue_summary WHERE workspace_id = '00000000-0000-0000-0000-000000000001'" \
         "SELECT * FROM queue_summary"; do
  times=$(for i in 1 2 3 4 5; do
    psql -qAt "$DB" -c '\timing on' -c "$q" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
  done | sort -n | sed -n 3p)
  printf '%s ms\t%s\n' "$times" "$q"
done
