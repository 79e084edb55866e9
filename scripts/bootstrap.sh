#!/usr/bin/env bash
# Prepare this checkout: a virtualenv in .venv with the pinned packages and,
# for "test", the Debian packages and Elasticsearch builds the test suite uses.
# Safe to run again; it only installs what is missing.
#   scripts/bootstrap.sh run    the product only
#   scripts/bootstrap.sh test   the product, the test tools and their services
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

debian_packages=(
    maildir-utils notmuch libnotmuch-dev prometheus nginx chromium
    redis-server docker-compose
)

python_bin=${PYTHON:-python3}
if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "ApplyLens needs Python 3.11 or newer; $python_bin is $("$python_bin" -V 2>&1)." >&2
    echo "Set PYTHON to a newer interpreter and run this again." >&2
    exit 1
fi

if [ "$mode" = test ]; then
    missing=()
    for package in "${debian_packages[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing Debian packages: ${missing[*]}"
        sudo_cmd=()
        [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
        "${sudo_cmd[@]}" apt-get update -q
        DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q \
            "${missing[@]}"
    fi
fi

if [ ! -x .venv/bin/python ]; then
    "$python_bin" -m venv .venv
fi
extras=""
[ "$mode" = test ] && extras="[dev,bench]"
.venv/bin/python -m pip install -q -c requirements/constraints.txt -e ".$extras"

if [ "$mode" = test ]; then
    .venv/bin/python scripts/fetch_elasticsearch.py
fi
