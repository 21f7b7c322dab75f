#!/usr/bin/env bash
# Adds a worker node to a running Citus cluster and rebalances while the fleet works (issue 19):
# nothing queued before or during the move may be lost or run twice.
#
#   bash scripts/citus-cluster.sh up 1 && bash scripts/citus-rebalance.sh
#
# In the cluster's taskfleet database: 16 workspaces, one simulated agent (no failures), two
# worker processes. It queues $TASKS tasks, adds a node (scripts/citus-cluster.sh add-node),
# starts `SELECT citus_rebalance_start()` and queues $TASKS more while the shards move, waits for
# the rebalance and for every task, then checks: every task completed, exactly one
# task.executed audit row each, the doctor's query (sql/queue_check.sql) empty, and shards on
# every node. Exits non-zero on any difference. Needs `cargo build --release` first.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE="${TASKFLEET_CITUS_STATE:-/tmp/taskfleet-citus.state}"
TASKS=${TASKS:-10000}
BIN=target/release/taskfleet
[[ -f "$STATE" ]] || { echo "no cluster is up: bash scripts/citus-cluster.sh up 1" >&2; exit 2; }
coord=$(sed -n 's/.*coordinator=\([0-9]*\).*/\1/p' "$STATE")
export DATABASE_URL="postgres://postgres@127.0.0.1:$coord/taskfleet?sslmode=disable"
export TASKFLEET_AGENT_SECRET=rebalance-check-secret-of-at-least-32-bytes
db() { psql -qAt -h 127.0.0.1 -p "$coord" -U postgres -d taskfleet -v ON_ERROR_STOP=1 "$@"; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

$BIN migrate >/dev/null
agent_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$BIN agents-sim --addr "127.0.0.1:$agent_port" --latency-ms 1 --failure-rate 0 >/dev/null 2>&1 &
pids+=($!)
$BIN agents register general-executor "http://127.0.0.1:$agent_port/general-executor" >/dev/null
db -c "INSERT INTO workspaces (name) SELECT 'rebalance ' || g FROM generate_series(1, 16) g"

enqueue() { # count: spread over the 16 workspaces, in batches of 500 through the SQL function
  local left=$1
  while ((left > 0)); do
    local n=$((left < 500 ? left : 500))
    db -c "SELECT count(*) FROM taskfleet_add_tasks((
             SELECT jsonb_agg(jsonb_build_object('workspace_id', w.id, 'task_description', 'rebalance',
                                                 'task_type', 'other', 'assigned_agent', 'general-executor'))
             FROM generate_series(1, $n) g
             JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM workspaces
                   WHERE name LIKE 'rebalance %') w ON w.k = g % 16))" >/dev/null
    left=$((left - n))
  done
}

enqueue "$TASKS"
for i in 1 2; do
  TASKFLEET_WORKER_ID="rebalance-$i" $BIN worker >"/tmp/taskfleet-rebalance-worker-$i.log" 2>&1 &
  pids+=($!)
done
bash scripts/citus-cluster.sh add-node
started=$(date +%s)
db -c "SELECT citus_rebalance_start()" >/dev/null
enqueue "$TASKS"
db -c "SELECT citus_rebalance_wait()" >/dev/null
echo "rebalance: done in $(( $(date +%s) - started )) s"
total=$((TASKS * 2))
for _ in $(seq 1 600); do
  done_now=$(db -c "SELECT count(*) FROM autonomous_tasks WHERE status = 'completed'")
  [[ "$done_now" == "$total" ]] && break
  sleep 1
done
echo "completed: $done_now of $total"
executed=$(db -c "SELECT count(*) FROM audit_logs WHERE action = 'task.executed'")
twice=$(db -c "SELECT count(*) FROM (SELECT resource_id FROM audit_logs WHERE action = 'task.executed'
                                     GROUP BY resource_id HAVING count(*) > 1) d")
problems=$(db -f sql/queue_check.sql | wc -l)
nodes=$(db -c "SELECT count(DISTINCT nodeport) FROM citus_shards WHERE table_name = 'autonomous_tasks'::regclass")
echo "task.executed rows: $executed (tasks executed twice: $twice); queue_check problems: $problems; nodes holding shards: $nodes"
[[ "$done_now" == "$total" && "$executed" == "$total" && "$twice" == 0 && "$problems" == 0 && "$nodes" -ge 2 ]]
echo "rebalance check: passed"
