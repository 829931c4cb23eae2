"""The docker compose deployment: its structure always, and `docker compose config` where the client has compose."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ENV = {"DJANGO_SECRET_KEY": "x" * 60, "POSTGRES_PASSWORD": "pw", "DJANGO_ALLOWED_HOSTS": "dpa.example.org"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_each_have_a_health_check(compose):
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    for name in ["web", "worker", "beat", "db", "redis"]:
        assert services[name]["healthcheck"]["test"], name


def test_app_services_run_the_image_with_the_right_commands(compose):
    services = compose["services"]
    assert services["web"]["command"][0] == "gunicorn"
    assert services["worker"]["command"][:4] == ["celery", "-A", "dpa_portal", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "dpa_portal", "beat"]
    for name in ["web", "worker", "beat", "migrate"]:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_data_lives_in_named_volumes(compose):
    assert {"pgdata", "redisdata", "media"} <= set(compose["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    assert "redisdata:/data" in compose["services"]["redis"]["volumes"]


def test_no_secret_is_written_in_the_compose_file():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${DJANGO_SECRET_KEY:?" in text and "${POSTGRES_PASSWORD:?" in text


def test_dockerfile_installs_weasyprint_libraries_and_runs_unprivileged():
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("# ") and "FROM python:3.11" in text
    assert "libpango-1.0-0" in text and "USER portal" in text


def compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.mark.skipif(compose_command() is None, reason="no docker compose client on this machine")
def test_docker_compose_config_accepts_the_file():
    result = subprocess.run(
        [*compose_command(), "-f", "docker-compose.yml", "config", "--quiet"],
        cwd=ROOT, env={"PATH": "/usr/bin:/bin:/usr/local/bin", **ENV}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
