#!/usr/bin/env bash
# `make run`: the portal on SQLite with the demo, and a Celery worker with beat beside it, so that long work (PDFs,
# e-mail, imports, exports) runs in the worker as in production, never in a request. Without Redis the broker and the
# cache are files under var/ (kombu's filesystem transport; Django's file cache), shared by the two processes.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
PY=.venv/bin/python

export DJANGO_DEBUG=true
# Every link the portal writes (e-mail, the calendar feed) follows the address it is served on.
export SITE_URL=${SITE_URL:-http://$HOST:$PORT}
if [ -z "${REDIS_URL:-}" ]; then
  export CELERY_BROKER_URL=${CELERY_BROKER_URL:-filesystem://}
  export CELERY_BROKER_DIR=${CELERY_BROKER_DIR:-var/broker}
  export DJANGO_FILE_CACHE_DIR=${DJANGO_FILE_CACHE_DIR:-var/cache}
  mkdir -p "$CELERY_BROKER_DIR/processed" "$DJANGO_FILE_CACHE_DIR"
fi

worker_pid=
stop() { [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap stop EXIT INT TERM
# One process runs the worker and beat (-B: the development way; production runs them apart, see docker-compose.yml).
.venv/bin/celery -A dpa_portal worker -B --loglevel=INFO --concurrency=2 --logfile var/worker.log &
worker_pid=$!
echo "Celery worker and beat started (log: var/worker.log)"
$PY manage.py runserver "$HOST:$PORT"
