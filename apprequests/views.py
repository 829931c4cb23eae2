"""The requesters' pages (sign-up, request an app, my requests) and the district admins' staff domains."""

from allauth.account.utils import complete_signup
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts import mfa
from accounts.signup import NewAccountForm
from agreements.access import DISTRICT_ADMIN, member_required
from dpa_portal.errors import refusal_message
from dpa_portal.ratelimits import rate_limited

from . import selectors, services
from .forms import AppRequestForm, SignUpEmailForm, StaffDomainForm


@require_http_methods(["GET", "POST"])
@rate_limited("requests_sign_up", key="ip", method="POST")
def sign_up(request):
    """Anyone may ask; the answer is the same whether or not the address is at a district's staff domain."""
    form = SignUpEmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.sign_up_request(email=form.cleaned_data["email"])
        return render(request, "apprequests/sign_up_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "apprequests/sign_up.html", {"form": form})


@require_http_methods(["GET", "POST"])
@rate_limited("invitation", key="ip", counts=lambda response: response.status_code == 404)
def sign_up_confirm(request, token):
    link = services.sign_up_link_for(token)
    if link is None:
        raise Http404
    context = {"link": link}
    account_exists = get_user_model().objects.filter(email__iexact=link.email).exists()
    if account_exists:
        if request.method == "POST":
            with refusal_message(request):
                services.sign_up_complete(token=token)
                messages.success(request, f"You can now ask {link.agency} for apps: sign in with {link.email}.")
                return redirect("account_login")
            return redirect(request.path)
        return render(request, "apprequests/sign_up_confirm.html", {**context, "account_exists": True})
    form = NewAccountForm(request.POST or None, email=link.email)
    if request.method == "POST" and form.is_valid():
        with refusal_message(request, form):
            user, _ = services.sign_up_complete(
                token=token,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
            mfa.sign_in_record(request, user, method="password", email=user.email)
            url = reverse("apprequests_mine", args=[link.agency.slug])
            return complete_signup(request, user, email_verification="none", success_url=url)
    return render(request, "apprequests/sign_up_confirm.html", {**context, "form": form})


@login_required
@require_http_methods(["GET"])
def mine(request, slug):
    requester = selectors.requester_for(request.user, slug)
    context = {"agency": requester.agency, "app_requests": selectors.requests_of(requester)}
    return render(request, "apprequests/mine.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("app_requests", key="user", method="POST")  # a flood from one account (issue 16.6)
def new(request, slug):
    requester = selectors.requester_for(request.user, slug)
    form = AppRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_message(request, form):
            app_request = services.app_request_submit(requester=requester, **form.cleaned_data)
            if app_request.status == app_request.Status.APPROVED:
                said = f"{app_request.app_name} is approved: {requester.agency} has a data privacy agreement for it."
            else:
                said = f"Your request for {app_request.app_name} was sent to {requester.agency}."
            messages.success(request, said)
            return redirect("apprequests_mine", slug)
    return render(request, "apprequests/new.html", {"agency": requester.agency, "form": form})


@member_required("district", roles=DISTRICT_ADMIN)
@require_http_methods(["GET", "POST"])
def staff_domains(request, agency, membership):
    form = StaffDomainForm(request.POST or None)
    if request.method == "POST":
        if "remove" in request.POST:
            if not request.POST["remove"].isdigit():  # a tampered form: nothing to remove
                return redirect(request.path)
            with refusal_message(request):
                services.staff_domain_remove(agency=agency, pk=int(request.POST["remove"]), actor=request.user)
                messages.success(request, "The domain was removed.")
                return redirect(request.path)
        elif form.is_valid():
            with refusal_message(request, form):
                domain = services.staff_domain_add(
                    agency=agency, domain=form.cleaned_data["domain"], actor=request.user
                )
                messages.success(request, f"Staff at {domain} can now sign up to ask for apps.")
                return redirect(request.path)
    context = {"agency": agency, "membership": membership, "form": form, "domains": selectors.staff_domains_of(agency)}
    return render(request, "apprequests/staff_domains.html", context)
