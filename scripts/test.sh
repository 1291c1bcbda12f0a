#!/usr/bin/env bash
# Sets up, then runs the linter and the whole test suite twice: on SQLite, then on a throw-away PostgreSQL
# (scripts/postgres.sh). CRISISPLAN_TEST_DATABASES=sqlite (or postgresql) runs one of the two.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests   # and Chromium for the browser tests in tests/e2e
.venv/bin/ruff check .
.venv/bin/lint-imports   # the import contract in pyproject.toml (docs/ARCHITECTURE.md)
databases=${CRISISPLAN_TEST_DATABASES:-sqlite postgresql}
for database in $databases; do
  case "$database" in
    sqlite)
      echo "== the test suite on SQLite" >&2
      env -u CRISISPLAN_TEST_POSTGRES .venv/bin/python -m pytest "$@" ;;
    postgresql)
      echo "== the test suite on PostgreSQL" >&2
      started=$(bash scripts/postgres.sh start)
      eval "$started"
      trap 'bash scripts/postgres.sh stop "$CRISISPLAN_PG_DIR"' EXIT
      .venv/bin/python -m pytest "$@" ;;
    *) echo "unknown database '$database' in CRISISPLAN_TEST_DATABASES (sqlite, postgresql)" >&2; exit 2 ;;
  esac
done
