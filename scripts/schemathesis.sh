#!/usr/bin/env bash
# An outside fuzzer holding the API to its OpenAPI document (issue 16); what CI runs after
# promtool.
#
#   bash scripts/schemathesis.sh          (from the repository root; needs a local PostgreSQL)
#
# Schemathesis (PyPI, pinned below) reads docs/openapi.json (equal to what the live API serves
# at /api/openapi.json: tests/openapi.rs) and sends every operation
# generated requests, valid and invalid, with a fixed seed and a bounded number of examples. The
# API runs on a throwaway database with a seeded workspace (a decomposed strategy, tasks, one of
# them cancelled), the six agents registered (`agents-sim`) and a valid token.
# scripts/schemathesis_hooks.py points some generated ids at the seeded rows, so requests reach
# past the 404s. Checks: a 5xx, a status the document does not list, a content type or a body
# off the document each fail the run.
#
# Schemathesis lives in its own venv under $TASKFLEET_CI_CACHE (default ~/.cache/taskfleet-ci);
# a warm cache makes no network request.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CACHE="${TASKFLEET_CI_CACHE:-${HOME:-/tmp}/.cache/taskfleet-ci}"
ST_PKG="schemathesis==4.32.5"
VENV="$CACHE/schemathesis-venv"
CHECKS="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
SEED="${SCHEMATHESIS_SEED:-20261202}"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-100}"

die() { echo "FAIL $*" >&2; exit 2; }
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

# Python 3.12 or later when one is installed: under CPython 3.11.7, Hypothesis (which
# schemathesis generates data with) hits "SystemError: AST constructor recursion depth mismatch"
# while describing the strategies of recursive schemas (the any-JSON `target` of a KPI), which
# aborts the coverage phase of POST /api/strategies; 3.12 runs it clean. $PYTHON overrides.
pick_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 \
      "$(pyenv root 2>/dev/null)"/versions/3.1[2-9]*/bin/python3 python3; do
    [[ -n "$candidate" ]] || continue
    if [[ -n "${PYTHON:-}" && "$candidate" == "$PYTHON" ]] \
       || "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "setup: warning: no Python 3.12+ found; CPython 3.11 may abort the coverage phase" >&2
  echo python3
}

install_venv() {
  local marker="$VENV/.taskfleet-ci-reqs" python want
  python="$(pick_python)"
  want="$ST_PKG $("$python" --version 2>&1)"
  if [[ -x "$VENV/bin/schemathesis" && -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
    return 0
  fi
  echo "setup: creating venv with $want"
  rm -rf "$VENV"
  "$python" -m venv "$VENV" >/dev/null 2>&1 || die "setup: '$python -m venv' failed (install python3-venv)"
  "$VENV/bin/pip" install --quiet "$ST_PKG" >"$CACHE/schemathesis-pip.log" 2>&1 \
    || die "setup: could not install $ST_PKG from PyPI: $(tail -n1 "$CACHE/schemathesis-pip.log")"
  echo "$want" >"$marker"
}

mkdir -p "$CACHE"
install_venv
echo "setup: $("$VENV/bin/schemathesis" --version 2>&1 | head -n1)"

source scripts/live-api.sh
live_api_start schemathesis

# The seed rows: a decomposed strategy, a task of our own, one cancelled, and a template.
post() { curl -fsS "$BASE$1" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$2"; }
sid=$(post /api/strategies "{\"workspace_id\":\"$WS\",\"name\":\"fuzz\",
  \"campaign_calendar\":{\"phases\":[{\"phase_name\":\"One\",\"key_activities\":[\"Write launch blog post\",\"Send email drip\"]},
                                    {\"phase_name\":\"Two\",\"key_activities\":[\"Launch ad campaign\"]}]},
  \"content_pillars\":[{\"name\":\"Education\",\"percentage_allocation\":40}],\"kpis\":[{\"metric_name\":\"MQLs\",\"target\":100}]}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["strategy_id"])')
tasks=$(post /api/tasks/decompose "{\"strategy_id\":\"$sid\",\"workspace_id\":\"$WS\"}" \
  | python3 -c 'import json,sys; print(",".join(t["id"] for t in json.load(sys.stdin)["tasks"]))')
own=$(post /api/tasks "{\"workspace_id\":\"$WS\",\"task_description\":\"fuzz seed\",\"task_type\":\"research\",\"assigned_agent\":\"general-executor\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["task"]["id"])')
post "/api/tasks/${tasks%%,*}/cancel" '{"reason":"seed"}' >/dev/null
template=$(post /api/templates "{\"workspace_id\":\"$WS\",\"name\":\"fuzz\",\"cron\":\"0 0 9 * * *\",
  \"task\":{\"task_description\":\"fuzz seed\",\"task_type\":\"research\",\"assigned_agent\":\"general-executor\"}}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["template"]["id"])')

echo "== schemathesis $ST_PKG: all operations, seed $SEED, at most $MAX_EXAMPLES examples each; checks $CHECKS"
export TF_WORKSPACE="$WS" TF_STRATEGY="$sid" TF_TASKS="$tasks,$own" TF_TEMPLATE="$template"
export SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$PWD/scripts"
# The committed document (equal to the served one: tests/openapi.rs). Given the served URL,
# schemathesis leaves out the operation that serves it; given the file, it tests all 13.
DOC="$PWD/docs/openapi.json"
status=0
# One worker: the API's answers depend on the order of requests (a retry after a cancel), so a
# fixed seed reproduces a run only when they come in one order. From the work directory: schemathesis and Hypothesis keep caches (.schemathesis, .hypothesis)
# in the current directory, and a run should neither replay an old one nor leave it in the tree.
(cd "$WORK" && "$VENV/bin/schemathesis" run "$DOC" \
  --url "$BASE" \
  -H "Authorization: Bearer $TOKEN" \
  --checks "$CHECKS" \
  --seed "$SEED" \
  --max-examples "$MAX_EXAMPLES" \
  --workers 1 \
  --request-timeout 30 \
  --suppress-health-check all \
  --report junit --report-dir "$WORK/report" \
  "$@") || status=$?
if [[ $status -ne 0 ]]; then
  echo "FAIL schemathesis found problems (API log: last lines below)" >&2
  tail -n 20 "$WORK/api.log" >&2 || true
  exit "$status"
fi
echo "schemathesis: clean"
