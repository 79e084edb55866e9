#!/usr/bin/env bash
# Install everything the test suite needs, then run all of it.
# Extra arguments go to pytest, for example: scripts/test.sh -k sqlite
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
exec .venv/bin/python -m pytest "$@"
