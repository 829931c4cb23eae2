"""Teachers are told when the agreement their app depended on ends (issue 16.5).

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

from agreements.mail import email_enqueue
from agreements.models import Agreement, StatusChange
from agreements.models.statuses import AgreementStatus as S

from .models import AppRequest

# What the teacher is told, per status the agreement moved to.
ENDINGS = {S.EXPIRED: "expired", S.TERMINATED: "ended early", S.WITHDRAWN: "was withdrawn"}


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
    if created and not raw and instance.to_status in ENDINGS:
        agreement_ended(agreement_id=instance.agreement_id, to_status=instance.to_status)


def connect() -> None:
    post_save.connect(status_changed, sender=StatusChange, dispatch_uid="apprequests.notify.status_changed")
