"""One agreement: the page both parties see, the district's decisions, the vendor's submission. A reviewer's
comments are posted to exhibits.views.comment, beside the exhibits they are about."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dpa_portal.sentences import full_stop
from exhibits.selectors import agreement_exhibits
from exhibits.services import answers_reuse, reuse_source_for
from vendors.models import ContractorMembership

from .. import services
from ..access import DISTRICT_ADMIN, DISTRICT_REVIEWERS, member_required
from ..forms import AgreementTermForm, DecisionForm, SendToVendorForm
from ..models import Agreement, AgreementDocument, OutsideSigning, Signature, statuses
from ..signing import public_copy_current, signing_side
from .ending import ending_context
from .next_step import next_step
from .outside import outside_context, outside_of
from .progress import READY, agreement_progress
from .steps import district_admin_only, form_step_take, step_take
from .term import term_context

S = Agreement.Status


def _can(agreement, side, role) -> dict:
    """What the person may do with the agreement now; the services check the same rules again."""
    district_admin = side == "district" and role in DISTRICT_ADMIN
    reviewer = side == "district" and role in DISTRICT_REVIEWERS
    vendor = side == "vendor"
    return {
        "send": district_admin and agreement.status == S.DRAFT,
        "edit_term": district_admin and agreement.status in statuses.TERM_EDITABLE,
        "decide": district_admin and agreement.status == S.SUBMITTED,
        "withdraw": district_admin and agreement.status in statuses.BEFORE_EXECUTION,
        "comment": reviewer and agreement.status in statuses.IN_REVIEW,
        "edit": vendor and agreement.status == S.WITH_VENDOR,
        "submit": vendor and agreement.status == S.WITH_VENDOR,
        "amend": district_admin and agreement.status in statuses.AMENDABLE,
    }


@member_required("agreement")
def detail(request, agreement, side, role):
    can = _can(agreement, side, role)
    context = {
        "agreement": agreement,
        "side": side,
        "role": role,
        "can": can,
        "products": list(agreement.products.all()),
        "timeline": list(agreement.status_changes.select_related("actor")),
        **agreement_exhibits(agreement, side=side),
    }
    if can["send"]:
        has_staff = ContractorMembership.objects.filter(contractor=agreement.contractor_id).exists()
        context.update(send_form=SendToVendorForm(), vendor_has_staff=has_staff)
        if not has_staff and agreement.previous_id:
            # A renewal or amendment of an agreement signed outside the portal goes to the contact recorded with it
            # while the vendor has nobody here (issue 12); the district may change it.
            contact = OutsideSigning.objects.filter(agreement=agreement.previous_id).values_list(
                "vendor_contact_email", flat=True
            )
            context["vendor_contact"] = contact.first() or ""
    # An agreement signed outside the portal (issue 12): no signing steps; the copy as uploaded, what it lacks.
    outside = outside_of(agreement) if agreement.status in statuses.POSTED else None
    if outside is not None:
        context.update(outside_context(agreement, outside, info=context["info"], side=side, role=role))
    if can["edit_term"]:
        context["term_form"] = AgreementTermForm(instance=agreement)
    if can["decide"]:
        context["decision_form"] = DecisionForm()
    if can["edit"] and not context["reuse"]:
        context["reuse_source"] = reuse_source_for(agreement)
    context["signatures"] = list(agreement.signatures.select_related("signer"))
    public = AgreementDocument.Kind.PUBLIC_COPY
    context["documents"] = {d.kind: d for d in agreement.documents.exclude(kind=public).defer("pdf", "public_source")}
    context["documents"]["public_copy"] = public_copy_current(agreement)
    context["signing_as"] = signing_side(agreement, request.user)
    context["show_signing"] = agreement.status in statuses.SIGNING + statuses.POSTED and outside is None
    context["posted_statuses"] = statuses.POSTED
    context.update(ending_context(agreement, side=side, role=role, can=can))  # early termination, supersession
    context.update(term_context(agreement, side=side, role=role))  # the term of an executed agreement (issue 11)
    countersigned = [s.signed_at for s in context["signatures"] if s.side == Signature.Side.DISTRICT]
    if countersigned:
        can["withdraw"] = False  # both parties signed: the portal is sealing it, not a time to offer withdrawing
    # The documents a worker makes, each in a panel that follows the work until the PDF is ready, and says so if it
    # failed and what happens next (issue 14.1; a failed or given-up render: issue 10). One query for their jobs.
    progress = agreement_progress(
        agreement,
        side=side,
        role=role,
        documents=context["documents"],
        district_signed_at=countersigned[0] if countersigned else None,
        terminated=context.get("termination") is not None,
        signing=context["show_signing"],
    )
    context["progress_polling"] = any(p.polling for p in progress.values())
    # Who has the agreement, what they must do, since when (issue 14.6): from the timeline read above, and the copy to
    # sign's panel (nobody can sign while the portal prepares it, or after it gave up).
    copy = progress.get(AgreementDocument.Kind.SIGNING_COPY)
    context["next_step"] = next_step(
        agreement,
        side=side,
        role=role,
        timeline=context["timeline"],
        signatures=context["signatures"],
        signing_copy=copy.state if copy else READY,
        carried=context.get("carried"),
    )
    context["termination_progress"] = progress.pop(AgreementDocument.Kind.TERMINATION_RECORD, None)
    context["progress"] = progress
    return render(request, "agreements/agreement_detail.html", context)


@district_admin_only
@require_POST
def send(request, agreement, side, role):
    form = SendToVendorForm(request.POST)
    return form_step_take(request, agreement, form, services.agreement_send_to_vendor, "Sent to the vendor.")


def _decide(request, agreement, step, success: str):
    # A note over its limit is refused, never dropped (an approval without its note).
    return form_step_take(request, agreement, DecisionForm(request.POST), step, success)


@district_admin_only
@require_POST
def request_changes(request, agreement, side, role):
    return _decide(request, agreement, services.agreement_request_changes, "Sent back to the vendor.")


@district_admin_only
@require_POST
def approve(request, agreement, side, role):
    return _decide(request, agreement, services.agreement_approve, "Approved. The vendor signs next.")


@district_admin_only
@require_POST
def withdraw(request, agreement, side, role):
    return _decide(request, agreement, services.agreement_withdraw, "The agreement is withdrawn.")


@district_admin_only
@require_POST
def edit_term(request, agreement, side, role):
    pk = agreement.pk
    if agreement.status not in statuses.TERM_EDITABLE:
        messages.error(request, "The term can no longer change: the agreement is approved.")
        return redirect("agreement_detail", pk=pk)
    form = AgreementTermForm(request.POST, instance=agreement)
    if form.is_valid():
        form.save()
        messages.success(request, "Contract term saved.")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("agreement_detail", pk=pk)


@member_required("agreement", side="vendor")
@require_POST
def submit(request, agreement, side, role):
    return step_take(request, agreement, services.agreement_submit, "Submitted to the district for review.")


@member_required("agreement", side="vendor")
@require_POST
def reuse(request, agreement, side, role):
    source = reuse_source_for(agreement)
    if agreement.status != S.WITH_VENDOR or source is None:
        messages.error(request, "There are no earlier answers to start from.")
    else:
        answers_reuse(agreement=agreement, source=source, actor=request.user)
        carried_from = full_stop(source.agency)
        messages.success(request, f"Answers carried over from your agreement with {carried_from} Check each one.")
    return redirect("agreement_detail", pk=agreement.pk)
