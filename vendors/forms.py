"""One vendor per company (issue 14.4): the question that every form naming a new vendor asks when the portal already
has vendors with a close name or the same domain ("CodeHS, Inc." when "CodeHS" is there): use one of them, or confirm
that the new one is another company. The district's new agreement (agreements.forms.AgreementCreateForm), its vendor
invitation (accounts.forms.VendorInviteForm) and the operator's admin (vendors.admin) ask it."""

from django import forms

from .selectors import contractors_similar

SIMILAR = "similar_vendor"
ANOTHER = "another"


class SimilarVendorsMixin:
    """A form with a new vendor's name, and optionally a vendor chosen from the portal and an e-mail address.

    Bound with a new name close to existing vendors, the form gets a required choice among them (and "another
    company"); the vendor chosen replaces the new name in `cleaned_data`. Call `similar_vendors_ask()` at the end of
    `__init__` and `similar_vendors_resolve(cleaned_data)` in `clean()`.
    """

    similar_name_field = "legal_name"
    similar_contractor_field = "contractor"  # None: the form has no choice of an existing vendor
    similar_email_field = None
    similar_website_field = None
    similar_exclude = ()  # contractor ids not to propose (the one being edited)

    def similar_vendors_ask(self) -> None:
        self.similar = []
        self.fields.pop(SIMILAR, None)
        if not self.is_bound:
            return
        if self.similar_contractor_field and self.data.get(self.add_prefix(self.similar_contractor_field)):
            return  # a vendor of the portal was chosen: nothing new is created
        name = (self.data.get(self.add_prefix(self.similar_name_field)) or "").strip()
        if not name or len(name) > 200:
            return  # nothing to compare, or refused by the name's own field
        address = {
            "email": self.data.get(self.add_prefix(self.similar_email_field)) if self.similar_email_field else "",
            "website": self.data.get(self.add_prefix(self.similar_website_field)) if self.similar_website_field else "",
        }
        self.similar = contractors_similar(
            name, exclude=self.similar_exclude, **{k: v or "" for k, v in address.items()}
        )
        if not self.similar:
            return
        choices = [(str(s.contractor.pk), _choice_label(s)) for s in self.similar]
        choices.append((ANOTHER, f"None of these: \u201c{name}\u201d is another company, add it to the portal"))
        self.fields[SIMILAR] = forms.ChoiceField(
            label=f"Is \u201c{name}\u201d a vendor already on the portal?",
            help_text="One company, one vendor: its agreements, products and people stay together. "
            "Add a new vendor only for another company.",
            choices=choices,
            widget=forms.RadioSelect,
            error_messages={
                "required": "Vendors with a close name or the same domain are already on the portal: choose one, or "
                "say that this is another company.",
                "invalid_choice": "The vendors with a close name changed: choose again.",
            },
        )
        # Right after the name it is about.
        order = [n for n in self.fields if n != SIMILAR]
        order.insert(order.index(self.similar_name_field) + 1, SIMILAR)
        self.order_fields(order)

    def _similar_value(self, name) -> str:
        return (self.data.get(self.add_prefix(name)) or "") if name else ""

    def similar_vendors_resolve(self, cleaned: dict) -> dict:
        choice = cleaned.get(SIMILAR)
        chosen = next((s.contractor for s in self.similar if str(s.contractor.pk) == choice), None)
        if chosen is not None and self.similar_contractor_field:
            cleaned[self.similar_contractor_field] = chosen
            cleaned[self.similar_name_field] = ""
        return cleaned


def _choice_label(similar) -> str:
    contractor = similar.contractor
    where = f", {contractor.website}" if contractor.website else ""
    return f"{contractor.legal_name} ({similar.reason}{where})"


class ContractorAdminForm(SimilarVendorsMixin, forms.ModelForm):
    """The operator's form of a contractor (Django admin): a new name close to another vendor's asks too."""

    similar_contractor_field = None
    similar_website_field = "website"
    # Declared so that the admin lays it out; a hidden, empty field when there is nothing to ask.
    similar_vendor = forms.CharField(required=False, widget=forms.HiddenInput, label="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.similar = []
        self.similar_exclude = [self.instance.pk] if self.instance.pk else []
        renamed = self.data.get(self.add_prefix("legal_name"), "").strip() != (self.instance.legal_name or "")
        if self.instance.pk is None or renamed:
            self.similar_vendors_ask()
        if SIMILAR not in self.fields:
            self.fields[SIMILAR] = forms.CharField(required=False, widget=forms.HiddenInput, label="")

    def clean(self):
        cleaned = super().clean()
        chosen = next(
            (s.contractor for s in getattr(self, "similar", []) if str(s.contractor.pk) == cleaned.get(SIMILAR)), None
        )
        if chosen is not None:
            self.add_error(
                SIMILAR,
                f"{chosen.legal_name} is already on the portal: open it instead, or choose \u201cNone of these\u201d "
                "if this is another company.",
            )
        return cleaned


class ContractorMergeForm(forms.Form):
    """Which of two contractors stays (the admin's merge action)."""

    keep = forms.ChoiceField(label="Keep", widget=forms.RadioSelect)

    def __init__(self, *args, contractors, **kwargs):
        super().__init__(*args, **kwargs)
        self.contractors = {str(c.pk): c for c in contractors}
        self.fields["keep"].choices = [(pk, c.legal_name) for pk, c in self.contractors.items()]

    def kept_and_merged(self):
        kept = self.contractors[self.cleaned_data["keep"]]
        merged = next(c for pk, c in self.contractors.items() if pk != self.cleaned_data["keep"])
        return kept, merged
