"""Admins of a district or a vendor sign agreements and manage staff, so they must use two-factor authentication
(DESIGN.md: "district admin ... signed in, MFA"; "vendor admin ... admin with MFA") before they can act."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from .selectors import mfa_setup_required

# Paths that work without MFA: sign-in, MFA set-up and invitations (allauth and ours live under /accounts/), the
# operators' admin (its own login), static files, the health check, the public pages for parents and the public
# verification of an executed DPA.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/admin/", "/public/", "/i18n/")
EXEMPT_PATHS = {"/", "/healthz", "/verify/"}
# Where to go once the authenticator is set up; read by accounts.views.continue_after_mfa.
NEXT_SESSION_KEY = "accounts_mfa_next"

EXPLANATION = (
    "You are an admin of a district or a vendor, so your account must be protected with two-factor "
    "authentication before you continue. Scan the QR code with an authenticator app and enter the code it shows."
)


class MfaRequiredMiddleware:
    """Send an admin without an authenticator app to allauth's TOTP set-up page. One query per request for a
    signed-in person on a protected path; nothing is cached, so a new admin role takes effect at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        if not request.user.is_authenticated or not mfa_setup_required(request.user):
            return self.get_response(request)

        url = mfa_setup_url(request, next_url=request.get_full_path() if request.method == "GET" else None)
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(url)  # htmx would otherwise swap the set-up page into a fragment
        return HttpResponseRedirect(url)


def mfa_setup_url(request, *, next_url: str | None = None) -> str:
    """allauth's TOTP set-up page, with the reason said once; `next_url` is where accounts_continue returns to."""
    if next_url:
        request.session[NEXT_SESSION_KEY] = next_url
    messages.warning(request, EXPLANATION)
    return reverse("mfa_activate_totp")
