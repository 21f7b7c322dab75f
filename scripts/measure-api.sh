#!/usr/bin/env bash
# Measures the two API figures the README quotes, on the local PostgreSQL, with the release build:
#   * GET /api/tasks/status for a workspace holding 10,000 tasks (default page of 100, and the
#     same filtered by status), median of 21 requests;
#   * POST /api/tasks/decompose of a 200-task strategy, median of 7 strategies.
# Usage: scripts/measure-api.sh   (needs curl, python3; builds target/release/taskfleet)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-postgres.sh >/dev/null
cargo build --release --locked -q
BIN=target/release/taskfleet
DB=taskfleet_measure_$$
export PGSSLMODE=disable
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB"
trap 'kill $API 2>/dev/null || true; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"' EXIT
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
export TASKFLEET_JWT_SECRET=measure-api-jwt-secret-of-32-bytes-or-more TASKFLEET_API_ADDR=127.0.0.1:18080 RUST_LOG=warn
$BIN migrate >/dev/null
WS=$($BIN workspaces create --name measure)
TOKEN=$($BIN token --sub measure --workspace "$WS")
# 10,000 tasks in one workspace, a third of them with a dependency, mixed statuses.
psql -h 127.0.0.1 -U postgres -q "$DB" <<SQL
INSERT INTO autonomous_tasks (workspace_id, task_description, task_type, assigned_agent, priority, status)
SELECT '$WS', 'task ' || g, 'content', (ARRAY['content-generator','email-agent','calendar-agent'])[1 + g % 3],
       1 + g % 10, (ARRAY['queued','completed','failed','in_progress'])[1 + g % 4]
FROM generate_series(1, 10000) g;
UPDATE autonomous_tasks t SET depends_on = ARRAY[(SELECT id FROM autonomous_tasks ORDER BY id LIMIT 1)]
WHERE t.id IN (SELECT id FROM autonomous_tasks ORDER BY id DESC LIMIT 3333);
ANALYZE autonomous_tasks;
SQL
$BIN api & API=$!
for _ in $(seq 1 100); do curl -sf localhost:18080/readyz >/dev/null && break; sleep 0.1; done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] * 1000 " ms"}'; }
timed() { curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$@"; }

echo "status, 10,000 tasks, first page of 100: $(for _ in $(seq 21); do timed "localhost:18080/api/tasks/status?workspace_id=$WS"; done | median)"
echo "status, 10,000 tasks, status=queued:      $(for _ in $(seq 21); do timed "localhost:18080/api/tasks/status?workspace_id=$WS&status=queued&limit=1000"; done | median)"

strategy() {
  python3 - "$WS" <<'PY'
import json, sys
phases = [{"phase_name": f"Phase {p + 1}", "duration_days": 20,
           "key_activities": [f"{verb} item {p}-{i}" for i, verb in
                              zip(range(47), ["Write blog", "Schedule posts", "Send email", "Launch ad campaign", "Set up analytics tracking", "Review"] * 8)]}
          for p in range(4)]
print(json.dumps({"workspace_id": sys.argv[1], "name": "200 tasks", "campaign_calendar": {"phases": phases},
                  "content_pillars": [{"name": f"Pillar {i}", "percentage_allocation": 15} for i in range(6)],
                  "kpis": [{"metric_name": f"KPI {i}"} for i in range(6)]}))
PY
}
for _ in $(seq 7); do
  SID=$(strategy | curl -s -H "Authorization: Bearer $TOKEN" -d @- localhost:18080/api/strategies | python3 -c 'import json,sys; print(json.load(sys.stdin)["strategy_id"])')
  curl -s -o /tmp/decompose.$$ -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" \
    -d "{\"strategy_id\":\"$SID\",\"workspace_id\":\"$WS\"}" localhost:18080/api/tasks/decompose
  python3 -c "import json; d=json.load(open('/tmp/decompose.$$')); assert d['tasks_created'] == 200, d" 
done | { echo "decompose, 200-task strategy: $(median)"; }
rm -f /tmp/decompose.$$
