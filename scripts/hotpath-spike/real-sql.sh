#!/usr/bin/env bash
# The ceiling of the fleet's own statements: pgbench runs claim (sql/task_claim.sql) + complete
# (sql/task_complete.sql) + unblock (sql/task_unblock_dependents.sql, in one transaction with the
# completion, as src/queue/finish.rs does) on 2 clients, against ROWS ready tasks enqueued with
# taskfleet_add_tasks, until they are drained. No worker process: the difference between this
# and `taskfleet bench` is what the workers and their round trips cost.
#   scripts/hotpath-spike/real-sql.sh [ROUNDS] [BATCH] [ROWS]   one TSV line per run: batch, tasks/s
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
BATCH=${2:-500}
ROWS=${3:-200000}
BIN=${BIN:-target/release/taskfleet}
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres} PGSSLMODE=disable
TPL=taskfleet_realsql_tpl DB=taskfleet_realsql
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; psql -qc "DROP DATABASE IF EXISTS $DB" -c "DROP DATABASE IF EXISTS $TPL" postgres >/dev/null' EXIT
psql -qc "DROP DATABASE IF EXISTS $TPL" -c "CREATE DATABASE $TPL" postgres >/dev/null
DATABASE_URL="postgres://$PGUSER@$PGHOST/$TPL?sslmode=disable" "$BIN" migrate >/dev/null
psql -q "$TPL" -c "INSERT INTO workspaces (id, name) VALUES ('11111111-1111-1111-1111-111111111111', 'bench')"
for _ in $(seq 1 $((ROWS / 1000))); do
  echo "SELECT count(*) FROM taskfleet_add_tasks((SELECT jsonb_agg(jsonb_build_object(
    'workspace_id', '11111111-1111-1111-1111-111111111111', 'task_description', 'noop ' || g,
    'task_type', 'other', 'assigned_agent', 'noop', 'priority', 5)) FROM generate_series(1, 1000) g));"
done | psql -q "$TPL" >/dev/null
psql -q "$TPL" -c "VACUUM ANALYZE" >/dev/null
python3 scripts/hotpath-spike/real_sql.py "$BATCH" > "$WORK/cycle.sql"
for r in $(seq 1 "$ROUNDS"); do
  psql -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB TEMPLATE $TPL" postgres >/dev/null
  tps=$(pgbench -n -c 2 -j 2 -t $((ROWS / BATCH / 2)) -f "$WORK/cycle.sql" "$DB" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  awk -v r="$r" -v b="$BATCH" -v t="$tps" 'BEGIN { printf "%s\t%s\t%.0f\n", r, b, t * b }'
done
