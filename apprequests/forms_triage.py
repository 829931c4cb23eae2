"""The triage's forms (issue 16.3): a question to a teacher, and a decline with its reason and an alternative. Starting
an agreement uses the new-agreement page's own form (agreements.forms.AgreementCreateForm), with its question when
a new vendor's name is close to one on the portal."""

from django import forms

from dpa_portal.lengths import text_form_field

from .models import AppRequest
from .selectors import approved_products


class AskForm(forms.Form):
    question = text_form_field(AppRequest, "question", label="What do you need to know?")


class DeclineForm(forms.Form):
    reason = text_form_field(AppRequest, "reason", label="Reason", help_text="The teachers who asked read it.")
    reason_shown = forms.BooleanField(
        required=False, label="Show the reason on the district's public list of apps", initial=False
    )
    alternative = forms.ModelChoiceField(
        queryset=AppRequest.objects.none(),
        required=False,
        label="An approved app to use instead (optional)",
        empty_label="None",
    )

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["alternative"].queryset = approved_products(agency)
