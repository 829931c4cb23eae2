"""The district ends an executed agreement early, or confirms that an ended agreement's data carried over to its
renewal (issue 11, points 2 and 3). The forms are on the agreement page (templates/agreements/_ending.html)."""

from django.utils import timezone
from django.views.decorators.http import require_POST

from ..access import DISTRICT_ADMIN
from ..deadlines.services import successor_in_effect
from ..deadlines.services.ending import agreement_terminate, carry_over_pending, data_carry_over_confirm
from ..forms import TerminationForm
from ..models import Agreement, Termination, statuses
from .steps import district_admin_only, form_step_take, step_take


@district_admin_only
@require_POST
def terminate(request, agreement, side, role):
    return form_step_take(
        request,
        agreement,
        TerminationForm(request.POST),
        agreement_terminate,
        "The agreement ended early on {effective_on:%B %-d, %Y}. The vendor is told, and must return or destroy the "
        "data and certify it.",
    )


@district_admin_only
@require_POST
def carry_over(request, agreement, side, role):
    return step_take(
        request,
        agreement,
        data_carry_over_confirm,
        "Confirmed: the data carried over; no return or destruction is due under this one.",
    )


def ending_context(agreement, *, side: str, role: str, can: dict) -> dict:
    """What the agreement page shows of how the agreement ended or was superseded, and the district admin's forms.
    A superseded agreement is amended or renewed no more: its successor is (`can`, from the page, is told)."""
    district_admin = side == "district" and role in DISTRICT_ADMIN
    superseded_by = successor_in_effect(agreement)
    if superseded_by is not None:
        can["amend"] = False
    context = {
        "superseded_by": superseded_by,
        "supersedes": agreement.previous if agreement.previous_id and agreement.status in statuses.POSTED else None,
        "termination": Termination.objects.select_related("recorded_by").filter(agreement=agreement).first()
        if agreement.status in statuses.ENDED_OR_CLOSED
        else None,
        "carry_over": carry_over_pending(agreement) if district_admin else None,
    }
    if district_admin and agreement.status == Agreement.Status.EXECUTED and superseded_by is None:
        context["termination_form"] = TerminationForm(initial={"effective_on": timezone.localdate()})
    return context
