"""The one door to django-allauth's internals (MFA, and the sign-in records that MFA set-up reads): everything else
imports from here, never from allauth's `internal` packages.

Checked against django-allauth 65.22.1. allauth's public MFA surface (the `Authenticator` model with its `wrap()`,
`allauth.mfa.adapter`, `allauth.mfa.utils` with `encrypt`/`decrypt`/`is_mfa_enabled`, `allauth.mfa.app_settings`)
stores and lists authenticators, but has nothing for what the portal does outside allauth's own pages:

- checking a code when a party signs, so that each signer confirms with their authenticator (DPA Article IV.2;
  `agreements.signing`), where allauth's own `AuthenticateForm` would also run its sign-in flow;
- giving the demo admins a known TOTP secret and recovery codes, and showing the current code (`agreements.demo`);
- the same for test personas, and computing the code an authenticator app shows (`tests/`).

- reading and writing the session's record of how the person signed in, so that an admin who signed in seconds ago
  sets up an authenticator without confirming the password again (`accounts.adapter`, `accounts.views`);
- keeping the secret that the set-up page showed until a code confirms it (`accounts.mfa_forms.ActivateTOTPForm`):
  allauth's form makes a new one each time the page is loaded (issue 14.9).

Those live in `allauth.mfa.totp.internal.auth`, `allauth.mfa.recovery_codes.internal.auth` and
`allauth.account.internal.flows.login`, which allauth may change in any release. After upgrading allauth, read those
modules against this file and run tests/test_signing.py, tests/test_demo.py, tests/test_accounts_mfa.py,
tests/test_accounts_views.py and tests/test_first_week_home.py.
"""

import time

from allauth.account.internal.flows.login import get_authentication_records, record_authentication
from allauth.core import context
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)

__all__ = [
    "code_valid",
    "format_hotp_value",
    "hotp_value",
    "recovery_codes_activate",
    "recovery_codes_unused",
    "sign_in_record",
    "sign_in_records",
    "totp_activate",
    "totp_code",
    "totp_secret_new",
    "totp_secret_pending",
    "totp_secret_pending_keep",
]


def totp_secret_new() -> str:
    """A new random TOTP secret (base32), as allauth makes when someone sets up an authenticator app."""
    return generate_totp_secret()


def totp_secret_pending() -> str | None:
    """The secret the set-up page showed in this session and no code has confirmed yet (None before the page).

    allauth keeps it in the session from showing the QR code to the code that confirms it, and clears it on
    activation (`allauth.mfa.totp.internal.flows.activate_totp`); only its form replaces it on every GET.
    """
    return context.request.session.get(SECRET_SESSION_KEY)


def totp_secret_pending_keep(secret: str) -> str:
    """Make `secret` again the one the set-up page shows and the code is checked against; returns it."""
    context.request.session[SECRET_SESSION_KEY] = secret
    return secret


def totp_activate(user, secret: str) -> Authenticator:
    """Give `user` an authenticator app with this secret (stored through the MFA adapter's `encrypt`)."""
    return TOTP.activate(user, secret).instance


def totp_code(secret: str, *, at: float | None = None) -> str:
    """The code an authenticator app with this secret shows at `at` (a Unix time; default now)."""
    counter = int(time.time() if at is None else at) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def recovery_codes_activate(user) -> Authenticator:
    """Give `user` a set of recovery codes, unless they have one already."""
    return RecoveryCodes.activate(user).instance


def recovery_codes_unused(user) -> list[str]:
    """The user's recovery codes not used yet ([] without recovery codes)."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).first()
    return RecoveryCodes(authenticator).get_unused_codes() if authenticator else []


def code_valid(authenticator: Authenticator, code: str) -> bool:
    """Whether `code` is valid for this TOTP or recovery-code authenticator, as allauth's sign-in checks it.

    A code is good once: a TOTP code is remembered as used for its whole validity window (in the cache), and a
    recovery code is marked used in the authenticator's row.
    """
    return authenticator.wrap().validate_code(code)


def sign_in_records(request) -> list[dict]:
    """How the signed-in person proved who they are in this session, oldest first: {"method", "at", ...} each."""
    return get_authentication_records(request, request.user)


def sign_in_record(request, user, *, method: str, **details) -> None:
    """Note in the session that `user` just proved who they are by `method` (e.g. "password")."""
    record_authentication(request, user, method=method, **details)
