#!/usr/bin/env bash
# A local Citus cluster for the scale-out work (issue 19): a coordinator and two worker nodes of
# Debian's PostgreSQL 15 on free loopback ports, data under a temp directory.
#
#   bash scripts/citus-cluster.sh up [N]   builds and installs Citus when it is missing, starts a
#                                          coordinator and N worker nodes (2), joins them, and prints
#                                          DATABASE_URL=postgres://postgres@127.0.0.1:<port>/taskfleet
#   bash scripts/citus-cluster.sh add-node starts one more worker node and adds it to the taskfleet
#                                          database (citus_add_node); it holds no shards until
#                                          SELECT citus_rebalance_start() moves some there
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
# Shard moves (citus_rebalance_start) copy with logical replication, so writes go on meanwhile.
wal_level = logical
# One Citus maintenance daemon per database; the tests make a database each.
max_worker_processes = 128
CONF
  as_pg "$PGBIN/pg_ctl" -D "$dir/$name" -l "$dir/$name.log" -w start >/dev/null \
    || die "node $name did not start: $(tail -n5 "$dir/$name.log")"
}

psql_on() { # port sql...
  local port=$1; shift
  psql -qAt -h 127.0.0.1 -p "$port" -U postgres "$@"
}

worker_node() { # port: a new worker node with the taskfleet database and the extension
  local dir=$1 name=$2 port=$3
  start_node "$name" "$port" "$dir"
  psql_on "$port" -d postgres -c "CREATE DATABASE $DB" >/dev/null
  psql_on "$port" -d "$DB" -c "CREATE EXTENSION citus" >/dev/null
}

up() {
  local count=${1:-2}
  [[ -f "$STATE" ]] && die "a cluster is up already ($(cat "$STATE")); run down first"
  [[ "$count" =~ ^[1-9]$ ]] || die "up takes a number of worker nodes, 1 to 9"
  install_citus
  local dir; dir=$(mktemp -d /tmp/taskfleet-citus.XXXXXX)
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  local coord ports=() i
  coord=$(free_port)
  for ((i = 1; i <= count; i++)); do ports+=("$(free_port)"); done
  echo "dir=$dir coordinator=$coord workers=$(IFS=,; echo "${ports[*]}")" > "$STATE"
  start_node coordinator "$coord" "$dir"
  psql_on "$coord" -d postgres -c "CREATE DATABASE $DB" >/dev/null
  psql_on "$coord" -d "$DB" -c "CREATE EXTENSION citus" >/dev/null
  psql_on "$coord" -d "$DB" -c "SELECT citus_set_coordinator_host('127.0.0.1', $coord)" >/dev/null
  for ((i = 1; i <= count; i++)); do
    worker_node "$dir" "worker$i" "${ports[i-1]}"
    psql_on "$coord" -d "$DB" -c "SELECT citus_add_node('127.0.0.1', ${ports[i-1]})" >/dev/null
  done
  local nodes; nodes=$(psql_on "$coord" -d "$DB" -c "SELECT count(*) FROM citus_get_active_worker_nodes()")
  [[ "$nodes" == "$count" ]] || die "the coordinator sees $nodes worker nodes, not $count"
  say "Citus $VERSION: coordinator on 127.0.0.1:$coord, worker nodes on ${ports[*]} (data in $dir)"
  echo "DATABASE_URL=postgres://postgres@127.0.0.1:$coord/$DB?sslmode=disable"
}

add_node() {
  [[ -f "$STATE" ]] || die "no cluster is up"
  local dir coord workers port n
  dir=$(sed -n 's/^dir=\([^ ]*\).*/\1/p' "$STATE")
  coord=$(sed -n 's/.*coordinator=\([0-9]*\).*/\1/p' "$STATE")
  workers=$(sed -n 's/.*workers=\([0-9,]*\).*/\1/p' "$STATE")
  n=$(( $(tr ',' '\n' <<<"$workers" | wc -l) + 1 ))
  port=$(free_port)
  worker_node "$dir" "worker$n" "$port"
  psql_on "$coord" -d "$DB" -c "SELECT citus_add_node('127.0.0.1', $port)" >/dev/null
  sed -i "s/workers=$workers/workers=$workers,$port/" "$STATE"
  say "worker node $n on 127.0.0.1:$port added; SELECT citus_rebalance_start() moves shards to it"
}

status() {
  [[ -f "$STATE" ]] || { echo "no cluster is up"; return 0; }
  cat "$STATE"
}

down() {
  [[ -f "$STATE" ]] || { say "no cluster is up"; return 0; }
  local dir; dir=$(sed -n 's/^dir=\([^ ]*\).*/\1/p' "$STATE")
  for node in "$dir"/worker* "$dir/coordinator"; do
    [[ -d "$node" ]] && as_pg "$PGBIN/pg_ctl" -D "$node" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$dir" "$STATE"
  say "stopped and removed $dir"
}

case "${1:-}" in
  up) up "${2:-2}" ;;
  add-node) add_node ;;
  status) status ;;
  down) down ;;
  *) die "usage: scripts/citus-cluster.sh up [N]|add-node|status|down" ;;
esac
