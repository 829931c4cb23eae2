"""Teachers are told when the agreement their request waits on is executed (issue 16.1): the requests linked to it
in review become approved. The same hook as apprequests.notify (the StatusChange row every transition writes), so
that agreements need not know about app requests; written in the transition's transaction, so a transition that
rolls back takes its e-mails with it, and a status that is entered once approves once."""

from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone

from agreements.mail import email_enqueue
from agreements.models import StatusChange
from agreements.models.statuses import AgreementStatus

from .models import AppRequest

APPROVED_ANSWER = "Approved: the district has a data privacy agreement in effect for this app."


def agreement_executed(*, agreement_id: int) -> int:
    """Approve the requests in review linked to the agreement and e-mail each teacher. Returns how many."""
    waiting = list(
        AppRequest.objects.filter(agreement_id=agreement_id, status=AppRequest.Status.IN_REVIEW)
        .select_related("requester__user", "agency")
        .order_by("pk")
    )
    now = timezone.now()
    for app_request in waiting:
        app_request.status, app_request.answer, app_request.status_changed_at = "approved", APPROVED_ANSWER, now
        app_request.save(update_fields=["status", "answer", "status_changed_at", "updated_at"])
        email_enqueue(
            to=[app_request.requester.user.email],
            template="apprequest_status",
            context={
                "app_request": app_request,
                "agency": app_request.agency,
                "path": reverse("apprequests_mine", args=[app_request.agency.slug]),
            },
        )
    return len(waiting)


def status_changed(sender, instance, created=False, raw=False, **kwargs):
    if created and not raw and instance.to_status == AgreementStatus.EXECUTED:
        agreement_executed(agreement_id=instance.agreement_id)


def connect() -> None:
    post_save.connect(status_changed, sender=StatusChange, dispatch_uid="apprequests.approvals.status_changed")
