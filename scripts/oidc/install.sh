#!/usr/bin/env bash
# Installs the test OpenID provider (node-oidc-provider, pinned by package-lock.json) into
# scripts/oidc/node_modules with `npm ci`; again only when the lock file changed. Two runs at once
# wait for each other (flock). Exit 1 when node or npm is missing or the install fails.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null && command -v npm >/dev/null || {
  echo "node and npm are needed (scripts/system-packages.sh --tests installs them)" >&2; exit 1; }
exec 9>.install.lock
flock 9
stamp=node_modules/.crisisplan-installed
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ -d node_modules/oidc-provider ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error >&2
touch "$stamp"
