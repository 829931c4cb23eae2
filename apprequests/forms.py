from django import forms

from dpa_portal.lengths import Textarea

from .models import AppRequest


class SignUpEmailForm(forms.Form):
    email = forms.EmailField(
        label="Your school e-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="The address your district gave you: the link to finish signing up goes there.",
    )


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
