"""`make run` serves the portal with a Celery worker beside it (scripts/run.sh), so that long work runs in the worker
there as in production: started here on a throwaway SQLite database and port, with a task sent from another process."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.3)
    return None


@pytest.fixture(scope="module")
def run_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("make-run")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        DJANGO_DEBUG="true",
        CELERY_BROKER_DIR=str(tmp / "broker"),
        DJANGO_FILE_CACHE_DIR=str(tmp / "cache"),
        DJANGO_EMAIL_FILE_PATH=str(tmp / "emails"),
        HOST="127.0.0.1",
        PORT=str(_free_port()),
    )
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    return env, tmp


def test_make_run_serves_with_a_worker_that_runs_the_tasks(run_env):
    env, tmp = run_env
    server = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{env['PORT']}/"
        assert _wait_for(lambda: urllib.request.urlopen(url, timeout=2).status == 200, 40), "the portal did not start"
        # Another process (as a request would) queues an e-mail; the worker, not that process, sends it.
        client = {**env, "CELERY_BROKER_URL": "filesystem://"}
        code = (
            "import django, os\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dpa_portal.settings'); django.setup()\n"
            "from django.conf import settings; assert not settings.CELERY_TASK_ALWAYS_EAGER\n"
            "from django.db import transaction\n"
            "from agreements.mail import email_enqueue\n"
            "with transaction.atomic():\n"
            "    email_enqueue(to=['parent@example.org'], template='deadline_done', context={})\n"
        )
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=client, check=True, timeout=60)
        sent = _wait_for(lambda: list((tmp / "emails").glob("*.log")), 40)
        assert sent, "the worker did not send the queued e-mail"
        assert "parent@example.org" in sent[0].read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a worker finishing its warm shutdown: not what this test is about
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)


# Every page a visitor and the demo's district and vendor admins open, on make run's SQLite database with the demo
# data: what is written for PostgreSQL alone (arrays, raw SQL) must have its fallback there.
SQLITE_PAGES = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dpa_portal.settings")
django.setup()
from django.test import Client
from accounts.models import User
from agreements.models import Agreement, EducationalAgency, statuses
from vendors.models import Contractor

anonymous, failed = Client(HTTP_HOST="127.0.0.1"), []
def fetch(client, url):
    try:
        response = client.get(url)
        body = b"".join(response) if response.streaming else response.content
        if response.status_code != 200 or not body:
            failed.append(f"{url}: {response.status_code}")
    except Exception as error:
        failed.append(f"{url}: {error!r}"[:300])
for url in ("/", "/public/", "/public/search/?q=code", "/public/feed.atom", "/verify/"):
    fetch(anonymous, url)
for agency in EducationalAgency.objects.all():
    base = f"/public/{agency.slug}/"
    for url in ("", "agreements.json", "agreements.csv", "feed.atom", "embed/", "open-data/", "?q=code", "?page=2"):
        fetch(anonymous, base + url)
    for pk in Agreement.objects.filter(agency=agency, status__in=statuses.POSTED).values_list("pk", flat=True):
        fetch(anonymous, f"{base}agreements/{pk}/")
district, vendor = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
district.force_login(User.objects.get(email="district-admin@example.org"))
vendor.force_login(User.objects.get(email="vendor-admin@example.org"))
agency = EducationalAgency.objects.get(memberships__user__email="district-admin@example.org")
contractor = Contractor.objects.get(memberships__user__email="vendor-admin@example.org")
for url in (f"/district/{agency.slug}/", f"/district/{agency.slug}/?q=code", f"/district/{agency.slug}/?page=2"):
    fetch(district, url)
for url in (f"/vendor/{contractor.slug}/",):
    fetch(vendor, url)
for pk in Agreement.objects.filter(agency=agency).values_list("pk", flat=True):
    fetch(district, f"/agreements/{pk}/")
print("FAILED:" if failed else "ALL 200", *failed, sep="\\n")
"""


def test_the_pages_answer_on_sqlite_with_the_demo_data(run_env):
    env, tmp = run_env
    env = {**env, "DPA_SEAL_P12": str(tmp / "seal.p12"), "DPA_SEAL_P12_PASSPHRASE": "", "PYTHONPATH": str(ROOT)}
    for command in (["create_seal_certificate", "--out", env["DPA_SEAL_P12"]], ["load_demo"]):
        subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=180, capture_output=True)
    done = subprocess.run([PY, "-c", SQLITE_PAGES], cwd=ROOT, env=env, timeout=180, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "ALL 200", done.stdout[-3000:]
