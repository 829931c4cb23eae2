"""Forms of the district's pages."""

from django import forms

from dpa_portal.lengths import Textarea, max_length, text_form_field
from exhibits.models import Framework, SupplementalInformation
from vendors.forms import SimilarVendorsMixin
from vendors.models import Contractor, Product

from .models import Agreement, EducationalAgency, OutsideSigning, StatusChange, Termination


def _term_clean(form, data: dict) -> None:
    """The contract term of both forms that set it: it ends on a date, or runs until terminated with the date of the
    district's next review in its place (issue 11.1), never both."""
    start, end = data.get("contract_start"), data.get("contract_end")
    if data.get("runs_until_terminated"):
        data["contract_end"] = None
        if not data.get("review_on"):
            form.add_error("review_on", "Give the date you will next review the agreement.")
    else:
        data["review_on"] = None
        if start and end and end < start:
            form.add_error("contract_end", "The contract cannot end before it starts.")


class TermFields(forms.Form):
    """The contract term as a district gives it (Exhibit B; issue 11.1): the new agreement's form and the form that
    completes an agreement signed outside the portal both ask it so."""

    service_agreement_date = forms.DateField(
        required=False, label="Service Agreement dated", widget=forms.DateInput(attrs={"type": "date"})
    )
    contract_start = forms.DateField(
        required=False, label="Contract start date", widget=forms.DateInput(attrs={"type": "date"})
    )
    contract_end = forms.DateField(
        required=False, label="Contract end date", widget=forms.DateInput(attrs={"type": "date"})
    )
    runs_until_terminated = forms.BooleanField(
        required=False,
        label="Runs until terminated",
        help_text="The Service Agreement has no end date: give the date you will next review it instead.",
    )
    review_on = forms.DateField(
        required=False, label="Next review date", widget=forms.DateInput(attrs={"type": "date"})
    )


class AgreementCreateForm(SimilarVendorsMixin, TermFields):
    """A new agreement: an existing vendor or a new one, a product, the framework version and the contract term. A
    new vendor's name close to a vendor's on the portal asks which it is (vendors.forms, issue 14.4)."""

    similar_name_field = "new_vendor_name"

    field_order = ["contractor", "new_vendor_name", "product_name", "framework"]  # then the term

    contractor = forms.ModelChoiceField(
        queryset=Contractor.objects.order_by("legal_name"),
        required=False,
        label="Vendor",
        empty_label="A new vendor (type its name below)",
    )
    new_vendor_name = forms.CharField(
        max_length=max_length(Contractor, "legal_name"), required=False, label="New vendor's legal name"
    )
    product_name = forms.CharField(max_length=max_length(Product, "name"), label="Product or service")
    framework = forms.ModelChoiceField(
        queryset=Framework.objects.order_by("version"),
        label="NIST Cybersecurity Framework version for Exhibit C.1",
        empty_label=None,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].label_from_instance = lambda f: f.name
        # The model DPA names CSF 1.1; a district moving to 2.0 picks it here.
        first = self.fields["framework"].queryset.first()
        self.fields["framework"].initial = first.pk if first else None
        self.similar_vendors_ask()

    # What agreements.services.agreement_start takes from the form (its cleaned data also holds the similar-vendor
    # question's answer, which clean() has resolved into contractor or new_vendor_name).
    STARTS_WITH = (
        "contractor",
        "new_vendor_name",
        "product_name",
        "framework",
        "service_agreement_date",
        "contract_start",
        "contract_end",
        "runs_until_terminated",
        "review_on",
    )

    def agreement_fields(self) -> dict:
        """agreement_start's arguments from the cleaned form: the new-agreement page and the app-request queue's."""
        return {name: self.cleaned_data[name] for name in self.STARTS_WITH}

    def clean(self):
        data = self.similar_vendors_resolve(super().clean())
        if not data.get("contractor") and not (data.get("new_vendor_name") or "").strip():
            self.add_error("new_vendor_name", "Choose a vendor or type the new vendor's legal name.")
        _term_clean(self, data)
        return data


class AgreementTermForm(forms.ModelForm):
    """The district's own fields of an agreement: the Service Agreement's date and the contract term, which ends on
    a date or runs until terminated with a date for the district's next review (issue 11.1)."""

    class Meta:
        model = Agreement
        fields = ["service_agreement_date", "contract_start", "contract_end", "runs_until_terminated", "review_on"]
        dates = ["service_agreement_date", "contract_start", "contract_end", "review_on"]
        widgets = {f: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d") for f in dates}
        help_texts = {
            "runs_until_terminated": "The Service Agreement has no end date: give the date you will next review it "
            "instead. The review date is reminded like an end date, and never ends the agreement.",
        }

    def clean(self):
        data = super().clean()
        _term_clean(self, data)
        return data


class TermChangeForm(forms.Form):
    """A district admin changes the end date of an executed agreement, saying why (issue 11.4)."""

    contract_end = forms.DateField(label="New contract end date", widget=forms.DateInput(attrs={"type": "date"}))
    reason = text_form_field(StatusChange, "note", label="Why the term changes", widget=Textarea(attrs={"rows": 2}))


class TermReviewForm(forms.Form):
    """A district admin records the review of an agreement that runs until terminated (issue 11.1)."""

    next_review_on = forms.DateField(label="Next review date", widget=forms.DateInput(attrs={"type": "date"}))
    note = text_form_field(StatusChange, "note", label="What the review found (optional)", required=False)


class SendToVendorForm(forms.Form):
    contact_email = forms.EmailField(
        required=False,
        label="Vendor contact's e-mail",
        help_text="The vendor has nobody here yet: we invite this person to create the vendor's account.",
    )
    # The note goes into the step's record (StatusChange.note), and is held to its limits (issue 10).
    note = text_form_field(StatusChange, "note", required=False, label="Note to the vendor")


class DecisionForm(forms.Form):
    """The note of a decision: approving, sending back, withdrawing."""

    note = text_form_field(
        StatusChange, "note", required=False, widget=Textarea(attrs={"rows": 3}), label="Note to the vendor"
    )


class DistrictContactsForm(forms.ModelForm):
    """The contacts the DPA prints: breach notices (II.12) and complaints (Exhibit A)."""

    class Meta:
        model = EducationalAgency
        fields = [
            "breach_notice_name",
            "breach_notice_title",
            "breach_notice_street_address",
            "breach_notice_city",
            "breach_notice_state",
            "breach_notice_postal_code",
            "breach_notice_email",
            "data_protection_office_name",
            "data_protection_office_email",
            "complaint_contact_name",
            "complaint_email",
            "complaint_mail_address",
            "complaint_phone",
            "complaint_url",
        ]
        widgets = {"complaint_mail_address": Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["complaint_url"].assume_scheme = "https"
        # Exhibit A item 6(i) must name where complaints go (issue 11.8): one of these two, or both.
        needed = "Required: this or the complaints postal address, or both. Item 6 of the Bill of Rights prints it."
        self.fields["complaint_email"].help_text = needed
        self.fields[
            "complaint_mail_address"
        ].help_text = "Required: this or the complaints e-mail, or both. Item 6 of the Bill of Rights prints it."

    def clean(self):
        data = super().clean()
        named = (data.get("complaint_email") or "").strip() or (data.get("complaint_mail_address") or "").strip()
        if not named and "complaint_email" not in self.errors:
            self.add_error(
                "complaint_email",
                "Give a complaints e-mail address or postal address (or both): item 6 of the Parents' Bill of "
                "Rights tells parents where to send complaints.",
            )
        return data


class DistrictPostingForm(forms.Form):
    """What the district posts besides what 121.3 asks for: Exhibit C, in the public copy of each agreement."""

    post_exhibit_c = forms.BooleanField(
        required=False,
        label="Post Exhibit C publicly",
        help_text="Include each vendor's data privacy and security plan (Exhibit C) and NIST CSF table (Exhibit C.1) "
        "in the public copy of the agreement. The law does not require it, and the plan may describe how the "
        "vendor's systems are protected. Off: the public copy has the agreement, the Bill of Rights and Exhibit B.",
    )


class TerminationForm(forms.ModelForm):
    """A district admin ends an executed agreement early (issue 11, point 2): from when, on what basis, why."""

    class Meta:
        model = Termination
        fields = ["effective_on", "basis", "reason"]
        labels = {"effective_on": "Effective on", "basis": "Basis", "reason": "Reason"}
        help_texts = {
            "effective_on": "The day the agreement ends: today or earlier. The return-or-destroy duty counts from it.",
            "reason": "Sent to the vendor and kept on the agreement's timeline.",
        }
        widgets = {
            "effective_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "basis": forms.RadioSelect,
            "reason": Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["basis"].choices = Termination.Basis.choices  # one of the two, never a blank "---------"


class OutsideCompleteForm(TermFields):
    """A district admin completes an agreement signed outside the portal (issue 12): only what it still lacks is
    offered (agreements.outside.outside_agreement_complete never overwrites what was given), and the values read from
    the PDF are confirmed with a tick."""

    purposes = text_form_field(SupplementalInformation, "purposes", required=False, label="1. Purposes")
    subcontractors = forms.CharField(
        required=False,
        label="2. Subcontractors",
        widget=Textarea(attrs={"rows": 2}),
        help_text='One name a line; write "none" if the vendor uses none.',
    )
    subcontractor_terms = text_form_field(
        OutsideSigning, "subcontractor_terms", required=False, label="2. How subcontractors are bound"
    )
    data_transition = text_form_field(
        SupplementalInformation,
        "data_transition_details",
        required=False,
        label="3. What happens to the data when the agreement ends",
    )
    accuracy_challenges = text_form_field(
        OutsideSigning, "accuracy_challenges", required=False, label="4. Challenges to data accuracy"
    )
    storage_and_security = text_form_field(
        SupplementalInformation,
        "security_measures",
        required=False,
        label="5. Where the data is stored and how it is protected",
    )
    encryption = text_form_field(SupplementalInformation, "encryption_details", required=False, label="6. Encryption")
    student_pii = forms.BooleanField(required=False, label="Student PII")
    appr_data = forms.BooleanField(required=False, label="APPR data")
    vendor_contact_name = forms.CharField(required=False, max_length=200, label="Vendor contact's name")
    vendor_contact_email = forms.EmailField(required=False, label="Vendor contact's e-mail")
    pdf = forms.FileField(
        required=False, label="The signed PDF", help_text="The agreement as signed, a PDF of at most 20 MB."
    )
    confirm = forms.BooleanField(
        required=False,
        label="The values marked \u201cread from the PDF\u201d are right",
        help_text="Check each against the signed PDF first.",
    )

    # Which fields a given agreement still lacks (the rest are left out of the form).
    TERM = ("service_agreement_date", "contract_start", "contract_end", "runs_until_terminated", "review_on")

    def __init__(self, *args, agreement, outside, info, **kwargs):
        super().__init__(*args, **kwargs)
        given = {
            "service_agreement_date": bool(agreement.service_agreement_date),
            "contract_start": bool(agreement.contract_start),
            "contract_end": bool(agreement.contract_end or agreement.runs_until_terminated),
            "runs_until_terminated": bool(agreement.contract_end or agreement.runs_until_terminated),
            "review_on": bool(agreement.contract_end or agreement.runs_until_terminated),
            "purposes": bool(info.purposes.strip()),
            "subcontractors": bool(info.subcontractor_use),
            "subcontractor_terms": bool(outside.subcontractor_terms.strip()),
            "data_transition": bool(info.data_transition_details.strip()),
            "accuracy_challenges": bool(outside.accuracy_challenges.strip() or outside.accuracy_model_wording),
            "storage_and_security": bool(info.security_measures.strip()),
            "encryption": bool(info.encryption_details.strip()),
            "student_pii": info.receives_student_pii or info.receives_appr_data,
            "appr_data": info.receives_student_pii or info.receives_appr_data,
            "vendor_contact_name": bool(outside.vendor_contact_name),
            "vendor_contact_email": bool(outside.vendor_contact_email),
            "confirm": not outside.read_from_pdf,
            "pdf": outside.document_id is not None,
        }
        for name, done in given.items():
            if done:
                del self.fields[name]
        for field in self.fields.values():
            checkbox = isinstance(field.widget, forms.CheckboxInput)
            if isinstance(field.widget, forms.FileInput):
                field.widget.attrs.setdefault("accept", "application/pdf,.pdf")
            field.widget.attrs.setdefault("class", "form-check-input" if checkbox else "form-control")

    def clean_pdf(self):
        from .outside import MAX_PDF_BYTES

        upload = self.cleaned_data.get("pdf")
        if upload is None:
            return None
        if upload.size > MAX_PDF_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB.")
        return upload

    def clean_subcontractors(self):
        text = self.cleaned_data.get("subcontractors", "").strip()
        if not text:
            return None
        names = [line.strip() for line in text.splitlines() if line.strip()]
        if [n.lower() for n in names] == ["none"]:
            return []
        if any(len(n) > 200 for n in names):
            raise forms.ValidationError("A subcontractor's name is at most 200 characters.")
        return names

    def clean(self):
        data = super().clean()
        if "contract_end" in self.fields:
            _term_clean(self, data)
        return data

    def terms(self, contractor):
        """What was given, as agreements.outside.OutsideTerms (absent fields are empty)."""
        from .outside import OutsideTerms

        data = self.cleaned_data
        return OutsideTerms(
            contractor=contractor,
            products=[],
            service_agreement_date=data.get("service_agreement_date"),
            contract_start=data.get("contract_start"),
            contract_end=data.get("contract_end"),
            runs_until_terminated=bool(data.get("runs_until_terminated")),
            review_on=data.get("review_on"),
            purposes=data.get("purposes", ""),
            subcontractors=data.get("subcontractors"),
            subcontractor_terms=data.get("subcontractor_terms", ""),
            data_transition=data.get("data_transition", ""),
            accuracy_challenges=data.get("accuracy_challenges", ""),
            storage_and_security=data.get("storage_and_security", ""),
            encryption=data.get("encryption", ""),
            student_pii=data.get("student_pii") or None,
            appr_data=data.get("appr_data") or None,
            vendor_contact_name=data.get("vendor_contact_name", ""),
            vendor_contact_email=data.get("vendor_contact_email", ""),
        )
