"""The docker compose deployment, checked for what matters rather than for its wording: the file parses, every
long-running service has a health check, the migration runs to completion before anything that uses the database
starts, no secret is written in it, and the image collects its static files and runs unprivileged. Where the machine
has a compose client, `docker compose config` reads the file too (this machine has none: that one test is skipped
here, as it always was)."""

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent
ENV = {"DJANGO_SECRET_KEY": "x" * 60, "POSTGRES_PASSWORD": "pw", "DJANGO_ALLOWED_HOSTS": "dpa.example.org"}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSPHRASE|TOKEN|_KEY$", re.IGNORECASE)
# A value taken from the environment (.env): ${NAME}, ${NAME:?message} (required) or ${NAME:-} (empty by default).
FROM_ENV = re.compile(r"\$\{[A-Z0-9_]+(?::\?[^}]*|:-)?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # anchors and merge keys resolved
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


def one_shot(service: dict) -> bool:
    """A service that runs to completion (restart "no"), such as the migration; the others run for good."""
    return str(service.get("restart", "no")) == "no"


def environment(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the KEY=VALUE form
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def uses_database(service: dict) -> bool:
    return "DATABASE_URL" in environment(service)


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_the_services_are_the_portals_and_their_stores(compose):
    services = compose["services"]
    assert {"migrate", "web", "worker", "beat", "db", "redis"} <= set(services)
    assert [name for name, service in services.items() if one_shot(service)] == ["migrate"]


def test_every_long_running_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        if one_shot(service):
            continue
        check = service.get("healthcheck")
        assert check and not check.get("disable"), name
        test = check["test"]
        assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, (name, test)
        assert {"interval", "timeout", "retries"} <= set(check), name


def test_the_web_health_check_asks_the_portals_health_view(compose):
    """The address the web service's check opens is the health view, on the port gunicorn binds."""
    web = compose["services"]["web"]
    check = " ".join(web["healthcheck"]["test"][1:])
    port, path = re.search(r"http://127\.0\.0\.1:(\d+)(/[^'\"]*)", check).groups()
    assert resolve(path).url_name == "healthz"
    bind = web["command"][web["command"].index("--bind") + 1]
    assert bind.endswith(f":{port}")


def test_the_migration_runs_to_completion_before_the_services_that_use_the_database(compose):
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["command"][-3:] == ["manage.py", "migrate", "--noinput"]
    for name, service in services.items():
        if uses_database(service) and name != "migrate":
            assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name


def test_nothing_starts_before_what_it_depends_on_is_ready(compose):
    """Every dependency is waited for: a one-shot one until it has succeeded, a long-running one until healthy."""
    services = compose["services"]
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on without conditions starts too early"
        for dependency, rule in depends_on.items():
            wanted = "service_completed_successfully" if one_shot(services[dependency]) else "service_healthy"
            assert rule["condition"] == wanted, (name, dependency)
            assert wanted != "service_healthy" or "healthcheck" in services[dependency], (name, dependency)
        if uses_database(service):
            assert {"db", "redis"} <= set(depends_on), name


def test_the_app_services_run_gunicorn_the_worker_and_beat(compose):
    services = compose["services"]
    assert services["web"]["command"][:2] == ["gunicorn", "dpa_portal.wsgi:application"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "dpa_portal", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "dpa_portal", "beat"]
    for name in ["migrate", "web", "worker", "beat"]:
        env = environment(services[name])
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://"), name


def test_no_secret_is_written_in_the_compose_file(compose):
    """Every secret comes from the environment (.env); the ones the portal cannot run without are required."""
    required = set()
    for name, service in compose["services"].items():
        for key, value in environment(service).items():
            value = str(value or "")
            for user_info in re.findall(r"://[^:/@\s]+:(.*)@[^@]*$", value):  # a password inside a URL
                assert FROM_ENV.fullmatch(user_info), (name, key)
            if SECRET_NAME.search(key):
                assert value == "" or FROM_ENV.fullmatch(value), (name, key)
            required |= set(re.findall(r"\$\{([A-Z0-9_]+):\?", value))
    assert {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD"} <= required


def test_data_lives_in_named_volumes(compose):
    declared = set(compose["volumes"])
    mounts = {  # service -> {path in the container: volume or folder}, from "source:/path[:ro]"
        name: dict(reversed(re.fullmatch(r"(.+):(/[^:]*)(?::r[ow])?", v).groups()) for v in service.get("volumes", []))
        for name, service in compose["services"].items()
    }
    assert mounts["db"]["/var/lib/postgresql/data"] in declared
    assert mounts["redis"]["/data"] in declared
    assert mounts["web"]["/data/media"] in declared and mounts["worker"]["/data/media"] == mounts["web"]["/data/media"]


def test_the_image_collects_its_static_files_where_the_portal_serves_them():
    instructions = dockerfile()
    runs = [args for kind, args in instructions if kind == "RUN"]
    collect = next(args for args in runs if "manage.py collectstatic" in args)
    assert "--noinput" in shlex.split(collect)
    # After the sources are copied in, and into the folder the running container reads (DJANGO_STATIC_ROOT).
    assert instructions.index(("RUN", collect)) > instructions.index(("COPY", ". ."))
    built_into = re.search(r"DJANGO_STATIC_ROOT=(\S+)", collect).group(1)
    env = " ".join(args for kind, args in instructions if kind == "ENV")
    assert re.search(rf"DJANGO_STATIC_ROOT={re.escape(built_into)}(\s|$)", env)


def test_the_image_has_weasyprints_libraries_and_runs_unprivileged():
    instructions = dockerfile()
    assert instructions[0][0] == "FROM" and instructions[0][1].startswith("python:3.11")
    installs = " ".join(args for kind, args in instructions if kind == "RUN" and "apt-get install" in args)
    assert {"libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"} <= set(installs.split())
    users = [args for kind, args in instructions if kind == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert instructions.index(("USER", users[-1])) > max(i for i, (kind, _) in enumerate(instructions) if kind == "RUN")


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
