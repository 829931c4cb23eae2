"""Forms of the accounts pages. They validate input; the rules live in accounts.services."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms

from dpa_portal.lengths import max_length
from vendors.forms import SimilarVendorsMixin
from vendors.models import Contractor


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form with the portal's wording."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "E-mail address"
        self.fields["login"].widget.attrs.pop("placeholder", None)  # the label says it; a placeholder repeats it


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles.choices


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles.choices


class VendorInviteForm(SimilarVendorsMixin, forms.Form):
    """A new vendor's name close to a vendor's on the portal, or an address at its domain, asks which it is
    (vendors.forms, issue 14.4)."""

    similar_email_field = "email"

    email = forms.EmailField(
        label="Vendor contact's e-mail address",
        help_text="Usually the vendor's compliance lead: they will fill in the exhibits and sign.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    contractor = forms.ModelChoiceField(
        label="Vendor already on the portal",
        queryset=Contractor.objects.order_by("legal_name"),
        required=False,
        empty_label="None: a new vendor (type its legal name below)",
    )
    legal_name = forms.CharField(
        label="Or the legal name of a new vendor",
        max_length=max_length(Contractor, "legal_name"),
        required=False,
        help_text="As it will appear in the agreement, e.g. “Learning Tools, Inc.”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.similar_vendors_ask()

    def clean(self):
        cleaned = self.similar_vendors_resolve(super().clean())
        legal_name = (cleaned.get("legal_name") or "").strip()
        if cleaned.get("contractor") and legal_name:
            raise forms.ValidationError("Choose a vendor from the list or type a new vendor's name, not both.")
        if not cleaned.get("contractor") and not legal_name and not self.has_error("contractor"):
            raise forms.ValidationError("Choose a vendor from the list or type the legal name of a new vendor.")
        cleaned["legal_name"] = legal_name
        return cleaned
