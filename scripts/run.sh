#!/usr/bin/env bash
# Sets up, then runs crisisplan on the embedded default (SQLite in ./instance):
# checks the shipped plan, declares a demo outage and shows what the engine did.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
say crisisplan validate
say crisisplan runbooks
id=$(crisisplan declare outage --severity sev1 --title "Checkout fails for EU customers" \
       --component checkout --component payments --as on-call --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
printf '\n\033[1m$ crisisplan declare outage --severity sev1 --title "Checkout fails for EU customers" ...\033[0m\n'
echo "declared incident #$id"
say crisisplan trigger "$id" acknowledge --as on-call
say crisisplan trigger "$id" identify_cause --set cause="An expired TLS certificate on the payment gateway" --as on-call
say crisisplan status
say crisisplan posts "$id"
say crisisplan timeline "$id"
say crisisplan audit verify
echo
echo "The database is instance/crisisplan.sqlite3; try: .venv/bin/crisisplan --help"
