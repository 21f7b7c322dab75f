#!/usr/bin/env bash
# The dashboard in a real browser: Debian's headless chromium, driven by scripts/ui-test/driver.js
# (playwright-core, pinned in scripts/ui-test/package-lock.json). What CI runs after promtool.
#
#   bash scripts/ui-test.sh        (from the repository root; needs a local PostgreSQL, which
#                                   scripts/ensure-postgres.sh starts or installs)
#
# On a throwaway database it runs `taskfleet migrate`, `agents-sim` and `api` (target/debug),
# creates workspaces A and B with a strategy each, gives A three completed results awaiting
# approval (two with an email task waiting on them), decomposes both (A with content approval)
# and runs a few execute passes in A (so its tasks are completed, failed, retrying and queued),
# then drives the dashboard: sign-in through the fragment, the task count, a task's audit
# timeline, Cancel and Retry through the buttons (and a refused Cancel's error envelope), the DAG
# with one node per task, the approval queue (Approve with a comment, Reject with a reason from a
# task's page, a refused Reject's envelope), an expired token, and B's token against A's
# workspace, task, strategy and approvals. Any console error or
# failed request not expected by a step fails the run. Screenshots of the overview, the DAG and the
# approval queue go to docs/screenshots/ (committed; the README shows them); with EXTRA_SHOTS=DIR, also the task
# table and a task's page, to DIR.
#
# chromium is installed with apt-get when missing; the npm install is cached under
# $TASKFLEET_CI_CACHE (default ~/.cache/taskfleet-ci) by the lock file's hash, so a warm run
# touches neither apt nor npm.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CACHE="${TASKFLEET_CI_CACHE:-${HOME:-/tmp}/.cache/taskfleet-ci}"
PG="${TASKFLEET_CI_PG:-postgres://postgres@127.0.0.1:5432}"
CHROMIUM="${TASKFLEET_CHROMIUM:-/usr/bin/chromium}"
SHOTS="${TASKFLEET_SCREENSHOTS:-docs/screenshots}"

die() { echo "FAIL $*" >&2; exit 2; }

install_chromium() {
  [[ -x "$CHROMIUM" ]] && return 0
  command -v apt-get >/dev/null || die "setup: $CHROMIUM is missing and apt-get is not here to install Debian's chromium"
  echo "setup: installing chromium (Debian package)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
      || die "setup: apt-get install chromium failed"
  }
  [[ -x "$CHROMIUM" ]] || die "setup: chromium installed, but $CHROMIUM is not there"
}

# node_modules for the driver, keyed by the lock file, so a changed pin installs afresh.
install_driver() {
  local key dir
  key="$(sha256sum scripts/ui-test/package-lock.json | cut -c1-16)"
  dir="$CACHE/ui-test-$key"
  if [[ ! -f "$dir/.installed" ]]; then
    command -v npm >/dev/null || die "setup: npm not found (Node 20 or later runs the driver)"
    echo "setup: npm ci playwright-core into $dir" >&2
    rm -rf "$dir" && mkdir -p "$dir"
    cp scripts/ui-test/package.json scripts/ui-test/package-lock.json "$dir/"
    # No install scripts: playwright-core downloads no browser, it drives Debian's.
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) \
      || die "setup: npm ci in $dir failed"
    touch "$dir/.installed"
  fi
  echo "$dir/node_modules"
}

mkdir -p "$CACHE"
install_chromium
NODE_MODULES="$(install_driver)"
echo "setup: $("$CHROMIUM" --version 2>/dev/null | head -n1), node $(node --version)"

work="$(mktemp -d)"
pids=()
db=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "$db" ]]; then psql -q "$PG/postgres?sslmode=disable" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

bash scripts/ensure-postgres.sh
cargo build --locked --quiet
BIN="target/debug/taskfleet"
db="taskfleet_uitest_$$"
psql -q "$PG/postgres?sslmode=disable" -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="$PG/$db?sslmode=disable"
export TASKFLEET_JWT_SECRET="ui-test-jwt-secret-of-32-bytes-or-more" TASKFLEET_AGENT_SECRET="ui-test-agent-secret-of-32-bytes-or-more"
# A minute of backoff keeps a retried task queued (and marked) while the browser looks at it.
export TASKFLEET_BUSINESS_HOURS=off TASKFLEET_BACKOFF_BASE_MS=60000 RUST_LOG=warn
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_port=$(free_port); sim_port=$(free_port)
BASE="http://127.0.0.1:$api_port"

"$BIN" migrate >/dev/null
"$BIN" agents-sim --addr "127.0.0.1:$sim_port" --latency-ms 40 --failure-rate 0.3 >"$work/sim.log" 2>&1 &
pids+=($!)
TASKFLEET_API_ADDR="127.0.0.1:$api_port" "$BIN" api >"$work/api.log" 2>&1 &
pids+=($!)
for agent in content-generator calendar-agent email-agent campaign-manager analytics-agent general-executor; do
  "$BIN" agents register "$agent" "http://127.0.0.1:$sim_port/$agent" >/dev/null
done
ws_a=$("$BIN" workspaces create --name "Acme marketing")
ws_b=$("$BIN" workspaces create --name "Globex")
token_a=$("$BIN" token --sub ada --workspace "$ws_a")
token_b=$("$BIN" token --sub bob --workspace "$ws_b")

for _ in $(seq 1 100); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$BASE/healthz" >/dev/null || die "the API did not start: $(tail -n5 "$work/api.log")"

call() { # method path token [body]
  curl -fsS -X "$1" "$BASE$2" -H "authorization: Bearer $3" -H 'content-type: application/json' ${4:+-d "$4"} \
    || die "$1 $2 failed (api log: $(tail -n3 "$work/api.log"))"
}
# JSON with python3 (CI has it for import_graph.py), not jq.
# A dotted path: `json_get task.id`.
json_get() { python3 -c 'import functools, json, sys; print(functools.reduce(lambda v, k: v[k], sys.argv[1].split("."), json.load(sys.stdin)))' "$1"; }
body_a=$(python3 -c 'import json, sys; b = json.load(open("src/demo/sample_strategy.json")); b["workspace_id"] = sys.argv[1]; print(json.dumps(b))' "$ws_a")
body_b=$(python3 -c 'import json, sys; print(json.dumps({"workspace_id": sys.argv[1], "name": "Globex autumn",
  "campaign_calendar": {"phases": [{"phase_name": "Only phase",
    "key_activities": ["Draft Globex newsletter", "Research Globex competitors"]}]},
  "content_pillars": [], "kpis": [{"metric_name": "Globex signups"}]}))' "$ws_b")
strategy_a=$(call POST /api/strategies "$token_a" "$body_a" | json_get strategy_id)
strategy_b=$(call POST /api/strategies "$token_b" "$body_b" | json_get strategy_id)
# Results awaiting approval, made before A's strategy runs so that an execute pass runs only them.
# agents-sim fails 30% of attempts, and a failed attempt waits a minute for its retry, so a gated
# task is tried afresh until an attempt completes; a failed one is cancelled out of the way.
gated() { # description -> the id of a completed content task awaiting approval
  local attempt id status
  for attempt in $(seq 1 15); do
    id=$(call POST /api/tasks "$token_a" "$(python3 -c 'import json, sys; print(json.dumps({"workspace_id": sys.argv[1],
      "task_description": sys.argv[2], "task_type": "content", "assigned_agent": "content-generator",
      "requires_approval": True}))' "$ws_a" "$1")" | json_get task.id)
    call POST /api/tasks/execute "$token_a" "{\"workspace_id\":\"$ws_a\",\"max_concurrent\":8}" >/dev/null
    status=$(call GET "/api/tasks/$id" "$token_a" | json_get task.status)
    if [[ "$status" == completed ]]; then echo "$id"; return 0; fi
    call POST "/api/tasks/$id/cancel" "$token_a" '{"reason":"ui-test: the simulated agent failed this attempt"}' >/dev/null
  done
  die "setup: no attempt of \"$1\" completed"
}
email_after() { # content id, description -> the id of an email task that waits for it
  call POST /api/tasks "$token_a" "$(python3 -c 'import json, sys; print(json.dumps({"workspace_id": sys.argv[1],
    "task_description": sys.argv[3], "task_type": "email", "assigned_agent": "email-agent",
    "depends_on": [sys.argv[2]]}))' "$ws_a" "$1" "$2")" | json_get task.id
}
gate_approve=$(gated "Draft the autumn newsletter")
gate_approve_email=$(email_after "$gate_approve" "Send the autumn newsletter")
gate_reject=$(gated "Draft the partner announcement")
gate_reject_email=$(email_after "$gate_reject" "Email the partner announcement")
gate_race=$(gated "Draft the pricing page copy")
call POST /api/tasks/decompose "$token_a" "{\"strategy_id\":\"$strategy_a\",\"workspace_id\":\"$ws_a\",\"content_approval\":true}" >/dev/null
call POST /api/tasks/decompose "$token_b" "{\"strategy_id\":\"$strategy_b\",\"workspace_id\":\"$ws_b\"}" >/dev/null
# Execute passes in A only: phase 1, the pillars and the KPIs run (some fail and wait for a retry),
# which unblocks part of phase 2; phase 3 stays queued for the Cancel button.
for _ in 1 2; do
  call POST /api/tasks/execute "$token_a" "{\"workspace_id\":\"$ws_a\",\"max_concurrent\":8}" >/dev/null
done

mkdir -p "$SHOTS"
echo "== browser (chromium, playwright-core $(python3 -c 'import json; print(json.load(open("scripts/ui-test/package-lock.json"))["packages"]["node_modules/playwright-core"]["version"])'))"
NODE_PATH="$NODE_MODULES" BASE="$BASE" CHROMIUM="$CHROMIUM" SHOTS="$SHOTS" \
  WS_A="$ws_a" WS_B="$ws_b" TOKEN_A="$token_a" TOKEN_B="$token_b" \
  STRATEGY_A="$strategy_a" STRATEGY_B="$strategy_b" JWT_SECRET="$TASKFLEET_JWT_SECRET" \
  GATE_APPROVE="$gate_approve" GATE_APPROVE_EMAIL="$gate_approve_email" \
  GATE_REJECT="$gate_reject" GATE_REJECT_EMAIL="$gate_reject_email" GATE_RACE="$gate_race" \
  EXTRA_SHOTS="${EXTRA_SHOTS:-}" \
  node scripts/ui-test/driver.js || { echo "api log:" >&2; tail -n 20 "$work/api.log" >&2; exit 1; }
echo "ui-test: passed; screenshots in $SHOTS/"
