"""gunicorn's settings for the portal (issue 13.7): `gunicorn -c gunicorn.conf.py dpa_portal.wsgi:application`.

Each value can be changed from the environment without a new image; README, "Statewide scale", says how to size them
from the benchmark's figures (bench/statewide.sh).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# The address: --bind on the command line (Dockerfile, docker-compose.yml: 0.0.0.0:8000).
# Sync workers: the pages are database- and CPU-bound, and each worker holds one database connection. Two per core
# plus one keeps the cores busy while a worker waits for PostgreSQL; WEB_CONCURRENCY (gunicorn's own name) overrides.
workers = _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
# The slowest page at a million agreements takes 1-2 s (a district's JSON or CSV, bench/results/statewide.md); 30 s
# is a request gone wrong, and its worker is restarted rather than left to hold its connection. A sync worker must
# finish the whole response within it, a streamed open-data file included.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Behind a proxy that keeps connections open to the app (nginx upstream keepalive, a load balancer).
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A worker is replaced after this many requests (the jitter keeps them from restarting together), so that memory a
# long-lived worker collects is given back.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# The heartbeat file of each worker: on /dev/shm it never waits for a slow disk (Docker's overlay), which gunicorn
# would take for a hung worker.
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108
# One line per request on stdout (docker logs); GUNICORN_ACCESS_LOG empty turns it off (the benchmark).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
