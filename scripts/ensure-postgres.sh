#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the test suite:
#   1. already running: nothing to do;
#   2. installed (Debian's postgresql package) but stopped: start the cluster;
#   3. not installed: `apt-get install postgresql` (root only), start it, and allow the local
#      `postgres` user over TCP without a password (trust on 127.0.0.1 only).
# Prints one line saying what it did; exits non-zero with the fix when it cannot.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

start_cluster() {
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] || return 1
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || pg_ctlcluster "$version" main start
}

trust_local_tcp() {
  local hba
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf 2>/dev/null | sort -V | tail -n 1)
  [ -n "$hba" ] || return 0
  if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$(basename "$(dirname "$(dirname "$hba")")")" main reload 2>/dev/null || true
  fi
}

if command -v pg_isready >/dev/null && ready; then
  echo "postgres: already running on 127.0.0.1:5432"
  exit 0
fi

if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
  start_cluster
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "postgres: not installed; installing Debian's postgresql package"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  start_cluster || true
  trust_local_tcp
else
  echo "error: no PostgreSQL on 127.0.0.1:5432: install it (apt-get install postgresql / brew install postgresql) or set DATABASE_URL" >&2
  exit 1
fi

for _ in $(seq 1 60); do
  if ready; then
    echo "postgres: started on 127.0.0.1:5432"
    exit 0
  fi
  sleep 0.5
done
echo "error: PostgreSQL did not come up on 127.0.0.1:5432 (see /var/log/postgresql/)" >&2
exit 1
