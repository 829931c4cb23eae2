"""The search and filters of an agreement list, shared by the district's and the vendor's dashboards: the query
string in, keyword arguments for `selectors.agreement_list` out. Part of the agreements app's public surface, beside
its selectors."""

from django import forms

from .models import Agreement


class AgreementFilterForm(forms.Form):
    """The search and filters of a dashboard; an unreadable value is reported and ignored, never a 500."""

    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Agreement.Status.choices])
    vendor = forms.SlugField(required=False)
    district = forms.SlugField(required=False)
    product = forms.SlugField(required=False)
    term_end_after = forms.DateField(
        required=False, label="Term ends on or after", widget=forms.DateInput(attrs={"type": "date"})
    )
    term_end_before = forms.DateField(
        required=False, label="Term ends on or before", widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> dict:
        self.is_valid()
        return {name: self.cleaned_data.get(name) or None for name in self.fields if name not in self.errors}
