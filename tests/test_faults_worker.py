"""Issue 15, point 3: a task survives its worker. A prefork worker's child is killed with signal 9 in the middle of
rendering the copy to sign; with acks late and task_reject_on_worker_lost the message goes back to the queue at
once, a new child renders it, and exactly one document results (the attempt that died is counted). Without the
setting, Celery acknowledged the message as failed and only the documents sweep would have found the work."""

import os
import signal
import time
from pathlib import Path

import pytest

from agreements.models import Agreement, AgreementDocument, RenderJob
from agreements.signing import documents_due
from agreements.tasks import prepare_signing_copy
from dpa_portal.celery import app

from .helpers import fill_complete
from .public_helpers import move
from .test_celery import running_worker

S = Agreement.Status
K = AgreementDocument.Kind

# Loaded by the worker's Python at start-up (PYTHONPATH): the first render of the copy to sign waits, so that the
# test can kill its process while it is under way. Test-only: the portal has no setting to slow a render.
SITECUSTOMIZE = """
import os, time
from pathlib import Path
from celery.signals import worker_process_init

@worker_process_init.connect(weak=False)
def _slow_first_render(**kwargs):
    import agreements.signing as signing
    marker, original = Path(os.environ["FAULT_MARKER"]), signing.signing_copy_prepare

    def slow(**kw):
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(60)
        return original(**kw)

    signing.signing_copy_prepare = slow
"""


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def wait_for(condition, log, timeout=60):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return found


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_hands_the_task_back_and_one_document_results(
    catalogues, agreement, vendor_editor, tmp_path
):
    fill_complete(agreement, actor=vendor_editor)
    move(agreement, S.APPROVED)  # by transitions: no task queued yet
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    marker = tmp_path / "rendering"
    env = {"PYTHONPATH": str(site), "FAULT_MARKER": str(marker)}

    with running_worker(tmp_path, pool="prefork", extra_env=env) as (worker, log):
        sent = prepare_signing_copy.delay(agreement.pk)
        # The render is under way: its attempt is counted, and the child that runs it sleeps inside it.
        wait_for(marker.exists, log)
        child = int(marker.read_text())
        assert child in children(worker.pid)
        assert RenderJob.objects.get(agreement=agreement, kind=K.SIGNING_COPY).attempts == 1
        os.kill(child, signal.SIGKILL)
        copies = AgreementDocument.objects.filter(agreement=agreement, kind=K.SIGNING_COPY)
        wait_for(copies.exists, log)
        time.sleep(1)  # a second delivery, if there were one, would have started by now
        text = log.read_text()

    assert copies.count() == 1
    assert "signal 9 (SIGKILL)" in text and "WorkerLostError" in text
    # The same message, handed back at once (not after the broker's visibility timeout), and run to the end.
    assert text.count(f"Task agreements.prepare_signing_copy[{sent.id}] received") == 2
    assert f"Task agreements.prepare_signing_copy[{sent.id}] succeeded" in text
    # The job is done and removed; the agreement has nothing left for the sweep.
    assert not RenderJob.objects.filter(agreement=agreement, kind=K.SIGNING_COPY).exists()
    assert agreement.pk not in documents_due()[0]
