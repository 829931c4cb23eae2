"""How allauth behaves in this portal."""

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.models import Authenticator

# Sign-ins that prove the person is at the keyboard now, as much as allauth's "confirm access" page would.
FRESH_METHODS = {"password", "password_reset", "code"}


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Accounts come from invitations only: a district invites its staff and its vendors, a vendor its staff
        # (accounts.views.invitation_accept). A stranger has no organisation to join.
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # allauth asks for the password again before any MFA change. An admin whom the MFA middleware sends to set
        # up an authenticator seconds after signing in would be asked twice in a row; a fresh sign-in is enough
        # to add the *first* authenticator. Anything else (removing one, new recovery codes) still asks.
        if app == "allauth.mfa" and _signed_in_moments_ago_without_mfa(context.request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)


def _signed_in_moments_ago_without_mfa(request) -> bool:
    if request is None or not request.user.is_authenticated:
        return False
    records = [r for r in get_authentication_records(request, request.user) if r.get("method") in FRESH_METHODS]
    if not records or time.time() - records[-1]["at"] >= account_settings.REAUTHENTICATION_TIMEOUT:
        return False
    return not Authenticator.objects.filter(user=request.user).exists()
