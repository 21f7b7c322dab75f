#!/usr/bin/env bash
# A local Citus cluster for the scale-out work (issue 19): a coordinator and two worker nodes of
# Debian's PostgreSQL 15 on free loopback ports, data under a temp directory.
#
#   bash scripts/citus-cluster.sh up       builds and installs Citus when it is missing, starts the
#                                          three nodes, joins them, and prints
#                                          DATABASE_URL=postgres://postgres@127.0.0.1:<port>/taskfleet
#   bash scripts/citus-cluster.sh status   the nodes and their ports
#   bash scripts/citus-cluster.sh down     stops them and removes everything it created
#
# Citus 12.1.9 (the newest line for PostgreSQL 15) is built from the source archive in
# ../shared/citus (CITUS_TARBALL overrides) with the build dependencies from apt, once: the built
# tree is cached under $TASKFLEET_CI_CACHE (default ~/.cache/taskfleet-ci), so a later `up` on a
# machine without the extension only runs `make install` (seconds), like the Helm tools' cache.
# The cluster's state (directory, ports) is in $TASKFLEET_CITUS_STATE (default
# /tmp/taskfleet-citus.state), so `down` finds what `up` started. PostgreSQL refuses to run as
# root, so as root the nodes run as the `postgres` system user (as the demo's private server does).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VERSION=12.1.9
CACHE="${TASKFLEET_CI_CACHE:-${HOME:-/tmp}/.cache/taskfleet-ci}"
TARBALL="${CITUS_TARBALL:-../shared/citus/citus-$VERSION.tar.gz}"
SHA256=344e48c6fd29dfd911aa7bcc4a6b1f1e6345b1579226a08f76769242f0226d62
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
STATE="${TASKFLEET_CITUS_STATE:-/tmp/taskfleet-citus.state}"
DB=taskfleet

die() { echo "citus-cluster: $*" >&2; exit 2; }
say() { echo "citus-cluster: $*" >&2; }

# Runs a command as the PostgreSQL system user when we are root.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

installed() { [[ -f "$("$PGBIN/pg_config" --pkglibdir)/citus.so" ]]; }

install_citus() {
  installed && return 0
  local tree="$CACHE/citus-$VERSION"
  if [[ ! -f "$tree/.built" ]]; then
    [[ -f "$TARBALL" ]] || die "the Citus source is not at $TARBALL (set CITUS_TARBALL)"
    echo "$SHA256  $TARBALL" | sha256sum -c --quiet - || die "$TARBALL does not match its sha256"
    say "installing Citus' build dependencies (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-server-dev-15 liblz4-dev \
      libzstd-dev libkrb5-dev libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev \
      libicu-dev uuid-dev flex >/dev/null 2>&1 || {
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-server-dev-15 liblz4-dev \
          libzstd-dev libkrb5-dev libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev \
          libicu-dev uuid-dev flex >/dev/null || die "apt-get install of the build dependencies failed"
      }
    say "building Citus $VERSION (about 1.5 minutes on 2 cores; cached in $tree)"
    rm -rf "$tree" && mkdir -p "$CACHE"
    tar xzf "$TARBALL" -C "$CACHE"
    (cd "$tree" && ./configure --without-libcurl PG_CONFIG="$PGBIN/pg_config" >/dev/null \
      && make -j"$(nproc)" >/dev/null) || die "the Citus build failed (see $tree)"
    touch "$tree/.built"
  fi
  say "installing Citus $VERSION into PostgreSQL 15"
  (cd "$tree" && make install >/dev/null) || die "make install of Citus failed"
  installed || die "citus.so is still missing after make install"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_node() { # name port dir
  local name=$1 port=$2 dir=$3
  as_pg "$PGBIN/initdb" -D "$dir/$name" -U postgres --auth=trust --no-sync >/dev/null
  cat >> "$dir/$name/postgresql.conf" <<CONF
shared_preload_libraries = 'citus'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
max_connections = 400
CONF
  as_pg "$PGBIN/pg_ctl" -D "$dir/$name" -l "$dir/$name.log" -w start >/dev/null \
    || die "node $name did not start: $(tail -n5 "$dir/$name.log")"
}

psql_on() { # port sql...
  local port=$1; shift
  psql -qAt -h 127.0.0.1 -p "$port" -U postgres "$@"
}

up() {
  [[ -f "$STATE" ]] && die "a cluster is up already ($(cat "$STATE")); run down first"
  install_citus
  local dir; dir=$(mktemp -d /tmp/taskfleet-citus.XXXXXX)
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  local coord w1 w2
  coord=$(free_port); w1=$(free_port); w2=$(free_port)
  echo "dir=$dir coordinator=$coord workers=$w1,$w2" > "$STATE"
  start_node coordinator "$coord" "$dir"
  start_node worker1 "$w1" "$dir"
  start_node worker2 "$w2" "$dir"
  for port in "$coord" "$w1" "$w2"; do
    psql_on "$port" -d postgres -c "CREATE DATABASE $DB" >/dev/null
    psql_on "$port" -d "$DB" -c "CREATE EXTENSION citus" >/dev/null
  done
  psql_on "$coord" -d "$DB" -c "SELECT citus_set_coordinator_host('127.0.0.1', $coord)" >/dev/null
  for port in "$w1" "$w2"; do
    psql_on "$coord" -d "$DB" -c "SELECT citus_add_node('127.0.0.1', $port)" >/dev/null
  done
  local nodes; nodes=$(psql_on "$coord" -d "$DB" -c "SELECT count(*) FROM citus_get_active_worker_nodes()")
  [[ "$nodes" == 2 ]] || die "the coordinator sees $nodes worker nodes, not 2"
  say "Citus $VERSION: coordinator on 127.0.0.1:$coord, worker nodes on $w1 and $w2 (data in $dir)"
  echo "DATABASE_URL=postgres://postgres@127.0.0.1:$coord/$DB?sslmode=disable"
}

status() {
  [[ -f "$STATE" ]] || { echo "no cluster is up"; return 0; }
  cat "$STATE"
}

down() {
  [[ -f "$STATE" ]] || { say "no cluster is up"; return 0; }
  local dir; dir=$(sed -n 's/^dir=\([^ ]*\).*/\1/p' "$STATE")
  for name in worker2 worker1 coordinator; do
    [[ -d "$dir/$name" ]] && as_pg "$PGBIN/pg_ctl" -D "$dir/$name" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$dir" "$STATE"
  say "stopped and removed $dir"
}

case "${1:-}" in
  up) up ;;
  status) status ;;
  down) down ;;
  *) die "usage: scripts/citus-cluster.sh up|status|down" ;;
esac
