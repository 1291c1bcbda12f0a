#!/usr/bin/env bash
# Sets up, then runs crisisplan on the embedded default (SQLite in ./instance): checks the
# plan, prepares a first look (an admin login and a sample incident, only when empty) and
# serves the console and the public status page on http://localhost:8000 until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
crisisplan validate
crisisplan demo
port=${PORT:-8000}
echo
echo "status page: http://localhost:$port/"
echo "console:     http://localhost:$port/console/   (Ctrl-C stops it)"
exec crisisplan serve --port "$port"
