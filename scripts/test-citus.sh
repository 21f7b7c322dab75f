#!/usr/bin/env bash
# The queue, API, lifecycle and worker-fleet suites again, on a Citus cluster (issue 19): brings
# a coordinator and two worker nodes up with scripts/citus-cluster.sh (building Citus the first
# time), runs the suites with TASKFLEET_TEST_CITUS set, so each test's database is distributed
# by workspace before the test uses it (tests/common/citus.rs), and takes the cluster down.
# A cluster already up (citus-cluster.sh up) is used and left up. Extra arguments go to
# `cargo test`, e.g. scripts/test-citus.sh --test worker_fleet
set -euo pipefail
cd "$(dirname "$0")/.."
STATE="${TASKFLEET_CITUS_STATE:-/tmp/taskfleet-citus.state}"
started=0
if [[ ! -f "$STATE" ]]; then
  bash scripts/citus-cluster.sh up >/dev/null
  started=1
fi
cleanup() { if [[ $started == 1 ]]; then bash scripts/citus-cluster.sh down; fi; }
trap cleanup EXIT
coordinator=$(sed -n 's/.*coordinator=\([0-9]*\).*/\1/p' "$STATE")
workers=$(sed -n 's/.*workers=\([0-9,]*\).*/\1/p' "$STATE")
# sqlx::test drops a test's database at the next run without FORCE, which the Citus maintenance
# daemon's connection refuses: drop what an earlier run left, on every node.
for port in $coordinator ${workers//,/ }; do
  psql -qAt -h 127.0.0.1 -p "$port" -U postgres -d postgres -c \
    "SELECT datname FROM pg_database WHERE datname LIKE '\_sqlx\_test\_%'" |
    while read -r db; do
      psql -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP DATABASE \"$db\" WITH (FORCE)"
    done
done
export DATABASE_URL="postgres://postgres@127.0.0.1:$coordinator/postgres?sslmode=disable"
export TASKFLEET_TEST_CITUS="$workers"
# fair_claim is not among them: it checks the global claim order and urgent tasks first across
# workspaces, which the per-workspace claim on Citus does not give (README).
suites=(--test queue_transitions --test lifecycle --test worker_fleet
        --test api_end_to_end --test api_lifecycle --test api_requests_tasks
        --test api_requests_status --test approvals)
if [[ $# -gt 0 ]]; then suites=("$@"); fi
cargo test --locked --no-fail-fast "${suites[@]}"
