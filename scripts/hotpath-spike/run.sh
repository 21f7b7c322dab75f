#!/usr/bin/env bash
# Ceilings of the hot-path designs with pgbench (a spike, not product code), extended from
# ../shared/hotpath-spike: each design preloads ROWS ready tasks, then 2 clients run claim-500 +
# complete-500 cycles until the queue is drained exactly; enqueue runs 500-task inserts.
#   scripts/hotpath-spike/run.sh [ROUNDS] [ROWS]     prints one TSV line per run: design, metric, tasks/s
# Designs: G (Graphile-like), A (before 0008), D (the spike's best), E (built: D + truthful status).
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS=${1:-3}
ROWS=${2:-200000}
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres} PGSSLMODE=disable
DB=taskfleet_spike
psql -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" postgres >/dev/null
trap 'psql -qc "DROP DATABASE IF EXISTS $DB" postgres >/dev/null' EXIT
tps() { sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1; }
cycles=$((ROWS / 1000))   # 2 clients x 500 tasks per cycle
for r in $(seq 1 "$ROUNDS"); do
  for d in G A D E; do
    psql -q -v rows="$ROWS" -f "design$d.sql" "$DB" >/dev/null 2>&1
    t=$(pgbench -n -c 2 -j 2 -t "$cycles" -f "run$d.sql" "$DB" 2>/dev/null | tps)
    awk -v r="$r" -v d="$d" -v t="$t" 'BEGIN { printf "%s\t%s\tprocess\t%.0f\n", r, d, t * 500 }'
  done
  for d in G E; do
    psql -q -v rows=0 -f "design$d.sql" "$DB" >/dev/null 2>&1
    t=$(pgbench -n -c 1 -j 1 -t 200 -f "enqueue$d.sql" "$DB" 2>/dev/null | tps)
    awk -v r="$r" -v d="$d" -v t="$t" 'BEGIN { printf "%s\t%s\tenqueue\t%.0f\n", r, d, t * 500 }'
  done
done
