#!/usr/bin/env bash
# Creates .venv and installs crisisplan with its test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh "$@"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[test]'
  touch "$stamp"
fi
case " $* " in  # the benchmarks' own tools (locust for benchmarks/load.py)
  *" --bench "*) .venv/bin/python -m pip install --quiet -e '.[test,bench]' ;;
esac
case " $* " in  # the AT Protocol servers the Bluesky tests run against (a cache folder shared by checkouts)
  *" --tests "*) bash scripts/atproto.sh install || { echo "could not install the AT Protocol dev network" >&2;
                                                       [ "${CI:-}" != "true" ]; } ;;
esac
