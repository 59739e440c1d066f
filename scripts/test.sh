#!/usr/bin/env bash
# Install kaohe with its test tools into .venv, then run lint, type checks and the whole test suite.
# Needs only Python 3.11+: the tests start an embedded PostgreSQL (or use KAOHE_TEST_DATABASE_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e '.[test]'
echo "== ruff"; ruff check .
echo "== mypy"; mypy
echo "== pytest"; pytest "$@"
