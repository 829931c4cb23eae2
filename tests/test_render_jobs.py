"""Issue 10, point 1: every Celery task has a soft and a hard time limit; a render that times out is recorded, tried a
bounded number of times with a backoff, then given up and the district told, and the documents sweep does not queue
it again (agreements/render_jobs.py).

The time limits are tested in a real prefork worker (the pool that enforces them, Celery's default), with limits made
tiny for the call, on an agreement whose worst-case answers take seconds to render; what follows an attempt (backoff,
giving up, the e-mail, the page, starting afresh) is tested in-process, the clock moved by editing `retry_after`.
"""

import time
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from agreements import render_jobs, tasks
from agreements.models import Agreement, AgreementDocument, OutboundEmail, RenderJob
from agreements.services import agreement_transition
from agreements.signing import documents_due
from dpa_portal.celery import app

from .helpers import fill_complete
from .public_helpers import move
from .test_celery import running_worker
from .worst_case import fill_worst_case

S = Agreement.Status
COPY = AgreementDocument.Kind.SIGNING_COPY


@pytest.fixture
def approved(agreement, vendor_editor):
    """Approved, its copy to sign not rendered yet (approved by transitions, so no task was queued)."""
    fill_complete(agreement, actor=vendor_editor)
    return move(agreement, S.APPROVED)


def wait_for(condition, log, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


# --- every task has its limits ---------------------------------------------------------------------------------


def test_every_task_has_a_soft_and_a_hard_time_limit():
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    ours = {name: task for name, task in app.tasks.items() if name.startswith("agreements.")}
    assert {"agreements.prepare_signing_copy", "agreements.execute_agreement", "agreements.deadlines_sweep"} <= set(
        ours
    )
    for name, task in ours.items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard and soft < hard, name
    for render in (tasks.prepare_signing_copy, tasks.execute_agreement, tasks.prepare_public_copy):
        assert (render.soft_time_limit, render.time_limit) == (
            render_jobs.RENDER_SOFT_TIME_LIMIT,
            render_jobs.RENDER_TIME_LIMIT,
        )


# --- in a real worker -------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_render_past_its_soft_limit_in_a_real_worker_is_recorded_and_not_queued_again(
    catalogues, district, district_admin, vendor, product, vendor_editor, tmp_path
):
    """A render that takes seconds (every answer at its limit), given a 1 s soft limit for the call, is stopped there
    by the worker and records why; the documents sweep does not queue it again while its backoff lasts.

    (The hard limit kills the worker's process 30 s after the soft one if the task is still running, e.g. stuck in
    a C library that never lets the soft limit's exception through; Celery's prefork pool counts it from the soft
    limit, so it cannot be made to fire alone here. What the portal does about it is tested below: the attempt was
    counted when it started.)"""
    from agreements.services import agreement_create

    from . import factories

    agreement = agreement_create(
        agency=district, contractor=vendor, products=[product], framework=factories.csf("1.1"), actor=district_admin
    )
    fill_complete(agreement, actor=vendor_editor)
    fill_worst_case(agreement)
    move(agreement, S.APPROVED)
    assert documents_due()[0] == [agreement.pk]

    job = RenderJob.objects.filter(agreement=agreement, kind=COPY)
    with running_worker(tmp_path, pool="prefork") as (_, log):
        tasks.prepare_signing_copy.apply_async(args=[agreement.pk], soft_time_limit=1, time_limit=30)
        wait_for(lambda: job.filter(failed_at__isnull=False).exists(), log)
        wait_for(lambda: "retry: Retry in 60" in log.read_text(), log)
        seen = timezone.now()  # the worker's shutdown below may take a while: the backoff is measured from here
        text = log.read_text()

    assert "Soft time limit (1s) exceeded for agreements.prepare_signing_copy" in text
    failed = job.get()
    assert failed.attempts == 1 and failed.given_up_at is None
    assert failed.last_error == "Rendering took longer than 1 seconds and was stopped."
    first_delay = render_jobs.RETRY_DELAYS[0]
    assert seen + first_delay - timedelta(seconds=30) < failed.retry_after <= seen + first_delay
    assert not AgreementDocument.objects.filter(agreement=agreement).exists()
    assert documents_due() == ([], [])  # the sweep leaves it alone while the backoff lasts
    later(agreement)
    assert documents_due() == ([agreement.pk], [])


# --- what follows an attempt (in-process) ----------------------------------------------------------------------


class FakeTask:
    """What `_render` reads of a bound task: the request's time limits; and `retry`, which raises."""

    soft_time_limit = render_jobs.RENDER_SOFT_TIME_LIMIT

    class request:  # as Celery names it
        timelimit = None

    class Retried(Exception):
        pass

    def retry(self, exc, countdown):
        return self.Retried(countdown)


def times_out(**kwargs):
    raise SoftTimeLimitExceeded()


def attempt(agreement, step=times_out):
    return tasks._render(FakeTask(), agreement.pk, COPY, step)


def later(agreement):
    """The backoff has passed."""
    RenderJob.objects.filter(agreement=agreement).update(retry_after=timezone.now() - timedelta(seconds=1))


def test_a_render_that_keeps_timing_out_is_given_up_and_the_district_told(client, approved, people):
    render_failed = OutboundEmail.objects.filter(template="render_failed")
    for n, delay in enumerate(render_jobs.RETRY_DELAYS, 1):
        with pytest.raises(FakeTask.Retried) as retried:
            attempt(approved)
        assert retried.value.args == (delay.total_seconds(),)  # retried after a growing backoff
        job = RenderJob.objects.get(agreement=approved)
        assert job.attempts == n and job.given_up_at is None
        assert documents_due()[0] == []  # not queued by the sweep meanwhile
        later(approved)
        assert documents_due()[0] == [approved.pk]  # and queued once the backoff is over
        assert not render_failed.exists()

    assert attempt(approved) is None  # the last attempt: no retry
    job = RenderJob.objects.get(agreement=approved)
    assert job.attempts == render_jobs.MAX_ATTEMPTS and job.given_up_at is not None
    later(approved)
    assert documents_due()[0] == []  # never queued again

    email = render_failed.get()
    assert email.agreement == approved and people["district_admin"].email in email.to
    assert all("vendor" not in address for address in email.to)  # the district's admins
    assert "could not be prepared" in email.subject
    assert "stopped trying" in email.body_text and "send the agreement back to the vendor" in email.body_text

    called = []
    assert attempt(approved, step=lambda **kwargs: called.append(1)) is None  # a late duplicate task does nothing
    assert called == [] and render_failed.count() == 1

    # The agreement page says so, to both parties; the district's admin can send it back to the vendor from there.
    client.force_login(people["district_admin"])
    page = client.get(reverse("agreement_detail", args=[approved.pk])).text
    assert "The portal could not prepare the copy to sign." in page and "stopped trying" in page
    assert "Send it back to the vendor" in page and "The copy to sign is being prepared" not in page
    client.force_login(people["vendor_editor"])
    vendor_page = client.get(reverse("agreement_detail", args=[approved.pk])).text
    assert "The portal could not prepare the copy to sign." in vendor_page
    assert "Send it back to the vendor" not in vendor_page


def test_a_new_approval_starts_afresh(approved):
    for _ in range(render_jobs.MAX_ATTEMPTS):
        try:
            attempt(approved)
        except FakeTask.Retried:
            later(approved)
    assert RenderJob.objects.get(agreement=approved).given_up_at is not None
    # Sent back, answered again, approved again: the copy to sign is owed anew.
    for status in (S.WITH_VENDOR, S.SUBMITTED, S.APPROVED):
        agreement_transition(agreement=approved, to_status=status)
    assert documents_due()[0] == [approved.pk]
    assert attempt(approved, step=lambda agreement_id: None) is None  # rendered (here: nothing to store)
    assert not RenderJob.objects.filter(agreement=approved).exists()


def test_a_worker_killed_on_its_last_attempt_still_ends_in_giving_up(approved):
    """The hard limit kills the worker before it can record anything: the attempt was counted when it started, so the
    next run (once the sweep may assume it died) gives up instead of rendering a fourth time."""
    for _ in range(render_jobs.MAX_ATTEMPTS):
        job = render_jobs.job_begin(agreement_id=approved.pk, kind=COPY)  # ... and then killed
        assert job is not None
        assert documents_due()[0] == []
        later(approved)
    assert documents_due()[0] == [approved.pk]
    called = []
    assert attempt(approved, step=lambda **kwargs: called.append(1)) is None
    assert called == []
    job = RenderJob.objects.get(agreement=approved)
    assert job.given_up_at is not None and "stopped before finishing" in job.last_error
    assert OutboundEmail.objects.filter(template="render_failed", agreement=approved).count() == 1


def test_a_successful_render_leaves_no_job(approved):
    from agreements.signing import signing_copy_prepare

    assert tasks._render(FakeTask(), approved.pk, COPY, signing_copy_prepare)
    assert not RenderJob.objects.exists()
    assert AgreementDocument.objects.filter(agreement=approved, kind=COPY).exists()
