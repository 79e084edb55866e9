#!/usr/bin/env bash
# Install ApplyLens into .venv, generate the demo mailbox, import and classify
# it into the embedded SQLite store, and run a first search.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh run
.venv/bin/applylens demo "$@"
.venv/bin/applylens search "interview" --days 30
