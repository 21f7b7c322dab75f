#!/usr/bin/env bash
# An outside judge for the fleet's Prometheus surface; what CI runs after the Helm checks.
#
#   bash scripts/promtool-check.sh          (from the repository root; needs the Helm tools of
#                                            scripts/helm-validate.sh and a local PostgreSQL)
#
# 1. `promtool check rules` on the groups of the PrometheusRule the chart renders with
#    helm/taskfleet/ci/monitoring-values.yaml (where the rules are on by default).
# 2. `promtool check metrics` on live scrapes of /metrics from `taskfleet api` and from a
#    `taskfleet worker` that has processed tasks (some failing), on a throwaway database: names,
#    types, HELP text, units in names.
#
# promtool comes from Debian's `prometheus` package: the .deb is fetched with `apt-get download`
# and only usr/bin/promtool is kept, cached under $TASKFLEET_CI_CACHE (default
# ~/.cache/taskfleet-ci) like the Helm tools; a warm cache runs apt not at all.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CACHE="${TASKFLEET_CI_CACHE:-${HOME:-/tmp}/.cache/taskfleet-ci}"
PROMTOOL="$CACHE/bin/promtool"
HELM="$CACHE/bin/helm"
VENV_PY="$CACHE/venv/bin/python"
PG="${TASKFLEET_CI_PG:-postgres://postgres@127.0.0.1:5432}"

die() { echo "FAIL $*" >&2; exit 2; }

install_promtool() {
  local marker="$CACHE/bin/.promtool-from"
  if [[ -x "$PROMTOOL" && -f "$marker" ]] && "$PROMTOOL" --version >/dev/null 2>&1; then
    return 0
  fi
  command -v apt-get >/dev/null || die "setup: apt-get not found (promtool comes from Debian's prometheus package)"
  echo "setup: fetching promtool from Debian's prometheus package"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && apt-get download prometheus >"$tmp/apt.log" 2>&1) || {
    apt-get update -qq >/dev/null 2>&1 || true
    (cd "$tmp" && apt-get download prometheus >"$tmp/apt.log" 2>&1) \
      || die "setup: apt-get download prometheus failed: $(tail -n1 "$tmp/apt.log")"
  }
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
  mkdir -p "$CACHE/bin"
  install -m 0755 "$tmp/x/usr/bin/promtool" "$PROMTOOL.new" && mv "$PROMTOOL.new" "$PROMTOOL"
  basename "$tmp"/prometheus_*.deb >"$marker"
  rm -rf "$tmp"
  "$PROMTOOL" --version >/dev/null 2>&1 || die "setup: the extracted promtool does not run"
}

mkdir -p "$CACHE"
install_promtool
[[ -x "$HELM" && -x "$VENV_PY" ]] || bash scripts/helm-validate.sh >/dev/null \
  || die "setup: scripts/helm-validate.sh (which installs helm) failed"
echo "setup: $("$PROMTOOL" --version 2>&1 | head -n1)"

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

# 1. The rules.
"$HELM" template ci helm/taskfleet -f helm/taskfleet/ci/monitoring-values.yaml >"$work/chart.yaml"
"$VENV_PY" - "$work/chart.yaml" "$work/rules.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") == "PrometheusRule"]
assert len(docs) == 1, f"want one PrometheusRule, got {len(docs)}"
yaml.safe_dump({"groups": docs[0]["spec"]["groups"]}, open(sys.argv[2], "w"), sort_keys=False)
PY
echo "== promtool check rules (PrometheusRule of monitoring-values.yaml)"
"$PROMTOOL" check rules "$work/rules.yaml"

# 2. Live scrapes.
bash scripts/ensure-postgres.sh
cargo build --locked --quiet
BIN="target/debug/taskfleet"
db="taskfleet_promtool_$$"
psql -q "$PG/postgres?sslmode=disable" -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="$PG/$db?sslmode=disable"
export TASKFLEET_JWT_SECRET="promtool-jwt-secret-of-32-bytes-or-more" TASKFLEET_AGENT_SECRET="promtool-agent-secret-of-32-bytes-or-more"
export TASKFLEET_BUSINESS_HOURS=off RUST_LOG=warn
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_port=$(free_port); metrics_port=$(free_port); sim_port=$(free_port)

"$BIN" migrate >/dev/null
# Agents answer 503 to a third of the calls, so retry and failure series exist too.
"$BIN" agents-sim --addr "127.0.0.1:$sim_port" --latency-ms 5 --failure-rate 0.3 >"$work/sim.log" 2>&1 &
pids+=($!)
TASKFLEET_API_ADDR="127.0.0.1:$api_port" "$BIN" api >"$work/api.log" 2>&1 &
pids+=($!)
TASKFLEET_METRICS_ADDR="127.0.0.1:$metrics_port" TASKFLEET_BACKOFF_BASE_MS=10 \
  TASKFLEET_ALERTS_CRON="*/1 * * * * *" TASKFLEET_METRICS_CRON="*/1 * * * * *" \
  "$BIN" worker >"$work/worker.log" 2>&1 &
pids+=($!)
ws=$("$BIN" workspaces create --name promtool)
for agent in content-generator email-agent; do
  "$BIN" agents register "$agent" "http://127.0.0.1:$sim_port/$agent" >/dev/null
done
token=$("$BIN" token --sub ci --workspace "$ws")

wait_for() { # url
  for _ in $(seq 1 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$1 did not answer (logs in $work)"
}
wait_for "http://127.0.0.1:$api_port/healthz"
wait_for "http://127.0.0.1:$metrics_port/healthz"
for i in $(seq 1 20); do
  agent=content-generator; type=content
  if (( i % 2 )); then agent=email-agent; type=email; fi
  curl -fsS "http://127.0.0.1:$api_port/api/tasks" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' \
    -d "{\"workspace_id\":\"$ws\",\"task_description\":\"promtool $i\",\"task_type\":\"$type\",\"assigned_agent\":\"$agent\",\"max_retries\":1}" >/dev/null
done
curl -fsS "http://127.0.0.1:$api_port/api/tasks/nope" -H "authorization: Bearer $token" >/dev/null 2>&1 || true
for _ in $(seq 1 300); do
  left=$(psql -tA "$DATABASE_URL" -c "SELECT count(*) FROM autonomous_tasks WHERE status IN ('queued','in_progress')")
  [[ "$left" == 0 ]] && break
  sleep 0.1
done
[[ "$left" == 0 ]] || die "the worker did not finish the tasks ($left left; logs in $work)"
sleep 2 # one more alerts and queue_metrics tick after the last task

for who in api worker; do
  port=$api_port; [[ $who == worker ]] && port=$metrics_port
  curl -fsS "http://127.0.0.1:$port/metrics" >"$work/$who.prom"
  echo "== promtool check metrics ($who /metrics: $(grep -c '^# TYPE' "$work/$who.prom") metric families)"
  "$PROMTOOL" check metrics <"$work/$who.prom"
done
grep -q '^taskfleet_tasks_completed_total' "$work/worker.prom" || die "the worker scrape has no completed tasks"
grep -q '^taskfleet_workspace_queued_tasks' "$work/worker.prom" || die "the worker scrape has no alert gauges"
echo "promtool: rules and metrics clean"
