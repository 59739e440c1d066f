#!/usr/bin/env bash
# Install kaohe into .venv and start the whole stack on the embedded PostgreSQL.
# Needs only Python 3.11+. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e .
exec kaohe up "$@"
