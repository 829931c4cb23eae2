"""Pages of the accounts app: accepting an invitation, and each organisation's staff. Thin: rules are in services."""

from allauth.account.utils import complete_signup
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agreements.access import DISTRICT_ADMIN, member_required
from dpa_portal.errors import refusal_message
from dpa_portal.ratelimits import rate_limited
from dpa_portal.sentences import full_stop

from . import mfa, selectors, services
from .forms import RoleForm, StaffInviteForm, VendorInviteForm
from .middleware import NEXT_SESSION_KEY, mfa_setup_url
from .models import Invitation
from .sides import SIDES, VENDOR
from .signup import NewAccountForm

# --- invitations ---------------------------------------------------------------------------------------------


def _link_failed(response) -> bool:
    """An invitation link that led nowhere (unknown, used or expired): what someone guessing tokens gets."""
    return response.status_code in (404, 410)


@require_http_methods(["GET", "POST"])
@rate_limited("invitation", key="ip", counts=_link_failed)
def invitation_accept(request, token):
    """Who invited you to what; then create the account (or sign in) and accept. Bad links get a message."""
    invitation = selectors.invitation_for_token(token)
    problem = services.invitation_problem(invitation)
    if problem:
        status = 404 if invitation is None else 410
        return render(request, "accounts/invitation_invalid.html", {"problem": problem}, status=status)
    context = {"invitation": invitation, "note": selectors.invitation_note(invitation)}

    user = request.user
    if user.is_authenticated:
        if user.email.strip().lower() != invitation.email:
            return render(request, "accounts/invitation.html", {**context, "wrong_account": True}, status=403)
        if request.method == "POST":
            with refusal_message(request):
                services.invitation_accept(token=token, user=user)
                messages.success(request, f"Welcome to {full_stop(invitation.organisation)}")
                return redirect(_after_acceptance(request, invitation, user))
            return redirect(request.path)
        return render(request, "accounts/invitation.html", context)

    if get_user_model().objects.filter(email__iexact=invitation.email).exists():
        return render(request, "accounts/invitation.html", {**context, "account_exists": True})
    # The account an invitee creates (its address is the invited one): the form of a teacher's sign-up too.
    form = NewAccountForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        with refusal_message(request, form):
            user = services.invitation_accept_as_new_user(
                token=token,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
            messages.success(request, f"Welcome to {full_stop(invitation.organisation)}")
            return _sign_in_new_user(request, user, _after_acceptance(request, invitation, user))
    return render(request, "accounts/invitation.html", {**context, "form": form})


def _after_acceptance(request, invitation, user) -> str:
    """The invitation's landing page; but an invitee who is now an admin sets up two-factor authentication first
    (the start page "/" is open without it, so the MFA middleware alone would not ask)."""
    landing = services.invitation_landing_url(invitation, user)
    if selectors.mfa_setup_required(user):
        return mfa_setup_url(request, next_url=landing)
    return landing


def _sign_in_new_user(request, user, redirect_url):
    # Through allauth, so that its sign-in hooks and messages run and the session records a password sign-in
    # (accounts.adapter lets such a fresh sign-in set up the first authenticator without asking again).
    mfa.sign_in_record(request, user, method="password", email=user.email)
    return complete_signup(request, user, email_verification="none", success_url=redirect_url)


@login_required
@require_GET
def continue_after_mfa(request):
    """After setting up two-factor authentication: back to the page the MFA middleware interrupted."""
    next_url = request.session.pop(NEXT_SESSION_KEY, None)
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect(services.home_url_for(request.user))


# --- staff ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def staff_index(request):
    """The organisations you administer: straight to the staff page when there is only one."""
    organisations = selectors.admin_organisations(request.user)
    if len(organisations) == 1:
        side_key, organisation = organisations[0]
        return redirect(f"{side_key}_staff", slug=organisation.slug)
    return render(request, "accounts/staff_index.html", {"organisations": organisations})


@member_required("organisation")
@require_http_methods(["GET", "POST"])
def staff(request, side, organisation, membership):
    """An organisation's staff and pending invitations, and the form to invite someone. Admins only."""
    side = SIDES[side]
    form = StaffInviteForm(request.POST or None, roles=side.roles)
    if request.method == "POST" and form.is_valid():
        with refusal_message(request, form):
            services.invitation_create(
                kind=side.staff_kind,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                **{side.org_field: organisation},
            )
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect(request.path)
    context = {
        "side": side,
        "organisation": organisation,
        "members": selectors.staff_of(side, organisation),
        "invitations": selectors.pending_invitations(kinds=[side.staff_kind], **{side.org_field: organisation}),
        "roles": side.roles.choices,
        "form": form,
    }
    return render(request, "accounts/staff.html", context)


@member_required("organisation")
@require_POST
def staff_role(request, side, organisation, membership, pk):
    side = SIDES[side]
    member = _member(side, organisation, pk)
    form = RoleForm(request.POST, roles=side.roles)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
    else:
        with refusal_message(request):
            services.membership_role_change(membership=member, role=form.cleaned_data["role"], actor=request.user)
            messages.success(request, f"{member.user} is now {member.get_role_display().lower()}.")
    return _back_to_staff(request, side, organisation, member)


@member_required("organisation")
@require_POST
def staff_remove(request, side, organisation, membership, pk):
    side = SIDES[side]
    member = _member(side, organisation, pk)
    with refusal_message(request):
        services.membership_remove(membership=member, actor=request.user)
        messages.success(request, f"{member.user} is no longer on the staff of {full_stop(organisation)}")
    return _back_to_staff(request, side, organisation, member)


def _member(side, organisation, pk):
    """A member of this organisation's staff; a membership elsewhere is a 404 like everything outside."""
    memberships = side.membership_model.objects.select_related("user")
    return get_object_or_404(memberships, pk=pk, **{side.org_field: organisation})


def _back_to_staff(request, side, organisation, member):
    # An admin who just stepped down or out can no longer open the staff page.
    if member.user_id == request.user.pk and not side.is_admin(request.user, organisation):
        return redirect(services.home_url_for(request.user))
    return redirect(f"{side.key}_staff", slug=organisation.slug)


@member_required("organisation")
@require_POST
def invitation_revoke(request, side, organisation, membership, pk):
    """Withdraw an invitation this organisation sent; then back to the page it was listed on."""
    side = SIDES[side]
    invitation = get_object_or_404(Invitation, pk=pk, kind__in=side.issued_kinds, **{side.org_field: organisation})
    with refusal_message(request):
        services.invitation_revoke(invitation=invitation, actor=request.user)
        messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect(f"{side.key}_staff", slug=organisation.slug)


@member_required("district", roles=DISTRICT_ADMIN)
@require_http_methods(["GET", "POST"])
def vendor_invite(request, agency, membership):
    """A district admin invites a vendor's contact, naming a vendor on the portal or a new one."""
    form = VendorInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_message(request, form):
            invitation, _ = services.invitation_create(
                kind=Invitation.Kind.VENDOR_CONTACT,
                email=form.cleaned_data["email"],
                role=VENDOR.roles.ADMIN,  # the invitee founds or joins the vendor's organisation
                invited_by=request.user,
                agency=agency,
                contractor=form.cleaned_data["contractor"],
                contractor_name=form.cleaned_data["legal_name"] or None,
            )
            messages.success(request, f"Invitation sent to {invitation.email} at {full_stop(invitation.contractor)}")
            return redirect(request.path)
    context = {
        "agency": agency,
        "form": form,
        "invitations": selectors.pending_invitations(kinds=[Invitation.Kind.VENDOR_CONTACT], agency=agency),
        "revoke_next": request.path,
        "staff_url": reverse("district_staff", args=[agency.slug]),
    }
    return render(request, "accounts/vendor_invite.html", context)
