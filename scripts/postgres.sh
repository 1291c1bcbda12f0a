#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on a loopback port, for the test suite and the benchmarks.
#   eval "$(bash scripts/postgres.sh start)"   installs PostgreSQL with apt-get when missing, starts a cluster
#                                              in a temporary folder of its own, exports CRISISPLAN_TEST_POSTGRES
#                                              (a URL) and CRISISPLAN_PG_DIR (that folder)
#   bash scripts/postgres.sh stop [DIR]        stops the cluster in DIR (default $CRISISPLAN_PG_DIR), removes it
# Each start has its own folder and port: two runs on one machine never stop each other's servers.
# The cluster trades durability for speed (fsync off): it holds nothing worth keeping.
#   bash scripts/postgres.sh start --durable   production settings instead (fsync, synchronous_commit and
#                                              full_page_writes on, PostgreSQL's defaults): what benchmarks use
set -euo pipefail

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_owner() {  # initdb and postgres refuse to run as root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if [ -z "$(bindir)" ]; then
      echo "installing postgresql (Debian package)" >&2
      export DEBIAN_FRONTEND=noninteractive
      { apt-get install -y -qq postgresql >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq postgresql >/dev/null; }; } ||
        { echo "could not install postgresql" >&2; exit 1; }
    fi
    bin=$(bindir)
    speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${2:-}" = "--durable" ] && speed=""
    dir=$(mktemp -d "${TMPDIR:-/tmp}/crisisplan-pg.XXXXXX")
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
      "-h 127.0.0.1 -p $port -k $dir $speed -c max_connections=300" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "export CRISISPLAN_TEST_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    echo "export CRISISPLAN_PG_DIR=$dir"
    ;;
  stop)
    dir=${2:-${CRISISPLAN_PG_DIR:-}}
    case "$dir" in ""|/) exit 0 ;; esac
    [ -d "$dir/data" ] || exit 0
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
