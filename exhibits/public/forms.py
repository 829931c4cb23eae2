"""The search box and filters of the public pages, and the district admin's redaction form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.models import statuses
from dpa_portal.lengths import Textarea, text_form_field
from exhibits.models import Redaction

from .labels import FIELD_LABELS, PII_LABELS, STATUS_LABELS

SELECT = {"class": "form-select"}


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Vendor, product or district"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "class": "form-control", "autocomplete": "off"}),
    )


class AgreementFilterForm(forms.Form):
    """Search and filters of a district's list. Choices come from the agreements the district has posted."""

    q = forms.CharField(
        label=_("Search"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "class": "form-control"}),
    )
    vendor = forms.ChoiceField(label=_("Vendor"), required=False, widget=forms.Select(attrs=SELECT))
    product = forms.ChoiceField(label=_("Product"), required=False, widget=forms.Select(attrs=SELECT))
    pii = forms.ChoiceField(label=_("Kind of data"), required=False, widget=forms.Select(attrs=SELECT))
    status = forms.ChoiceField(label=_("Status"), required=False, widget=forms.Select(attrs=SELECT))

    def __init__(self, data, *, records):
        super().__init__(data)
        vendors = sorted({(r.vendor_slug, r.vendor) for r in records}, key=lambda v: v[1].casefold())
        products = sorted({p for r in records for p in r.products}, key=str.casefold)
        self.fields["vendor"].choices = [("", _("Any vendor")), *vendors]
        self.fields["product"].choices = [("", _("Any product")), *((p, p) for p in products)]
        self.fields["pii"].choices = [("", _("Any kind of data")), *PII_LABELS.items()]
        self.fields["status"].choices = [("", _("Any status")), *((s, STATUS_LABELS[s]) for s in statuses.POSTED)]

    @property
    def active(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.fields)

    def apply(self, records):
        """The records that match; a value that is not a choice (an old link, a typo) is ignored."""
        self.is_valid()
        data = self.cleaned_data
        words = (data.get("q") or "").casefold().split()
        return [
            r
            for r in records
            if all(word in r.searchable_text() for word in words)
            and (not data.get("vendor") or r.vendor_slug == data["vendor"])
            and (not data.get("product") or data["product"] in r.products)
            and (not data.get("pii") or data["pii"] in r.pii_types)
            and (not data.get("status") or r.status == data["status"])
        ]


class RedactionForm(forms.Form):
    field = forms.ChoiceField(label=_("Part of Exhibit B to withhold"), widget=forms.Select(attrs=SELECT))
    reason = text_form_field(
        Redaction,
        "reason",
        label=_("Reason (shown on the public page)"),
        widget=Textarea(attrs={"rows": 2, "class": "form-control"}),
    )

    def __init__(self, *args, withheld=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [(f, label) for f, label in FIELD_LABELS.items() if f not in withheld]
