"""allauth's MFA forms as the portal uses them (settings.MFA_FORMS), apart from the accounts pages' own forms."""

from allauth.mfa.totp.forms import ActivateTOTPForm as AllauthActivateTOTPForm

from . import mfa


class ActivateTOTPForm(AllauthActivateTOTPForm):
    """allauth's two-factor set-up form (MFA_FORMS["activate_totp"]), keeping the secret it showed first until a code
    confirms it. allauth's makes a new secret each time the page loads, so an authenticator app that scanned the QR
    code before a reload (or a second tab, or the back button) gave codes the form refused (issue 14.9)."""

    def __init__(self, *args, **kwargs):
        shown = mfa.totp_secret_pending()  # before allauth's form replaces it
        super().__init__(*args, **kwargs)
        if shown and shown != self.secret:
            self.secret = mfa.totp_secret_pending_keep(shown)
