"""The deadline pages: what is due for each of a person's organisations, the district's breach duties, parent
requests and closure dates, the vendor's breach reports and destruction certificates, the calendar feed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.models import token_hash
from dpa_portal.errors import refusal_message

from ..access import BREACH_READERS, DISTRICT_ADMIN, member_required
from ..models import Agreement, statuses
from . import rules, selectors, services
from .calendar import long_date
from .forms import (
    BreachRecordForm,
    BreachReportForm,
    ClosureForm,
    DecisionForm,
    DelayForm,
    DestructionCertificateForm,
    DpaNoticeForm,
    ExtendForm,
    OutcomeForm,
    ParentRequestForm,
    PolicyForm,
    ReimbursementForm,
    RemedyForm,
)
from .ical import calendar_for
from .models import CalendarFeed, DestructionCertificate, DistrictClosure, Obligation
from .storage import letter_file_kind

K = Obligation.Kind


def _feed_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("deadlines_feed", args=[token]))


# --- a person's deadlines and calendar ------------------------------------------------------------------------------


@login_required
def deadlines(request, *, feed_url: str | None = None):
    return render(
        request,
        "deadlines/deadlines.html",
        {
            "sections": selectors.deadlines_for_user(request.user),
            "today": timezone.localdate(),
            "has_feed": CalendarFeed.objects.filter(user=request.user).exists(),
            "feed_url": feed_url,
        },
    )


@login_required
@require_POST
def calendar_issue(request):
    """A new secret link, shown once on the page that answers this request (only its hash is kept)."""
    token = services.calendar_feed_issue(user=request.user)
    messages.success(request, "Your calendar link is ready. Copy it now: it is shown only this once.")
    return deadlines(request, feed_url=_feed_url(request, token))


@login_required
@require_POST
def calendar_revoke(request):
    if services.calendar_feed_revoke(user=request.user):
        messages.success(request, "Calendar link revoked: calendars that used it get nothing from now on.")
    return redirect("deadlines")


@require_GET
def calendar_feed(request, token: str):
    """Works without signing in: the secret link is the credential. A revoked or unknown link is a 404."""
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=token_hash(token))
    feed = feed.first()
    if feed is None or not feed.user.is_active:
        raise Http404
    body = calendar_for(selectors.feed_obligations(feed.user), name="DPA Portal deadlines")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="dpa-deadlines.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- one duty -----------------------------------------------------------------------------------------------------


def _obligation_can(obligation: Obligation, side: str, role: str) -> dict:
    """What the person may do with the duty now; the services check the same rules again."""
    district_admin = side == "district" and role == "admin"
    by_hand = obligation.is_open and obligation.kind not in rules.MET_BY_PORTAL
    return {
        "meet": by_hand
        and (
            (obligation.owed_by == Obligation.Party.VENDOR and side == "vendor")
            or (obligation.owed_by == Obligation.Party.DISTRICT and district_admin)
        ),
        "delay": district_admin and obligation.is_open and obligation.kind == K.BREACH_PARENTS,
        "extend": district_admin and obligation.is_open and obligation.kind == K.COMPLAINT,
        "read_report": side == "vendor" or role in BREACH_READERS,
    }


@member_required("obligation")
def obligation_detail(request, obligation, side, role):
    can = _obligation_can(obligation, side, role)
    return render(
        request,
        "deadlines/obligation.html",
        {
            "o": obligation,
            "side": side,
            "role": role,
            "can": can,
            "today": timezone.localdate(),
            # Several forms on one page: each with its own ids, so that every label points at its own field.
            "meet_form": OutcomeForm(auto_id="id_meet_%s") if can["meet"] else None,
            "delay_form": DelayForm(auto_id="id_delay_%s", initial={"reason": obligation.delay_reason or None})
            if can["delay"]
            else None,
            "remedy_form": RemedyForm(auto_id="id_remedy_%s") if can["delay"] and obligation.delay_reason else None,
            "extend_form": ExtendForm(auto_id="id_extend_%s") if can["extend"] else None,
        },
    )


def _posted_step(request, form, step, back: str, **back_args):
    """A step whose arguments are a form posted from a page that shows no form errors: its errors, or the step's
    refusal, or what `step(cleaned_data)` says it did, as a message on the page it came from."""
    if form.is_valid():
        with refusal_message(request):
            messages.success(request, step(form.cleaned_data))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect(back, **back_args)


def _obligation_step(request, obligation, side, role, form_class, allowed: str, step):
    if not _obligation_can(obligation, side, role)[allowed]:
        raise Http404
    form = form_class(request.POST)
    return _posted_step(request, form, lambda data: step(obligation, data), "obligation_detail", pk=obligation.pk)


@member_required("obligation")
@require_POST
def obligation_done(request, obligation, side, role):
    def step(o, data):
        services.obligation_meet(obligation=o, actor=request.user, note=data["note"])
        return "Recorded as done."

    return _obligation_step(request, obligation, side, role, OutcomeForm, "meet", step)


@member_required("obligation")
@require_POST
def obligation_delay(request, obligation, side, role):
    def step(o, data):
        o = services.parent_notice_delay(
            obligation=o,
            actor=request.user,
            reason=data["reason"],
            note=data["note"],
            remedied_on=data["remedied_on"],
            review_on=data["review_on"],
        )
        if o.delay_under_review:
            return f"Delay recorded. Review it by {long_date(o.due_on)}."
        return f"Delay recorded. Notice is now due {long_date(o.due_on)}."

    return _obligation_step(request, obligation, side, role, DelayForm, "delay", step)


@member_required("obligation")
@require_POST
def obligation_remedied(request, obligation, side, role):
    def step(o, data):
        o = services.parent_notice_remedied(obligation=o, actor=request.user, remedied_on=data["remedied_on"])
        return f"Remedy date recorded. Notice is due {long_date(o.due_on)}."

    return _obligation_step(request, obligation, side, role, RemedyForm, "delay", step)


@member_required("obligation")
@require_POST
def obligation_extend(request, obligation, side, role):
    def step(o, data):
        services.complaint_extend(
            obligation=o, actor=request.user, new_due_on=data["new_due_on"], explanation=data["explanation"]
        )
        return "Extension recorded with its explanation."

    return _obligation_step(request, obligation, side, role, ExtendForm, "extend", step)


# --- the DPA's notices (II.6(c), II.6(e), II.7, III.1) and reimbursement (II.14) --------------------------------------


NOTICE_KINDS = (*rules.VENDOR_NOTICES, *rules.DISTRICT_ASKS)


@member_required("agreement")
def agreement_notices(request, agreement, side, role):
    """The agreement's notices under the DPA: the vendor's staff give one; the district's admins ask for a
    reimbursement (agreement_reimbursement); both sides read them."""
    if agreement.status not in statuses.HOLDS_DATA:
        raise Http404
    form = DpaNoticeForm(request.POST or None) if side == "vendor" else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            with refusal_message(request):
                notice = services.dpa_notice_give(agreement=agreement, actor=request.user, **form.cleaned_data)
                messages.success(request, f"Notice given to {agreement.agency}: {notice.title}.")
                return redirect("agreement_notices", pk=agreement.pk)
    notices = agreement.obligations.filter(kind__in=NOTICE_KINDS).select_related("met_by").order_by("-created_at")
    return render(
        request,
        "deadlines/agreement_notices.html",
        {
            "agreement": agreement,
            "side": side,
            "role": role,
            "notices": notices,
            "form": form,
            "reimbursement_form": ReimbursementForm(auto_id="id_reimburse_%s", agreement=agreement)
            if side == "district" and role == "admin"
            else None,
        },
    )


@member_required("agreement", side="district", roles=DISTRICT_ADMIN)
@require_POST
def agreement_reimbursement(request, agreement, side, role):
    if agreement.status not in statuses.HOLDS_DATA:
        raise Http404

    def step(data):
        duty = services.reimbursement_request(agreement=agreement, actor=request.user, **data)
        return f"Reimbursement asked of {agreement.contractor} by {long_date(duty.due_on)}."

    form = ReimbursementForm(request.POST, agreement=agreement)
    return _posted_step(request, form, step, "agreement_notices", pk=agreement.pk)


# --- the district's breach duties ------------------------------------------------------------------------------------


@member_required("district", roles=BREACH_READERS)
def district_breaches(request, agency, membership):
    return render(
        request,
        "deadlines/district_breaches.html",
        {"agency": agency, "membership": membership, "reports": selectors.breach_reports_for_district(agency)},
    )


@member_required("district", roles=BREACH_READERS)
def district_breach(request, agency, membership, pk):
    report = selectors.breach_report_for_district(agency, pk)
    return render(
        request,
        "deadlines/district_breach.html",
        {"agency": agency, "membership": membership, "report": report, "today": timezone.localdate()},
    )


@member_required("district", roles=DISTRICT_ADMIN)
def district_breach_new(request, agency, membership):
    """A breach the district learned of without a report in the portal (8 NYCRR 121.10(d))."""
    form = BreachRecordForm(request.POST or None, request.FILES or None, agreements=_district_agreements(agency))
    if request.method == "POST" and form.is_valid():
        with refusal_message(request):
            data = dict(form.cleaned_data)
            report = services.breach_record(
                agency=agency, actor=request.user, letter=data.pop("letter") or None, **data
            )
            nysed = report.obligations.get(kind=K.BREACH_NYSED)
            messages.success(
                request,
                f"Breach recorded. Report it to NYSED's Chief Privacy Officer by {long_date(nysed.due_on)}.",
            )
            return redirect("district_breach", slug=agency.slug, pk=report.pk)
    return render(request, "deadlines/district_breach_new.html", {"agency": agency, "form": form})


@member_required("district", roles=BREACH_READERS)
def district_breach_letter(request, agency, membership, pk):
    """The vendor's letter the district attached: to the district's breach readers only, never cached, never shown
    inline as the browser guesses (its type is the one checked when it was uploaded)."""
    report = selectors.breach_report_for_district(agency, pk)
    if not report.letter:
        raise Http404
    with report.letter.open("rb") as f:
        kind = letter_file_kind(f)
    if kind is None:
        raise Http404
    response = FileResponse(
        report.letter.open("rb"),
        content_type=kind[0],
        as_attachment=True,
        filename=f"breach-{report.pk}-letter.{kind[1]}",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@member_required("district", roles=BREACH_READERS)
def district_breach_export(request, agency, membership, pk):
    """The facts NYSED's Chief Privacy Officer asks for (121.10(b)), as plain text to copy into the report."""
    report = selectors.breach_report_for_district(agency, pk)
    agreements = [a for a in report.agreements.select_related("contractor") if a.agency_id == agency.pk]
    body = render(
        request,
        "deadlines/nysed_export.txt",
        {"agency": agency, "report": report, "agreements": agreements, "now": timezone.now()},
        content_type="text/plain; charset=utf-8",
    )
    body["Content-Disposition"] = f'attachment; filename="breach-{report.pk}-{agency.slug}-nysed.txt"'
    return body


# --- parent and eligible-student requests ----------------------------------------------------------------------------


def _district_agreements(agency):
    return (
        Agreement.objects.filter(agency=agency, status__in=statuses.HOLDS_DATA)
        .select_related("contractor")
        .order_by("contractor__legal_name", "-pk")
    )


@member_required("district")
def district_requests(request, agency, membership):
    return render(
        request,
        "deadlines/district_requests.html",
        {
            "agency": agency,
            "membership": membership,
            "requests": selectors.parent_requests_for_district(agency),
            "today": timezone.localdate(),
        },
    )


@member_required("district", roles=DISTRICT_ADMIN)
def district_request_new(request, agency, membership):
    form = ParentRequestForm(request.POST or None, agreements=_district_agreements(agency))
    if request.method == "POST" and form.is_valid():
        with refusal_message(request):
            parent_request = services.parent_request_record(agency=agency, actor=request.user, **form.cleaned_data)
            sent = " and sent to the vendor" if parent_request.kind != "complaint" else ""
            messages.success(request, f"Request recorded{sent}.")
            return redirect("district_request", slug=agency.slug, pk=parent_request.pk)
    return render(request, "deadlines/district_request_new.html", {"agency": agency, "form": form})


@member_required("district")
def district_request(request, agency, membership, pk):
    parent_request = selectors.parent_request_for_district(agency, pk)
    form = None
    if membership.role == "admin" and parent_request.closed_at is None:
        form = OutcomeForm(request.POST or None)
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            with refusal_message(request):
                services.parent_request_close(
                    request=parent_request, actor=request.user, outcome=form.cleaned_data["note"]
                )
                messages.success(request, "Request closed.")
                return redirect("district_request", slug=agency.slug, pk=pk)
    return render(
        request,
        "deadlines/district_request.html",
        {"agency": agency, "membership": membership, "r": parent_request, "form": form, "today": timezone.localdate()},
    )


# --- the district's closure dates and defaults -------------------------------------------------------------------


@member_required("district")
def district_closures(request, agency, membership):
    admin = membership.role == "admin"
    policy = services.policy_of(agency)
    closure_form = ClosureForm(request.POST if request.POST.get("form") == "closure" else None)
    policy_form = PolicyForm(
        request.POST if request.POST.get("form") == "policy" else None,
        initial={
            "term_reminder_days": ", ".join(map(str, policy.reminders)),
            "destruction_days": policy.destruction_days,
        },
    )
    if request.method == "POST":
        if not admin:
            raise Http404
        with refusal_message(request):
            if closure_form.is_bound and closure_form.is_valid():
                data = closure_form.cleaned_data
                services.closure_add(agency=agency, actor=request.user, day=data["date"], reason=data["reason"])
                messages.success(request, "Closure date added.")
                return redirect("district_closures", slug=agency.slug)
            if policy_form.is_bound and policy_form.is_valid():
                services.policy_update(agency=agency, actor=request.user, **policy_form.cleaned_data)
                messages.success(request, "Defaults saved. They apply to duties opened from now on.")
                return redirect("district_closures", slug=agency.slug)
    return render(
        request,
        "deadlines/district_closures.html",
        {
            "agency": agency,
            "membership": membership,
            "closures": DistrictClosure.objects.filter(agency=agency).order_by("date"),
            "closure_form": closure_form if admin else None,
            "policy_form": policy_form if admin else None,
            "policy": policy,
        },
    )


@member_required("district", roles=DISTRICT_ADMIN)
@require_POST
def district_closure_delete(request, agency, membership, pk):
    closure = get_object_or_404(DistrictClosure, agency=agency, pk=pk)
    services.closure_remove(closure=closure, actor=request.user)
    messages.success(request, "Closure date removed.")
    return redirect("district_closures", slug=agency.slug)


# --- the vendor's breach reports ----------------------------------------------------------------------------------


@member_required("vendor")
def vendor_breaches(request, contractor, membership):
    return render(
        request,
        "deadlines/vendor_breaches.html",
        {"contractor": contractor, "reports": selectors.breach_reports_for_vendor(contractor)},
    )


@member_required("vendor")
def vendor_breach_new(request, contractor, membership):
    eligible = list(services.breach_eligible_agreements(contractor))  # shown as checkboxes; two queries
    form = BreachReportForm(request.POST or None, agreements=services.breach_eligible_agreements(contractor))
    form.fields["agreements"].choices = [(a.pk, form.fields["agreements"].label_from_instance(a)) for a in eligible]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        chosen = data.pop("agreements")
        with refusal_message(request):
            report = services.breach_report_file(contractor=contractor, actor=request.user, agreements=chosen, **data)
            messages.success(request, "Breach report filed. Each district's breach contact and Data Protection Office "
                             "have been notified.")  # fmt: skip
            return redirect("vendor_breach", slug=contractor.slug, pk=report.pk)
    return render(
        request, "deadlines/vendor_breach_new.html", {"contractor": contractor, "form": form, "eligible": eligible}
    )


@member_required("vendor")
def vendor_breach(request, contractor, membership, pk):
    report = selectors.breach_report_for_vendor(contractor, pk)
    return render(request, "deadlines/vendor_breach.html", {"contractor": contractor, "report": report})


# --- return or destruction of the data ------------------------------------------------------------------------------


@member_required("agreement")
def agreement_destruction(request, agreement, side, role):
    """Both sides see the certificates; the vendor files one while the agreement is expired or terminated."""
    selectors.require_ended(agreement)
    panel = selectors.agreement_deadlines(agreement, side)
    can_file = side == "vendor" and agreement.status in statuses.ENDED and panel["pending"] is None
    form = DestructionCertificateForm(request.POST or None) if can_file else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("certify")
            with refusal_message(request):
                services.destruction_certificate_file(agreement=agreement, actor=request.user, **data)
                messages.success(request, "Certificate filed. The district's admins review it next.")
                return redirect("agreement_destruction", pk=agreement.pk)
    return render(
        request,
        "deadlines/destruction.html",
        {
            "agreement": agreement,
            "side": side,
            "role": role,
            "panel": panel,
            "form": form,
            "decision_form": DecisionForm() if side == "district" and role == "admin" and panel["pending"] else None,
            "duty": next((o for o in panel["obligations"] if o.kind == K.RETURN_DESTROY), None),
        },
    )


@member_required("agreement", side="district", roles=DISTRICT_ADMIN)
@require_POST
def destruction_decide(request, agreement, side, role, certificate_pk):
    selectors.require_ended(agreement)
    certificate = get_object_or_404(DestructionCertificate, agreement=agreement, pk=certificate_pk)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    with refusal_message(request):
        if request.POST.get("decision") == "accept":
            services.destruction_certificate_accept(certificate=certificate, actor=request.user, note=note)
            messages.success(
                request, "Certificate accepted. The agreement is closed and the public page shows the date."
            )
        else:
            services.destruction_certificate_reject(certificate=certificate, actor=request.user, note=note)
            messages.success(request, "Certificate returned to the vendor.")
    return redirect("agreement_destruction", pk=agreement.pk)
