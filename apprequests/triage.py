"""The technology director's triage of app requests (issue 16.3): start an agreement for an app (every open request
for it linked, in review), ask a teacher for more, or decline with a reason and an approved alternative. Requests for
the same app share a name key (models.request_key) and are decided together; a question goes to one teacher.

Each change e-mails the teacher(s) concerned (templates/emails/apprequest_status.*)."""

from django.db import transaction
from django.utils import timezone

from agreements.access import DISTRICT_ADMIN, DISTRICT_REVIEWERS, require_district_staff
from agreements.services import agreement_start
from dpa_portal.errors import INVALID, STATE, ApplicationError
from exhibits.services import answers_fast_track

from .models import AppRequest
from .notify import tell_teachers
from .selectors import OPEN, approved_products
from .services import answer_and_tell_the_district

Status = AppRequest.Status


def _open_group(agency, key: str) -> list[AppRequest]:
    """The open requests for one app, locked: two directors deciding at once decide once."""
    rows = (
        AppRequest.objects.select_for_update(of=("self",))
        .select_related("requester__user")
        .filter(agency=agency, name_key=key, status__in=OPEN)
        .order_by("created_at", "pk")
    )
    group = list(rows)
    if not group:
        raise ApplicationError("No open request for this app is waiting: it was decided already.", code=STATE)
    return group


def _decide(group, *, actor, status, answer, **fields) -> None:
    """The same decision on every request of the group: checked once, on the first (the rest of each request is as
    it was checked when saved; Django checks each length constraint with a query), and written by one UPDATE."""
    now = timezone.now()
    decision = {"status": status, "answer": answer, "decided_by": actor, "decided_at": now, **fields}
    decision.update(status_changed_at=now, updated_at=now)
    for app_request in group:
        for name, value in decision.items():
            setattr(app_request, name, value)
    group[0].full_clean(exclude=["agency", "requester", "product", "agreement", "alternative", "decided_by"])
    AppRequest.objects.filter(pk__in=[r.pk for r in group]).update(**decision)


def app_requests_start(*, agency, actor, key: str, **agreement) -> "object":
    """Start an agreement for the app (agreements.services.agreement_start: the vendor and product created if new)
    and put every open request for it in review, linked to the agreement so that each teacher follows it. Inviting
    the vendor is the agreement page's "send to vendor" step, once the district has checked the draft.

    The fast track (issue 16.2): when the vendor holds an executed agreement for the product in another district,
    the exhibits start from the answers executed there (exhibits.services.answers_fast_track), which the vendor
    confirms or changes before submitting. Only here, where the teacher's request was answered with that offer: a
    district starting an agreement on its own page gets the vendor's choice of answers to start from instead."""
    require_district_staff(actor, agency.pk, roles=DISTRICT_ADMIN)
    with transaction.atomic():
        group = _open_group(agency, key)
        started = agreement_start(agency=agency, actor=actor, **agreement)
        if answers_fast_track(agreement=started, actor=actor) is not None:
            started = type(started).objects.get(pk=started.pk)  # without the empty exhibits cached at creation
        product = started.products.order_by("pk").first()
        answer = "The district started a data privacy agreement with the vendor for this app: it is in review."
        _decide(group, actor=actor, status=Status.IN_REVIEW, answer=answer, agreement=started, product=product)
        tell_teachers(group, agency)
    return started


def app_request_ask(*, agency, actor, pk: int, question: str) -> AppRequest:
    """Ask one teacher for more: they answer by editing their request, which puts it back in the queue."""
    require_district_staff(actor, agency.pk, roles=DISTRICT_REVIEWERS)
    question = question.strip()
    if not question:
        raise ApplicationError("Write what you need to know.", code=INVALID)
    with transaction.atomic():
        app_request = (
            AppRequest.objects.select_for_update(of=("self",))
            .select_related("requester__user")
            .filter(agency=agency, pk=pk)
            .first()
        )
        if app_request is None or app_request.status not in OPEN:
            raise ApplicationError("This request is not waiting for the district: it was decided already.", code=STATE)
        answer = "The district asks for more before it decides: answer by editing your request."
        _decide([app_request], actor=actor, status=Status.MORE_INFO_ASKED, answer=answer, question=question)
        tell_teachers([app_request], agency)
    return app_request


def app_requests_decline(*, agency, actor, key: str, reason: str, reason_shown: bool, alternative=None) -> int:
    """Decline every open request for the app with the district's reason (on the public list only if
    `reason_shown`) and, where it helps, an app the district has approved (an agreement in effect) in its place."""
    require_district_staff(actor, agency.pk, roles=DISTRICT_ADMIN)
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Give the reason: the teachers who asked read it.", code=INVALID)
    if alternative is not None and not approved_products(agency).filter(pk=alternative.pk).exists():
        raise ApplicationError(f"{alternative} has no agreement in effect with the district.", code=INVALID)
    with transaction.atomic():
        group = _open_group(agency, key)
        answer = f"Declined: {reason}"
        if alternative is not None:
            answer += f"\nThe district has approved {alternative} instead."
        _decide(
            group,
            actor=actor,
            status=Status.DECLINED,
            answer=answer[:2000],
            reason=reason,
            reason_shown=bool(reason_shown),
            alternative=alternative,
        )
        tell_teachers(group, agency)
    return len(group)


def app_request_answer(*, requester, pk: int, **fields) -> AppRequest:
    """The teacher answers the district's question by editing the request: back in the queue (or answered at once,
    if the edit names an app the portal knows), and the admins are told."""
    with transaction.atomic():
        app_request = (
            AppRequest.objects.select_for_update()
            .filter(requester=requester, pk=pk, status=Status.MORE_INFO_ASKED)
            .first()
        )
        if app_request is None:
            raise ApplicationError(
                "The district asked nothing about this request: there is nothing to answer.", code=STATE
            )
        for name, value in fields.items():
            setattr(app_request, name, value)
        app_request.status, app_request.answer = Status.SUBMITTED, ""
        app_request.product, app_request.agreement = None, None
        app_request.status_changed_at = timezone.now()
        answer_and_tell_the_district(app_request)
    return app_request
