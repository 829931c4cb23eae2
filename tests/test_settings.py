"""Settings read from the environment, in development and production mode. Each case runs in a fresh process."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "debug": settings.DEBUG, "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST"),
    "port": db.get("PORT"), "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"), "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER, "hosts": settings.ALLOWED_HOSTS,
    "ssl_redirect": getattr(settings, "SECURE_SSL_REDIRECT", False),
    "hsts": getattr(settings, "SECURE_HSTS_SECONDS", 0), "secure_cookie": settings.SESSION_COOKIE_SECURE,
}))
"""
# The variables this file controls; everything else of the environment passes through.
CONTROLLED = [
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_SECURE_HSTS_SECONDS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
]
PRODUCTION = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "dpa.example.org"}


def run(code_or_args, **env):
    environ = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    environ.update(env, DJANGO_SETTINGS_MODULE="dpa_portal.settings")
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)


def probe(**env) -> dict:
    result = run(PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_development_defaults_are_sqlite_locmem_and_eager_tasks():
    s = probe(DJANGO_DEBUG="true")
    assert s["debug"] is True
    assert s["engine"] == "django.db.backends.sqlite3" and s["name"].endswith("db.sqlite3")
    assert s["cache"].endswith("LocMemCache")
    assert s["eager"] is True and s["broker"] == "memory://"
    assert s["hosts"] == ["127.0.0.1", "localhost"]


def test_database_url_selects_postgresql():
    s = probe(DJANGO_DEBUG="true", DATABASE_URL="postgres://portal:pw@db.internal:6543/dpa")
    assert s["engine"] == "django.db.backends.postgresql"
    assert (s["name"], s["host"], s["port"]) == ("dpa", "db.internal", 6543)


def test_redis_url_is_broker_and_cache_and_tasks_are_queued():
    s = probe(DJANGO_DEBUG="true", REDIS_URL="redis://cache.internal:6380/2")
    assert s["cache"] == "dpa_portal.cache_backend.FailOpenRedisCache"
    assert s["cache_location"] == s["broker"] == "redis://cache.internal:6380/2"
    assert s["eager"] is False


def test_production_mode_is_hardened():
    s = probe(**PRODUCTION)
    assert s["debug"] is False
    assert s["ssl_redirect"] is True and s["hsts"] >= 31536000 and s["secure_cookie"] is True
    assert s["hosts"] == ["dpa.example.org"]


def test_production_passes_check_deploy_without_a_warning():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_notices_a_weakened_production_setting():
    """The check above can fail: turning HSTS off gives a deploy warning."""
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], DJANGO_SECURE_HSTS_SECONDS="0", **PRODUCTION
    )
    assert result.returncode != 0 and "security.W004" in result.stderr + result.stdout


def test_production_without_a_secret_key_refuses_to_start():
    result = run(PROBE, DJANGO_ALLOWED_HOSTS="dpa.example.org")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(("name", "value"), [("DJANGO_DEBUG", "maybe"), ("DJANGO_SECURE_HSTS_SECONDS", "a year")])
def test_unreadable_values_are_errors_not_defaults(name, value):
    result = run(PROBE, **{**PRODUCTION, name: value})
    assert result.returncode != 0
    assert f"{name} must be" in result.stderr


def test_manage_py_on_a_bare_checkout_runs_in_development_mode():
    result = run(["manage.py", "makemigrations", "--check", "--dry-run"])
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_manage_py_with_a_secret_key_keeps_debug_off():
    result = run(["manage.py", "shell", "-c", "from django.conf import settings; print(settings.DEBUG)"], **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    """Issue 13: the portal's queries are short; PostgreSQL's JIT compiled plans past its threshold first (190 ms)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW max_parallel_workers_per_gather")  # no worker started for a page's short query
        assert cursor.fetchone()[0] == "0"
