#!/usr/bin/env bash
# The statewide scale benchmark (issue 13): generate a statewide database with SQL (10,000 agreements by default;
# --agreements 10000,1000000 for the issue's comparison), serve the portal with gunicorn, measure every page cold and
# warm against a bare Django page of the same size, throughput, and the deadline sweep. Starts its own throwaway
# PostgreSQL and Redis, as make test does; writes the table to bench/results/statewide.md.
#
#     bench/statewide.sh [--agreements 10000,1000000] [--workers 2] [--runs 5] [--out bench/results/statewide.md]
set -euo pipefail
cd "$(dirname "$0")/.."
# Room for a million agreements' sorts and index builds; the rest as make test (fsync off: a throwaway database).
export PG_EXTRA_OPTIONS="${PG_EXTRA_OPTIONS:--c shared_buffers=1GB -c work_mem=32MB -c maintenance_work_mem=512MB -c max_wal_size=8GB -c checkpoint_timeout=30min -c max_connections=200}"
source scripts/services.sh
.venv/bin/python -m bench.statewide.run "$@"
