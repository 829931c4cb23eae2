"""The sealed record of an early termination (issue 11, point 2): a short PDF in the DPA's style (templates/dpa/),
sealed beside the executed DPA, which never changes. Names and roles only: no e-mail or IP address."""

from __future__ import annotations

from django.utils import timezone

from .render import format_new_york, html_to_pdf, render_context

TEMPLATE = "dpa/termination_record.html"


def termination_record_pdf(
    termination, *, executed, return_destroy_due, open_duties, recorded_role: str, document_id: str
) -> bytes:
    """The record as a tagged PDF. `executed`: the sealed executed DPA (or None, for one signed elsewhere);
    `return_destroy_due`: the date the data is to be returned or destroyed by; `open_duties`: the duties that survive
    (anything with a title and a due_on)."""
    agreement = termination.agreement
    recorder = termination.recorded_by
    context = {
        "agreement": agreement,
        "agency": agreement.agency,
        "contractor": agreement.contractor,
        "termination": termination,
        "executed": executed,
        "return_destroy_due": return_destroy_due,
        "open_duties": open_duties,
        "recorded_by": (recorder.get_full_name() if recorder else "") or "The district",
        "recorded_role": recorded_role,
        "recorded_at": format_new_york(termination.recorded_at),
        "sealed_on": format_new_york(timezone.now()),
        "document_id": document_id,
    }
    return html_to_pdf(render_context(context, TEMPLATE), document_id=document_id)
