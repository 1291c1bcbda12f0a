#!/usr/bin/env bash
# Sets up, then runs the linter and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests   # and Chromium for the browser tests in tests/e2e
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
