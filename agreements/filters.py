"""The search and filters of an agreement list, shared by the district's and the vendor's dashboards: the query
string in, keyword arguments for `selectors.agreement_list` out. Part of the agreements app's public surface, beside
its selectors."""

from django import forms

from .models import Agreement


class AgreementFilterForm(forms.Form):
    """The search and filters of a dashboard; an unreadable value is reported and ignored, never a 500."""

    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Agreement.Status.choices])
    # A menu's choice: the name it suggested (or typed in full), or a slug from a link made before the menus were
    # searched as you type (issue 13). Names are CharFields of 200 (vendors.models, agreements.models.parties).
    vendor = forms.CharField(required=False, max_length=200)
    district = forms.CharField(required=False, max_length=200)
    product = forms.CharField(required=False, max_length=200)
    term_end_after = forms.DateField(
        required=False, label="Term ends on or after", widget=forms.DateInput(attrs={"type": "date"})
    )
    term_end_before = forms.DateField(
        required=False, label="Term ends on or before", widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> dict:
        self.is_valid()
        return {name: self.cleaned_data.get(name) or None for name in self.fields if name not in self.errors}


def typed(query, field: str) -> str:
    """What the person has typed so far in a menu's field (htmx sends the field under its own name; `q` also works),
    for its suggestions; cut at a name's length."""
    return (query.get(field) or query.get("q") or "")[:200]
