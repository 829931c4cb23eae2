#!/usr/bin/env bash
# Run the whole suite on a throwaway PostgreSQL and Redis on loopback; stop them; exit with pytest's status.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/services.sh
export DJANGO_DEBUG=true
export DJANGO_ALLOW_ASYNC_UNSAFE=true

status=0
# The 25 slowest set-ups, calls and teardowns close the output, so that a slow test or fixture stays visible in CI
# (arguments such as --durations=0 override it).
.venv/bin/python -m pytest --durations=25 "$@" || status=$?
exit $status
