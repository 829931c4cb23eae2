"""The health report behind /healthz (issue 15, point 2): each part with its own status, so that a deployment's
health check sees which one failed.

- database: `SELECT 1`. Down: the answer is HTTP 503 (no page can be served; the load balancer should stop sending).
- cache (Redis): a ping. Down: pages still work (dpa_portal/cache_backend.py fails open), so the answer stays 200,
  with "degraded".
- broker (Redis, or none when tasks run eagerly): a connection. Down: enqueueing gives up at once and the sweeps
  send the work later, so 200 with "degraded".
- sweeps: the age of each periodic sweep's last run (operations/sweeps.py). Late (beat or the workers not running):
  200 with "degraded".

No URL, host or message of an error is shown (a URL may hold a password): only the part's status and the error's
type.
"""

from django.core.cache import caches
from django.db import connection

from dpa_portal.celery import app

from .sweeps import sweep_states


def _error(error: BaseException) -> dict:
    return {"status": "down", "error": type(error).__name__}


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any failure of the database means "down"
        return _error(error)
    return {"status": "ok"}


def check_cache() -> dict:
    cache = caches["default"]
    try:
        if hasattr(cache, "ping"):  # Redis: asked directly, past the fail-open backend
            cache.ping()
        else:  # memory or files: a write read back
            cache.set("healthz:probe", 1, 10)
            if cache.get("healthz:probe") != 1:
                return {"status": "down", "error": "NotStored"}
    except Exception as error:
        return _error(error)
    return {"status": "ok"}


def check_broker() -> dict:
    if app.conf.task_always_eager:
        return {"status": "ok", "mode": "eager"}  # no broker: tasks run in the web process
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
    except Exception as error:
        return _error(error)
    return {"status": "ok"}


def check_sweeps() -> dict:
    try:
        found = sweep_states()
    except Exception as error:
        return {"status": "unknown", "error": type(error).__name__}
    each = {
        state.sweep.name: {
            "status": state.status,
            "age_seconds": None if state.age is None else round(state.age.total_seconds()),
            "every_seconds": None if state.sweep.every is None else round(state.sweep.every.total_seconds()),
        }
        for state in found
    }
    ages = [state.age for state in found if state.age is not None]
    ok = all(state.status == "ok" for state in found)
    return {
        "status": "ok" if ok else "late" if any(s.status in ("late", "never") for s in found) else "failed",
        # The most recent end of any sweep: beat and a worker ran something this long ago.
        "last_run_age_seconds": round(min(ages).total_seconds()) if ages else None,
        "each": each,
    }


def health_report() -> tuple[int, dict]:
    """(HTTP status, report): 503 only when the database is down, else 200 with "ok" or "degraded"."""
    database = check_database()
    report = {
        "database": database,
        "cache": check_cache(),
        "broker": check_broker(),
        "sweeps": check_sweeps() if database["status"] == "ok" else {"status": "unknown"},
    }
    if database["status"] != "ok":
        overall, status = "down", 503
    elif all(part["status"] == "ok" for part in report.values()):
        overall, status = "ok", 200
    else:
        overall, status = "degraded", 200
    return status, {"status": overall, **report}
