"""How allauth behaves in this portal."""

import time
from datetime import UTC, datetime

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied

from dpa_portal.client_ip import client_ip

from . import mfa
from .services import home_url_for

# Sign-ins that prove the person is at the keyboard now, as much as allauth's "confirm access" page would.
FRESH_METHODS = {"password", "password_reset", "code"}


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Accounts come from invitations only: a district invites its staff and its vendors, a vendor its staff
        # (accounts.views.invitation_accept). A stranger has no organisation to join.
        return False

    def get_login_redirect_url(self, request):
        # After signing in (a `next` address on this site still wins, through the MFA step too): the dashboard of the
        # person's only organisation, the admin for a platform operator in none, else the home page listing them.
        # LOGIN_REDIRECT_URL stays "home" for anything that reads the setting itself: "/" sends them on the same way.
        return home_url_for(request.user)

    def get_client_ip(self, request):
        # allauth's rate limits (sign-in, MFA codes, password reset) count per address: the portal's one rule for it
        # (behind a trusted proxy, the address the proxy vouches for, else REMOTE_ADDR; never what a client wrote).
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("The client's address is unknown.")
        return ip

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # allauth asks for the password again before any MFA change. An admin whom the MFA middleware sends to set
        # up an authenticator seconds after signing in would be asked twice in a row, and again for the recovery
        # codes shown next. A fresh password sign-in is that confirmation, for authenticators set up since; anyone
        # who had MFA before signing in (removing it, new recovery codes later) is still asked.
        if app == "allauth.mfa" and _setting_up_mfa_right_after_signing_in(context.request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)


def _setting_up_mfa_right_after_signing_in(request) -> bool:
    if request is None or not request.user.is_authenticated:
        return False
    records = [r for r in mfa.sign_in_records(request) if r.get("method") in FRESH_METHODS]
    if not records or time.time() - records[-1]["at"] >= account_settings.REAUTHENTICATION_TIMEOUT:
        return False
    signed_in_at = datetime.fromtimestamp(records[-1]["at"], tz=UTC)
    return not Authenticator.objects.filter(user=request.user, created_at__lte=signed_in_at).exists()
