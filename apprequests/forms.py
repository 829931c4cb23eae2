from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordMixin

from dpa_portal.lengths import Textarea, max_length

from .models import AppRequest


class SignUpEmailForm(forms.Form):
    email = forms.EmailField(
        label="Your school e-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="The address your district gave you: the link to finish signing up goes there.",
    )


class SignUpPasswordForm(SetPasswordMixin, forms.Form):
    """The requester's account: the address is the one the link went to; the password passes Django's validators."""

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
        user = get_user_model()(
            email=self.email, first_name=cleaned.get("first_name", ""), last_name=cleaned.get("last_name", "")
        )
        self.validate_password_for_user(user, password_field_name="password1")  # noqa: S106 (a field name)
        return cleaned


class AppRequestForm(forms.ModelForm):
    class Meta:
        model = AppRequest
        fields = [
            "app_name", "website", "vendor_name", "purpose", "grades", "student_count", "students_sign_in", "data_seen",
        ]  # fmt: skip
        widgets = {"purpose": Textarea(attrs={"rows": 3}), "data_seen": Textarea(attrs={"rows": 3})}
        help_texts = {
            "website": "The app's address, for example https://www.example.com",
            "data_seen": "For example: names, class rosters, grades, student work, voice or video.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["website"].assume_scheme = "https"


class StaffDomainForm(forms.Form):
    domain = forms.CharField(label="E-mail domain", max_length=253, help_text="For example: hometowncsd.org")
