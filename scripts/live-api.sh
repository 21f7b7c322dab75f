# A throwaway live API for the outside judges (scripts/schemathesis.sh,
# scripts/openapi-client-test.sh); sourced, not run. `live_api_start` builds the binary, creates
# database taskfleet_<tag>_<pid> on the local PostgreSQL, migrates it, starts `agents-sim` and
# `taskfleet api` on free ports, registers the six standard agents, creates a workspace and
# mints a token. It sets BASE (http://127.0.0.1:PORT), WS, TOKEN, DATABASE_URL, BIN and WORK
# (logs); an EXIT trap stops the processes and drops the database, and removes WORK unless
# LIVE_KEEP is set.
#   live_api_start TAG

PG="${TASKFLEET_CI_PG:-postgres://postgres@127.0.0.1:5432}"
AGENTS="content-generator calendar-agent email-agent campaign-manager analytics-agent general-executor"

live_api_cleanup() {
  local p
  for p in "${LIVE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "${LIVE_DB:-}" ]]; then
    psql -q "$PG/postgres?sslmode=disable" -c "DROP DATABASE IF EXISTS $LIVE_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [[ -n "${LIVE_KEEP:-}" ]]; then
    echo "kept the logs and reports in $WORK (LIVE_KEEP is set)" >&2
  elif [[ -n "${WORK:-}" ]]; then
    rm -rf "$WORK"
  fi
}

live_api_start() {
  local tag="$1"
  LIVE_PIDS=()
  WORK="$(mktemp -d)"
  trap live_api_cleanup EXIT
  bash scripts/ensure-postgres.sh >/dev/null
  nice -n 19 cargo build --locked --quiet
  BIN="$PWD/target/debug/taskfleet"
  LIVE_DB="taskfleet_${tag}_$$"
  psql -q "$PG/postgres?sslmode=disable" -c "CREATE DATABASE $LIVE_DB" >/dev/null
  export DATABASE_URL="$PG/$LIVE_DB?sslmode=disable"
  export TASKFLEET_JWT_SECRET="$tag-jwt-secret-of-32-bytes-or-more-$$"
  export TASKFLEET_AGENT_SECRET="$tag-agent-secret-of-32-bytes-or-more-$$"
  # Time-of-day rules off: what runs must not depend on the hour in Sydney.
  export TASKFLEET_BUSINESS_HOURS=off RUST_LOG="${RUST_LOG:-warn}"
  local api_port sim_port
  api_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  sim_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$BIN" migrate >/dev/null
  "$BIN" agents-sim --addr "127.0.0.1:$sim_port" --latency-ms 5 --failure-rate 0 >"$WORK/sim.log" 2>&1 &
  LIVE_PIDS+=($!)
  TASKFLEET_API_ADDR="127.0.0.1:$api_port" "$BIN" api >"$WORK/api.log" 2>&1 &
  LIVE_PIDS+=($!)
  local agent
  for agent in $AGENTS; do
    "$BIN" agents register "$agent" "http://127.0.0.1:$sim_port/$agent" >/dev/null
  done
  WS=$("$BIN" workspaces create --name "$tag")
  TOKEN=$("$BIN" token --sub "$tag" --workspace "$WS")
  BASE="http://127.0.0.1:$api_port"
  local _
  for _ in $(seq 1 100); do
    curl -fsS "$BASE/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "FAIL the API did not become ready: $(tail -n 3 "$WORK/api.log")" >&2
  exit 2
}
