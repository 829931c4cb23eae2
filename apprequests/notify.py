"""Teachers are told what becomes of their requests: each decision of the district (tell_teachers, called by
apprequests.triage), the agreement their request waits on executed (issue 16.1: the requests in review are approved),
and the agreement their app depended on ended (issue 16.5).

The portal records every change of an agreement's status as one StatusChange row, written by the one guarded step that
makes it (agreements.services.agreement_transition, the termination, the deadlines sweep's expiry through
agreement_expire). Its post_save, connected in apps.py, is the hook: agreements does not import apprequests (the
import-linter contract), and no code in agreements had to change.

Exactly once per change: the StatusChange row is the claim. It is created once per transition, under the
transition's lock, and the e-mails are outbox rows written in the same transaction: a transition that rolls back
takes its e-mails with it, and a sweep that runs again finds the agreement already expired and writes no new row.
The public list needs no hook: it derives each app's status from the agreements when it is read (apprequests.public).
"""

from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone

from agreements.mail import email_enqueue
from agreements.models import Agreement, StatusChange
from agreements.models.statuses import AgreementStatus as S

from .models import AppRequest
from .services import APPROVED_ANSWER

# What the teacher is told, per status the agreement moved to.
ENDINGS = {S.EXPIRED: "expired", S.TERMINATED: "ended early", S.WITHDRAWN: "was withdrawn"}


def tell_teachers(app_requests, agency) -> None:
    """One e-mail per request: each teacher reads their own request's news, never another teacher's address."""
    for app_request in app_requests:
        email_enqueue(
            to=[app_request.requester.user.email],
            template="apprequest_status",
            context={
                "app_request": app_request,
                "agency": agency,
                "path": reverse("apprequests_mine", args=[agency.slug]),
                "answer_path": reverse("apprequests_answer", args=[agency.slug, app_request.pk]),
            },
        )


def agreement_executed(*, agreement_id: int) -> int:
    """Approve the requests in review linked to the agreement and e-mail each teacher. Returns how many."""
    waiting = list(
        AppRequest.objects.filter(agreement_id=agreement_id, status=AppRequest.Status.IN_REVIEW)
        .select_related("requester__user", "agency")
        .order_by("pk")
    )
    if not waiting:
        return 0
    now = timezone.now()
    approved = {"status": AppRequest.Status.APPROVED, "answer": APPROVED_ANSWER, "status_changed_at": now}
    # One UPDATE for all (a request grouped with its duplicates is one of many), the rows kept in step for the mail.
    AppRequest.objects.filter(pk__in=[r.pk for r in waiting]).update(**approved, updated_at=now)
    for app_request in waiting:
        for name, value in approved.items():
            setattr(app_request, name, value)
    tell_teachers(waiting, waiting[0].agency)  # one agreement, one district
    return len(waiting)


def agreement_ended(*, agreement_id: int, to_status: str) -> int:
    """E-mail each teacher whose request depends on this agreement, once each, unless another agreement of the
    district in effect still covers the app (a renewal). Returns how many were told."""
    if to_status not in ENDINGS:
        return 0
    # First the requests (by the agreement's indexed key): most agreements have none, and the sweep expires many at
    # once, so those cost one small query each and nothing else.
    requests = list(
        AppRequest.objects.filter(agreement_id=agreement_id)
        .exclude(status=AppRequest.Status.WITHDRAWN)
        .select_related("requester__user")
        .order_by("pk")
    )
    if not requests:
        return 0
    agreement = Agreement.objects.select_related("agency", "contractor").get(pk=agreement_id)
    products = list(agreement.products.values_list("pk", flat=True))
    covered = (
        Agreement.objects.filter(agency=agreement.agency_id, status=S.EXECUTED, products__in=products)
        .exclude(pk=agreement.pk)
        .exists()
    )
    if covered:
        return 0
    by_person: dict[str, list[AppRequest]] = {}
    for app_request in requests:
        by_person.setdefault(app_request.requester.user.email, []).append(app_request)
    path = reverse("apprequests_public_list", args=[agreement.agency.slug])
    for email, asked in by_person.items():
        email_enqueue(
            to=[email],
            template="apprequest_agreement_ended",
            context={
                "agency": agreement.agency,
                "vendor": agreement.contractor,
                "apps": sorted({r.app_name for r in asked}),
                "ending": ENDINGS[to_status],
                "path": path,
            },
            agreement=agreement,
        )
    return len(by_person)


def status_changed(sender, instance, created=False, raw=False, **kwargs):
    if not created or raw:
        return
    if instance.to_status == S.EXECUTED:
        agreement_executed(agreement_id=instance.agreement_id)
    elif instance.to_status in ENDINGS:
        agreement_ended(agreement_id=instance.agreement_id, to_status=instance.to_status)


def connect() -> None:
    post_save.connect(status_changed, sender=StatusChange, dispatch_uid="apprequests.notify.status_changed")
