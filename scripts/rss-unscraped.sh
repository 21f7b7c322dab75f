#!/usr/bin/env bash
# A worker's memory over many tasks while nobody scrapes its /metrics (the chart's default
# install): `taskfleet worker` with no TASKFLEET_METRICS_ADDR at all, agents-sim answering at
# once, tasks enqueued with taskfleet_add_tasks in batches; prints the worker's VmRSS each time
# another 10 % of the tasks has completed. Flat means the recorder's upkeep drains histogram
# samples on its own timer (src/telemetry.rs).
#
#   scripts/rss-unscraped.sh [TASKFLEET_BINARY] [TASKS]     default target/release/taskfleet 200000
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/taskfleet}
N=${2:-200000}
PG=${TASKFLEET_PG:-postgres://postgres@127.0.0.1:5432}
db="taskfleet_rss_$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$PG/postgres?sslmode=disable" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql -q "$PG/postgres?sslmode=disable" -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="$PG/$db?sslmode=disable" RUST_LOG=warn TASKFLEET_BUSINESS_HOURS=off
export TASKFLEET_AGENT_SECRET="rss-agent-secret-of-at-least-32-bytes"
unset TASKFLEET_METRICS_ADDR
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" migrate >/dev/null
"$BIN" agents-sim --addr "127.0.0.1:$port" --latency-ms 0 --failure-rate 0 >/dev/null 2>&1 &
pids+=($!)
"$BIN" agents register general-executor "http://127.0.0.1:$port/general-executor" >/dev/null
ws=$("$BIN" workspaces create --name rss)
"$BIN" worker --concurrency 50 >/dev/null 2>&1 &
worker=$!
pids+=($worker)

q() { psql -qAt "$DATABASE_URL" -c "$1"; }
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$worker/status"; }
echo "tasks completed	worker VmRSS MB"
echo "0	$(rss)"
# Enqueue in batches of 1,000 (the function's limit per call) while the worker runs them.
batch=1000
(
  for ((done_ = 0; done_ < N; done_ += batch)); do
    q "SELECT count(*) FROM taskfleet_add_tasks((SELECT jsonb_agg(jsonb_build_object(
         'workspace_id', '$ws', 'task_description', 'rss ' || i, 'task_type', 'other',
         'assigned_agent', 'general-executor')) FROM generate_series(1, $batch) i))" >/dev/null
  done
) &
pids+=($!)
step=$((N / 10))
next=$step
while ((next <= N)); do
  n=$(q "SELECT count(*) FROM autonomous_tasks WHERE status = 'completed'")
  if ((n >= next)); then
    echo "$n	$(rss)"
    next=$((next + step))
  else
    kill -0 "$worker" || { echo "the worker exited" >&2; exit 1; }
    sleep 0.5
  fi
done
