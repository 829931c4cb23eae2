"""The form that creates an account: used by invitations (accounts.views) and by teachers' sign-up (apprequests),
which other apps may import, unlike accounts.forms."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordMixin

from dpa_portal.lengths import max_length


class NewAccountForm(SetPasswordMixin, forms.Form):
    """An account for an address the portal has already checked (an invitation's, or a teacher's sign-up link's):
    the person's name and a password that passes Django's validators."""

    # A name is printed in the audit trail of every DPA the person acts on; its limit is the user model's.
    first_name = forms.CharField(label="First name", max_length=max_length(get_user_model(), "first_name"))
    last_name = forms.CharField(label="Last name", max_length=max_length(get_user_model(), "last_name"))
    password1, password2 = SetPasswordMixin.create_password_fields()

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def clean(self):
        self.validate_passwords()
        cleaned = super().clean()
        # The validators compare the password with the person's name and address, so build the person first.
        user = get_user_model()(
            email=self.email, first_name=cleaned.get("first_name", ""), last_name=cleaned.get("last_name", "")
        )
        self.validate_password_for_user(user, password_field_name="password1")  # noqa: S106 (a field name)
        return cleaned
