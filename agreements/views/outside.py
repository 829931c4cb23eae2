"""An agreement signed outside the portal (issue 12) on its page: how it came in, the signed PDF as uploaded (for the
parties), what the district has still to give, and the district admin's "Complete this agreement" form."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dpa_portal.errors import refusal_message

from ..access import DISTRICT_ADMIN, member_required
from ..forms import OutsideCompleteForm
from ..models import AgreementDocument, OutsideSigning
from ..outside import FIELD_LABELS, outside_agreement_complete, outside_missing
from .steps import form_errors

# Where each value read from the PDF shows on the page (the Exhibit B item or the term), for its "please confirm".
READ_MARKS = {
    "service_agreement_date": "term",
    "contract_start": "term",
    "contract_end": "term",
    "review_on": "term",
    "purposes": "item1",
    "subcontractors": "item2",
    "subcontractor_terms": "item2",
    "data_transition": "item3",
    "accuracy_challenges": "item4",
    "storage_and_security": "item5",
    "encryption": "item6",
    "student_pii": "pii",
    "appr_data": "pii",
    "vendor_contact_name": "contact",
    "vendor_contact_email": "contact",
}


def outside_of(agreement) -> OutsideSigning | None:
    """The agreement's OutsideSigning with its document (without the bytes), or None for a portal agreement."""
    return (
        OutsideSigning.objects.select_related("document", "uploaded_by")
        .defer("document__pdf", "document__public_source")
        .filter(agreement=agreement)
        .first()
    )


def outside_context(agreement, outside: OutsideSigning, *, info, side: str, role: str, form=None) -> dict:
    """What the agreement page shows of an agreement signed outside the portal."""
    agreement.outside_signing = outside
    agreement.supplemental_information = info
    marks: dict = {}
    for name in outside.read_from_pdf:
        marks.setdefault(READ_MARKS.get(name, "term"), []).append(FIELD_LABELS.get(name, name))
    context = {
        "outside": outside,
        "outside_missing": outside_missing(agreement),
        "read_marks": marks,
        "subcontractor_names": [s.name for s in info.subcontractors.all()],
    }
    if side == "district" and role in DISTRICT_ADMIN:
        complete_form = form or OutsideCompleteForm(agreement=agreement, outside=outside, info=info)
        context["complete_form"] = complete_form if complete_form.fields else None
    return context


@member_required("agreement")
def document(request, agreement, side, role):
    """The signed PDF the district uploaded, exactly as it was uploaded, for the parties."""
    doc = AgreementDocument.objects.filter(agreement=agreement, kind=AgreementDocument.Kind.UPLOADED).first()
    if doc is None:
        raise Http404
    response = HttpResponse(bytes(doc.pdf), content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") == "1" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{doc.filename}"'
    response["X-Content-SHA256"] = doc.sha256
    return response


@member_required("agreement", side="district", roles=DISTRICT_ADMIN)
@require_POST
def complete(request, agreement, side, role):
    outside = outside_of(agreement)
    if outside is None:
        raise Http404
    info = agreement.supplemental_information
    form = OutsideCompleteForm(request.POST, request.FILES, agreement=agreement, outside=outside, info=info)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("agreement_detail", pk=agreement.pk)
    with refusal_message(request):
        filled = outside_agreement_complete(
            agreement=agreement,
            actor=request.user,
            terms=form.terms(agreement.contractor),
            confirm=bool(form.cleaned_data.get("confirm")),
            pdf=upload.read() if (upload := form.cleaned_data.get("pdf")) else None,
            pdf_filename=upload.name if upload else "",
        )
        if filled:
            messages.success(request, "Saved. The public page shows what you gave from now on.")
        else:
            messages.info(request, "Nothing was given: the agreement is unchanged.")
    return redirect("agreement_detail", pk=agreement.pk)
