#!/usr/bin/env bash
# Import 5,000 agreements with 5,000 small PDFs into an empty district through a real Celery worker, then export the
# district: time and peak worker memory (issue 12.8). Starts its own throwaway PostgreSQL and Redis, as make test does.
#
#     bench/portfolio_import.sh [--rows 5000] [--out bench/results/portfolio_import.md]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
export DJANGO_DEBUG=true
"$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres dpa_portal
.venv/bin/python manage.py migrate -v0
.venv/bin/python bench/portfolio_import.py "$@"
