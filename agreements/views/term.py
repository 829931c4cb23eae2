"""The term of an executed agreement: a district admin changes its end date, or records the review of one that runs
until terminated (issue 11, points 1 and 4). The forms are on the agreement page (templates/agreements/_term.html);
the rules are in agreements.deadlines.services.term_change."""

from django.views.decorators.http import require_POST

from ..access import DISTRICT_ADMIN
from ..deadlines.services import agreement_review_record, agreement_term_change
from ..forms import TermChangeForm, TermReviewForm
from ..models import Agreement
from .steps import district_admin_only, form_step_take


@district_admin_only
@require_POST
def change(request, agreement, side, role):
    return form_step_take(
        request,
        agreement,
        TermChangeForm(request.POST),
        agreement_term_change,
        "The contract now ends on {contract_end:%B %-d, %Y}. Both parties are told, and the end-of-term reminders "
        "count to the new date.",
    )


@district_admin_only
@require_POST
def review(request, agreement, side, role):
    return form_step_take(
        request,
        agreement,
        TermReviewForm(request.POST),
        agreement_review_record,
        "Review recorded; next review {next_review_on:%B %-d, %Y}.",
    )


def term_context(agreement, *, side: str, role: str) -> dict:
    """The district admin's forms for the term of an executed agreement."""
    if side != "district" or role not in DISTRICT_ADMIN or agreement.status != Agreement.Status.EXECUTED:
        return {}
    # Ids of their own: the termination form on the same page has a "reason" too.
    context = {
        "term_change_form": TermChangeForm(initial={"contract_end": agreement.contract_end}, auto_id="id_term_%s")
    }
    if agreement.runs_until_terminated:
        context["term_review_form"] = TermReviewForm(auto_id="id_review_%s")
    return context
