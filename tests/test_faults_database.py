"""Issue 15, points 2 and 5: PostgreSQL stopped and started again under a running portal. A web process of its own
(Django's WSGI application in a subprocess, on a PostgreSQL of this test's own, so that the session's database is never
touched) answers /healthz: 200 while the database is up, 503 with "database": "down" within its usual time while it is
stopped, and 200 again once it is back, without a restart of the process (conn_health_checks)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
USUAL = 1.0  # seconds

# The web process: Django's WSGI application as gunicorn calls it (request_started and request_finished, which close
# a broken database connection, run as in production; Django's test client would skip them).
WEB = """
import io, json, sys, time
from wsgiref.util import setup_testing_defaults
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
for _ in sys.stdin:
    environ = {"PATH_INFO": "/healthz", "HTTP_HOST": "localhost", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    status = []
    start = time.monotonic()
    body = b"".join(application(environ, lambda s, h, *a: status.append(s)))
    print(json.dumps({"code": int(status[0].split()[0]), "took": time.monotonic() - start,
                      "report": json.loads(body)}), flush=True)
"""


def as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PrivatePostgres:
    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        # Not under pytest's tmp_path, which the postgres user may not enter when the tests run as root.
        self.home = Path(tempfile.mkdtemp(prefix="dpa-faults-pg-"))
        self.home.chmod(0o755)
        self.dir = self.home / "pg"
        self.dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        subprocess.run(
            as_postgres([str(PG_BIN / "initdb"), "-D", str(self.dir), "-U", "postgres", "--auth=trust"]),
            check=True,
            capture_output=True,
        )
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args):
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-l", str(self.dir / "log"), "-w", "-o", options]
        subprocess.run(as_postgres([*command, *args]), check=True, capture_output=True)

    def start(self):
        self.pg_ctl("start")

    def stop(self):
        self.pg_ctl("-m", "immediate", "stop")  # as a crash would: no clean shutdown


@pytest.fixture
def postgres():
    server = PrivatePostgres()
    server.start()
    yield server
    subprocess.run(
        as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(server.dir), "-m", "immediate", "stop"]), capture_output=True
    )
    shutil.rmtree(server.home, ignore_errors=True)


def test_healthz_says_503_while_postgresql_is_down_and_200_once_it_is_back(postgres, tmp_path):
    env = {**os.environ, "DATABASE_URL": postgres.url, "DJANGO_SETTINGS_MODULE": "dpa_portal.settings"}
    web = subprocess.Popen(
        [sys.executable, "-c", WEB],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "web.log").open("w"),
        text=True,
    )

    def healthz() -> dict:
        web.stdin.write("\n")
        web.stdin.flush()
        line = web.stdout.readline()
        assert line, (tmp_path / "web.log").read_text()
        return json.loads(line)

    try:
        up = healthz()
        assert up["code"] == 200 and up["report"]["database"] == {"status": "ok"}
        assert up["report"]["cache"] == up["report"]["broker"] == {"status": "ok"}

        postgres.stop()
        down = healthz()
        assert down["code"] == 503 and down["took"] < USUAL, down
        assert down["report"]["status"] == "down" and down["report"]["database"]["status"] == "down"
        assert down["report"]["sweeps"] == {"status": "unknown"}  # kept in the database: not known meanwhile
        assert down["report"]["cache"] == {"status": "ok"}  # each part on its own
        # No address of the database (its URL may hold a password), only the error's type.
        assert str(postgres.port) not in json.dumps(down) and "postgres" not in json.dumps(down)

        postgres.start()
        back = healthz()
        assert back["code"] == 200 and back["report"]["database"] == {"status": "ok"}, back
    finally:
        web.stdin.close()
        web.wait(timeout=10)
