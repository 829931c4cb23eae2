"""Reactions to allauth's events."""

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver


@receiver(authenticator_added)
def totp_activation_counts_as_authentication(sender, request, user, authenticator, **kwargs):
    # A valid code from the new app proves the person holds it, as allauth's "confirm access" step would; so the
    # recovery codes that allauth shows right after activation do not ask for the password again.
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(
            request, user, method="mfa", id=authenticator.pk, type=authenticator.type, reauthenticated=True
        )
