"""Loaded before Django's settings (`-p tests.parallel` in pytest's addopts): when the suite runs in pytest-xdist's
workers (scripts/test.sh), each worker gets its own Redis database (cache, rate limits and Celery broker: a test that
empties the cache or purges the queue must not do it to the other worker's tests) and its own media directory (files
are named by the rows' ids, which each worker's own test database hands out again). pytest-django gives each worker its
own test database."""

import os
from pathlib import Path

worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"...; unset without xdist
if worker:
    number = int(worker.removeprefix("gw")) + 1  # database 0 stays the controller's
    if redis_url := os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = f"{redis_url.rsplit('/', 1)[0]}/{number}"
    if media := os.environ.get("DJANGO_MEDIA_ROOT"):
        os.environ["DJANGO_MEDIA_ROOT"] = str(Path(media) / worker)
