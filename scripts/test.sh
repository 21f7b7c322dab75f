#!/usr/bin/env bash
# The test suite: every test gets a fresh database on the local PostgreSQL (started, or
# installed, by ensure-postgres.sh). Extra arguments go to `cargo test`, e.g.
#   scripts/test.sh --test worker_fleet
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DATABASE_URL:-}" ]; then
  bash scripts/ensure-postgres.sh
  # sqlx::test creates one database per test under this server; TLS off on loopback.
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
fi
exec cargo test --locked "$@"
