#!/usr/bin/env bash
# A throw-away AT Protocol network (the reference servers of @atproto/dev-env: PLC directory, PDS and the
# AppView), on loopback ports of its own, for the Bluesky tests and benchmark.
#   eval "$(bash scripts/atproto.sh start)"   installs it when missing (scripts/atproto/install.sh, a cache folder
#                         shared by the checkouts), starts Redis and a PostgreSQL cluster of its own
#                         (scripts/postgres.sh) for the AppView, then the network in a temporary folder; exports
#                         CRISISPLAN_ATPROTO_PDS (the PDS's URL), CRISISPLAN_ATPROTO_APPVIEW and
#                         CRISISPLAN_ATPROTO_DIR (that folder; network.json there has every address as JSON)
#   eval "$(bash scripts/atproto.sh start --no-appview)"   the PDS and PLC only (a self-hosted PDS: read
#                         its firehose); no Redis, no PostgreSQL
#   bash scripts/atproto.sh stop [DIR]       stops everything started in DIR (default $CRISISPLAN_ATPROTO_DIR)
#   bash scripts/atproto.sh install          only install (scripts/setup.sh --tests does)
# Each start has its own folder and ports: two runs on one machine never stop each other's servers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

stop() {
  local dir=$1
  case "$dir" in ""|/) return 0 ;; esac
  [ -d "$dir" ] || return 0
  if [ -f "$dir/node.pid" ]; then
    pid=$(cat "$dir/node.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  [ -f "$dir/redis.pid" ] && { kill -TERM "$(cat "$dir/redis.pid")" 2>/dev/null || true; }
  [ -f "$dir/pg_dir" ] && bash "$here/postgres.sh" stop "$(cat "$dir/pg_dir")"
  rm -rf "$dir"
}

case "${1:-}" in
  install) bash "$here/atproto/install.sh" >/dev/null ;;
  start)
    modules=$(bash "$here/atproto/install.sh")
    dir=$(mktemp -d "${TMPDIR:-/tmp}/crisisplan-atproto.XXXXXX")
    trap 'stop "$dir"' ERR
    ln -s "$modules/node_modules" "$dir/node_modules"
    cp "$here/atproto/start.mjs" "$dir/start.mjs"   # beside node_modules: Node resolves imports from there
    export ATPROTO_PDS_PORT=$(free_port) ATPROTO_PLC_PORT=$(free_port) ATPROTO_APPVIEW_PORT=$(free_port)
    if [ "${2:-}" = "--no-appview" ]; then
      export ATPROTO_APPVIEW=0
    else
      if ! command -v redis-server >/dev/null; then
        echo "installing redis-server (Debian package)" >&2
        export DEBIAN_FRONTEND=noninteractive
        { apt-get install -y -qq redis-server >/dev/null 2>&1 ||
          { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq redis-server >/dev/null; }; } ||
          { echo "could not install redis-server" >&2; exit 1; }
      fi
      redis_port=$(free_port)
      redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir" --save "" --appendonly no \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
      pg=$(bash "$here/postgres.sh" start)
      pg_url=$(sed -n 's/^export CRISISPLAN_TEST_POSTGRES=//p' <<<"$pg")
      sed -n 's/^export CRISISPLAN_PG_DIR=//p' <<<"$pg" >"$dir/pg_dir"
      export REDIS_HOST=127.0.0.1:$redis_port DB_POSTGRES_URL=${pg_url/postgresql+psycopg:/postgresql:}
    fi
    (cd "$dir" && exec node_modules/.bin/node start.mjs >"$dir/network.json" 2>"$dir/network.log") &
    echo $! >"$dir/node.pid"
    for _ in $(seq 1200); do   # two minutes at most
      [ -s "$dir/network.json" ] && break
      kill -0 "$(cat "$dir/node.pid")" 2>/dev/null || { tail -30 "$dir/network.log" >&2; stop "$dir"; exit 1; }
      sleep 0.1
    done
    [ -s "$dir/network.json" ] || { echo "the AT Protocol network did not start in 2 minutes" >&2;
                                    tail -30 "$dir/network.log" >&2; stop "$dir"; exit 1; }
    python3 - "$dir" <<'PY'
import json, sys
net = json.load(open(f"{sys.argv[1]}/network.json"))
print(f"export CRISISPLAN_ATPROTO_DIR={sys.argv[1]}")
print(f"export CRISISPLAN_ATPROTO_PDS={net['pds']}")
print(f"export CRISISPLAN_ATPROTO_APPVIEW={net['appview'] or ''}")
PY
    ;;
  stop) stop "${2:-${CRISISPLAN_ATPROTO_DIR:-}}" ;;
  *) echo "usage: $0 start [--no-appview]|stop [DIR]|install" >&2; exit 2 ;;
esac
