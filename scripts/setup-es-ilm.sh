#!/usr/bin/env bash
# Put the Elasticsearch mail indices under the 90-day retention policy, for
# operators used to scripts. A thin wrapper over `applylens es`:
#   scripts/setup-es-ilm.sh [setup-ilm|verify|migrate|rollover|rollback] [options]
# With no command it runs setup-ilm and then verify. The cluster URL comes from
# APPLYLENS_ES_URL (default http://127.0.0.1:9200) or --es-url URL.
set -euo pipefail
cd "$(dirname "$0")/.."
applylens=.venv/bin/applylens
[ -x "$applylens" ] || applylens=applylens

es_url=()
if [ "${1:-}" = "--es-url" ]; then
    es_url=(--es-url "$2")
    shift 2
fi

if [ $# -eq 0 ]; then
    "$applylens" "${es_url[@]}" es setup-ilm
    exec "$applylens" "${es_url[@]}" es verify
fi
exec "$applylens" "${es_url[@]}" es "$@"
