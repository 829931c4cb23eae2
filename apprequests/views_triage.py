"""The technology director's queue of app requests (issue 16.3) and the teacher's answer to a question."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from agreements.access import DISTRICT_ADMIN, DISTRICT_REVIEWERS, member_required
from agreements.forms import AgreementCreateForm
from dpa_portal.errors import refusal_message

from . import selectors, triage
from .forms import AppRequestForm
from .forms_triage import AskForm, DeclineForm
from .models import AppRequest


@member_required("district", roles=DISTRICT_REVIEWERS)
@require_http_methods(["GET"])
def queue(request, agency, membership):
    context = {
        "agency": agency,
        "membership": membership,
        "groups": selectors.queue_groups(agency),
        "decline_form": DeclineForm(agency=agency),
        "ask_form": AskForm(),
    }
    return render(request, "apprequests/queue.html", context)


def _group_or_404(agency, pk):
    """The open group holding the request `pk` (a request names its group in the URLs: a key may be any text)."""
    key = selectors.open_key(agency, pk)
    groups = selectors.queue_groups(agency, key=key) if key is not None else []
    group = next((g for g in groups if any(r.pk == pk for r in g["requests"])), None)
    if group is None:
        raise Http404
    return group


@member_required("district", roles=DISTRICT_ADMIN)
@require_http_methods(["GET", "POST"])
def start(request, agency, membership, pk):
    """The new-agreement form, filled from the requests: the vendor the portal matched, else the name a teacher gave
    (asked which vendor it is when close to one on the portal), and the app as the product."""
    group = _group_or_404(agency, pk)
    product, first = group["product"], group["first"]
    initial = {"product_name": product.name if product else first.app_name[:200]}
    if product:
        initial["contractor"] = product.contractor_id
    else:
        initial["new_vendor_name"] = next((r.vendor_name for r in group["requests"] if r.vendor_name), "")
    form = AgreementCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusal_message(request, form):
            agreement = triage.app_requests_start(
                agency=agency, actor=request.user, key=group["key"], **form.agreement_fields()
            )
            count = len(group["requests"])
            messages.success(
                request,
                f"Agreement created as a draft; {count} request{'s' if count != 1 else ''} linked to it. Check it, "
                "then send it to the vendor.",
            )
            return redirect("agreement_detail", pk=agreement.pk)
    context = {"agency": agency, "membership": membership, "group": group, "form": form}
    return render(request, "apprequests/queue_start.html", context)


@require_POST
@member_required("district", roles=DISTRICT_REVIEWERS)
def ask(request, agency, membership, pk):
    form = AskForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write what you need to know (" + " ".join(form.errors.get("question", [])) + ")")
        return redirect("apprequests_queue", agency.slug)
    with refusal_message(request):
        app_request = triage.app_request_ask(
            agency=agency, actor=request.user, pk=pk, question=form.cleaned_data["question"]
        )
        messages.success(request, f"The question about {app_request.app_name} was e-mailed to the teacher.")
    return redirect("apprequests_queue", agency.slug)


@require_POST
@member_required("district", roles=DISTRICT_ADMIN)
def decline(request, agency, membership, pk):
    # The open request's group; a decided one names nothing to decline (the rest of its app waits for its own row).
    key = selectors.open_key(agency, pk)
    if key is None:
        raise Http404
    form = DeclineForm(request.POST, agency=agency)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"The requests were not declined: {errors}")
        return redirect("apprequests_queue", agency.slug)
    with refusal_message(request):
        count = triage.app_requests_decline(agency=agency, actor=request.user, key=key, **form.cleaned_data)
        messages.success(request, f"Declined; {count} teacher{'s were' if count != 1 else ' was'} told.")
    return redirect("apprequests_queue", agency.slug)


@login_required
@require_http_methods(["GET", "POST"])
def answer(request, slug, pk):
    """The teacher answers the district's question by editing the request."""
    requester = selectors.requester_for(request.user, slug)
    app_request = selectors.requests_of(requester).filter(pk=pk).first()
    if app_request is None:
        raise Http404
    if app_request.status != AppRequest.Status.MORE_INFO_ASKED:
        return redirect("apprequests_mine", slug)
    form = AppRequestForm(request.POST or None, instance=app_request)
    if request.method == "POST" and form.is_valid():
        with refusal_message(request, form):
            fields = {name: form.cleaned_data[name] for name in AppRequestForm._meta.fields}
            triage.app_request_answer(requester=requester, pk=pk, **fields)
            messages.success(request, f"Your answer about {app_request.app_name} was sent to {requester.agency}.")
            return redirect("apprequests_mine", slug)
    context = {"agency": requester.agency, "form": form, "app_request": app_request}
    return render(request, "apprequests/queue_answer.html", context)
