#!/usr/bin/env bash
# PostgreSQL CPU and WAL per task of one benchmark run: 200k no-op tasks, 2 worker processes.
#   scripts/cost-per-task.sh [TASKFLEET_BINARY] [BENCH_FLAGS...]   e.g. ... target/release/taskfleet --audit full
# CPU is summed over the postgres processes while the run lasts (scripts/cpu_split.py), WAL is the
# server's LSN before and after; both cover enqueue and processing, divided by the task count.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/taskfleet}; shift || true
N=200000
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres} PGSSLMODE=disable
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
before=$(psql -qAtc "SELECT pg_current_wal_lsn()" postgres)
out=$(python3 scripts/cpu_split.py "$BIN" bench --tasks "$N" --workers 2 --processes "$@")
after=$(psql -qAtc "SELECT pg_current_wal_lsn()" postgres)
wal=$(psql -qAtc "SELECT pg_wal_lsn_diff('$after', '$before')" postgres)
pg=$(echo "$out" | sed -n 's/^postgres: \([0-9.]*\) s CPU.*/\1/p')
tput=$(echo "$out" | head -1 | sed -n 's/.*"throughput_per_sec":\([0-9.]*\).*/\1/p')
awk -v pg="$pg" -v wal="$wal" -v n="$N" -v t="$tput" 'BEGIN {
  printf "throughput %.0f/s\tpostgres CPU %.0f us/task\tWAL %.0f bytes/task\n", t, pg * 1e6 / n, wal / n }'
