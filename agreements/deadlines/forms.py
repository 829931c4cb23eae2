"""Forms of the deadline pages. They check shapes; services check the rules again."""

from django import forms
from django.utils import timezone

from dpa_portal.lengths import Textarea, text_form_field

from . import rules
from .models import (
    DEFAULT_DESTRUCTION_DAYS,
    DEFAULT_TERM_REMINDERS,
    MAX_REMINDER_DAYS,
    BreachReport,
    DestructionCertificate,
    DistrictClosure,
    Obligation,
    ParentRequest,
)
from .storage import LETTER_MAX_BYTES, letter_file_kind

DATE = {"type": "date"}


def _date(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs=DATE), **kwargs)


# What a breach report says, whether the vendor files it in the portal or the district records one it learned of
# otherwise (DPA II.12(b), 8 NYCRR 121.10(d)): one list, so that both forms ask the same questions.
BREACH_FACTS = [
    "incident_date",
    "discovery_date",
    "pii_kinds",
    "records_affected",
    "investigation",
    "contact_name",
    "contact_title",
    "contact_email",
    "contact_phone",
]
BREACH_WIDGETS = {
    "incident_date": forms.DateInput(attrs=DATE),
    "pii_kinds": Textarea(attrs={"rows": 2}),
    "investigation": Textarea(attrs={"rows": 4}),
}


class BreachReportForm(forms.ModelForm):
    """Every item of DPA Article II.12(a), and the districts to notify."""

    agreements = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Districts to notify",
        help_text="Each district whose data was affected. The notice goes to its breach contact (DPA II.12(b)) "
        "and its Data Protection Office.",
    )

    class Meta:
        model = BreachReport
        fields = ["agreements", *BREACH_FACTS]
        widgets = {**BREACH_WIDGETS, "discovery_date": forms.DateInput(attrs=DATE)}
        help_texts = {
            "pii_kinds": "For example: student names, ID numbers, grades, assessment results.",
            "investigation": "What happened, what you have done and are doing about it, what you know so far.",
            "contact_name": "The representative the district can reach about this breach.",
        }

    def __init__(self, *args, agreements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreements"].queryset = agreements
        self.fields["agreements"].label_from_instance = lambda a: (
            f"{a.agency}: {', '.join(p.name for p in a.products.all()) or f'agreement {a.pk}'} "
            f"({a.get_status_display().lower()})"
        )

    def clean(self):
        data = super().clean()
        incident, discovery = data.get("incident_date"), data.get("discovery_date")
        if incident and discovery and discovery < incident:
            self.add_error("discovery_date", "The breach cannot be discovered before it happened.")
        if discovery and discovery > timezone.localdate():
            self.add_error("discovery_date", "The date of discovery cannot be in the future.")
        return data


class BreachRecordForm(forms.ModelForm):
    """A breach the district learned of without a report in the portal (8 NYCRR 121.10(d))."""

    agreement = forms.ModelChoiceField(
        queryset=None, label="Vendor (agreement)", help_text="The agreement under which the vendor holds the data."
    )
    discovery_date = _date(
        "Date the breach was discovered (if known)",
        required=False,
        help_text="By whoever found it. Left empty: the date you learned of it.",
    )

    class Meta:
        model = BreachReport
        fields = ["source", "agreement", "learned_on", "told_by", "letter", *BREACH_FACTS]
        widgets = {
            **BREACH_WIDGETS,
            "source": forms.RadioSelect,
            "learned_on": forms.DateInput(attrs=DATE),
            "letter": forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
        }
        labels = {
            "learned_on": "Date the district learned of it",
            "incident_date": "Date of the incident (the best date known)",
            "investigation": "What happened, and what is known so far",
            "contact_name": "Vendor's contact (if known)",
        }
        help_texts = {
            "learned_on": "The day you discovered it, were told of it, or received the vendor's letter: your "
            "deadlines to report to NYSED and notify those affected count from it.",
            "told_by": "Only for a breach a third party told you of.",
            "letter": "Only for a vendor's notice received outside the portal: a PDF, PNG or JPEG of at most "
            f"{LETTER_MAX_BYTES // 1_048_576} MB. Only the district's admins and reviewers can open it.",
        }

    def __init__(self, *args, agreements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [c for c in BreachReport.Source.choices if c[0] != BreachReport.Source.PORTAL]
        self.fields["learned_on"].required = True
        self.fields["agreement"].queryset = agreements
        self.fields["agreement"].label_from_instance = lambda a: (
            f"{a.contractor} (agreement {a.pk}, {a.get_status_display().lower()})"
        )

    def clean_letter(self):
        upload = self.cleaned_data.get("letter")
        if not upload:
            return upload
        if upload.size > LETTER_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {LETTER_MAX_BYTES // 1_048_576} MB.")
        if letter_file_kind(upload) is None:
            raise forms.ValidationError("Attach the letter as a PDF, PNG or JPEG.")
        return upload

    def clean(self):
        data = super().clean()
        source, learned = data.get("source"), data.get("learned_on")
        incident, discovery = data.get("incident_date"), data.get("discovery_date") or learned
        if learned and learned > timezone.localdate():
            self.add_error("learned_on", "The date cannot be in the future.")
        if incident and discovery and discovery < incident:
            self.add_error("incident_date", "The breach cannot have happened after it was discovered.")
        if learned and data.get("discovery_date") and data["discovery_date"] > learned:
            self.add_error("discovery_date", "You cannot have learned of it before it was discovered.")
        if source == BreachReport.Source.THIRD_PARTY and not (data.get("told_by") or "").strip():
            self.add_error("told_by", "Say who told the district.")
        if source == BreachReport.Source.VENDOR_LETTER and not data.get("letter") and "letter" not in self.errors:
            self.add_error("letter", "Attach the vendor's letter.")
        return data


class DpaNoticeForm(forms.Form):
    """A vendor's notice under the DPA (DPA II.6(c), II.6(e), II.7, III.1): which, when, what it says."""

    kind = forms.ChoiceField(
        label="Notice",
        widget=forms.RadioSelect,
        choices=[(k, f"{rules.RULES[k].title} ({rules.RULES[k].source})") for k in rules.VENDOR_NOTICES],
    )
    happened_on = _date(
        "Date",
        help_text="The day the subcontractor's access was removed; the day the PII is or was to be disclosed under "
        "the order; the day the training was completed; or the day the parent or eligible student contacted you.",
    )
    details = text_form_field(
        Obligation, "delay_note", label="What the district should know", widget=Textarea(attrs={"rows": 3})
    )


class ReimbursementForm(forms.Form):
    """DPA II.14: the district asks for the cost of its notification after a breach attributable to the vendor."""

    breach_report = forms.ModelChoiceField(
        queryset=BreachReport.objects.none(),
        required=False,
        label="The breach",
        empty_label="Not one recorded in the portal",
    )
    due_on = _date("Reimburse by", help_text='The DPA says "promptly": name the date, e.g. your invoice\'s terms.')
    details = text_form_field(
        Obligation,
        "delay_note",
        label="The costs, and where to pay",
        widget=Textarea(attrs={"rows": 3}),
        help_text="For example: the mailing and call-centre costs of the notification, with the invoice number.",
    )

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["breach_report"].queryset = agreement.breach_reports.order_by("-filed_at")
        self.fields["breach_report"].label_from_instance = lambda r: (
            f"Discovered {r.discovery_date:%b} {r.discovery_date.day}, {r.discovery_date.year} "
            f"({r.get_source_display().lower()})"
        )

    def clean_due_on(self):
        day = self.cleaned_data["due_on"]
        if day <= timezone.localdate():
            raise forms.ValidationError("Name a date after today.")
        return day


class ParentRequestForm(forms.ModelForm):
    class Meta:
        model = ParentRequest
        fields = ["kind", "agreement", "requester", "received_on", "reference", "details"]
        widgets = {"received_on": forms.DateInput(attrs=DATE), "details": Textarea(attrs={"rows": 3})}
        labels = {"kind": "Kind of request", "agreement": "Vendor (agreement)"}
        help_texts = {
            "agreement": "Required for access and correction requests, which the vendor acts on.",
            "details": "What is asked, without more personal information than the vendor needs to act.",
        }

    def __init__(self, *args, agreements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements
        self.fields["agreement"].label_from_instance = lambda a: f"{a.contractor} (agreement {a.pk})"
        self.fields["agreement"].empty_label = "None (a complaint about the district)"

    def clean(self):
        data = super().clean()
        if data.get("kind") in ParentRequest.VENDOR_ACTS and not data.get("agreement"):
            self.add_error("agreement", "Choose the vendor: it must act on this request.")
        if data.get("received_on") and data["received_on"] > timezone.localdate():
            self.add_error("received_on", "The date received cannot be in the future.")
        return data


class OutcomeForm(forms.Form):
    # Meets a duty (Obligation.met_note, which has room for the portal's words too) or closes a request
    # (ParentRequest.outcome): the request's limit, the smaller.
    note = text_form_field(ParentRequest, "outcome", label="What was done", widget=Textarea(attrs={"rows": 3}))


class DelayForm(forms.Form):
    """8 NYCRR 121.10(e)."""

    reason = forms.ChoiceField(
        label="Why notice is delayed",
        choices=[
            (Obligation.Delay.LAW_ENFORCEMENT.value, Obligation.Delay.LAW_ENFORCEMENT.label),
            (Obligation.Delay.VULNERABILITY.value, Obligation.Delay.VULNERABILITY.label),
        ],
        widget=forms.RadioSelect,
    )
    note = text_form_field(Obligation, "delay_note", label="Explanation")
    remedied_on = _date("Remedied on (if known)", required=False)
    review_on = _date(
        "Next review of the delay",
        required=False,
        help_text=f"While the notice is delayed, this date is its due date: you are reminded of it and it is on the "
        f"calendar feed. Left empty: in {rules.RULES[rules.BREACH_PARENTS].review_days} days. Record the delay again "
        f"with a new date at each review.",
    )

    def clean_review_on(self):
        day = self.cleaned_data["review_on"]
        if day and day <= timezone.localdate():
            raise forms.ValidationError("The next review must be after today.")
        return day


class RemedyForm(forms.Form):
    remedied_on = _date("The vulnerability was remedied, or the risk to the investigation ended, on")

    def clean_remedied_on(self):
        day = self.cleaned_data["remedied_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        return day


class ExtendForm(forms.Form):
    """8 NYCRR 121.4(c)."""

    new_due_on = _date("Approximate date of the findings")
    explanation = text_form_field(Obligation, "delay_note", label="Written explanation")


class ClosureForm(forms.ModelForm):
    class Meta:
        model = DistrictClosure
        fields = ["date", "reason"]
        widgets = {"date": forms.DateInput(attrs=DATE)}
        help_texts = {"reason": "For example: Superintendent's Conference Day."}


class PolicyForm(forms.Form):
    term_reminder_days = forms.CharField(
        label="Reminders before a contract ends (days before, separated by commas)",
        initial=", ".join(map(str, DEFAULT_TERM_REMINDERS)),
    )
    destruction_days = forms.IntegerField(
        label="Days a vendor has to return or destroy the data after the term ends",
        min_value=1,
        max_value=365,
        initial=DEFAULT_DESTRUCTION_DAYS,
    )

    def clean_term_reminder_days(self):
        raw = self.cleaned_data["term_reminder_days"]
        try:
            days = sorted({int(part) for part in raw.replace(";", ",").split(",") if part.strip()}, reverse=True)
        except ValueError:
            raise forms.ValidationError("Whole numbers of days, separated by commas.") from None
        if not days or len(days) > 6 or any(d < 1 or d > MAX_REMINDER_DAYS for d in days):
            raise forms.ValidationError(f"One to six numbers between 1 and {MAX_REMINDER_DAYS}.")
        return days


class DestructionCertificateForm(forms.ModelForm):
    certify = forms.BooleanField(
        label="I certify in writing, for the vendor, that the data described above has been securely deleted and "
        "destroyed as stated (DPA Article II.9(c)).",
    )

    class Meta:
        model = DestructionCertificate
        fields = [
            "signer_name",
            "signer_title",
            "data_description",
            "returned_first",
            "return_details",
            "method",
            "method_details",
            "destroyed_on",
            "subcontractors_included",
            "subcontractor_details",
        ]
        widgets = {
            "destroyed_on": forms.DateInput(attrs=DATE),
            "data_description": Textarea(attrs={"rows": 3}),
            "return_details": Textarea(attrs={"rows": 2}),
            "method_details": Textarea(attrs={"rows": 2}),
            "subcontractor_details": Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subcontractors_included"].required = True

    def clean(self):
        data = super().clean()
        if data.get("destroyed_on") and data["destroyed_on"] > timezone.localdate():
            self.add_error("destroyed_on", "The date of destruction cannot be in the future.")
        if data.get("returned_first") and not (data.get("return_details") or "").strip():
            self.add_error("return_details", "Say how and when the data was returned or transferred.")
        if data.get("method") == DestructionCertificate.Method.OTHER and not (data.get("method_details") or "").strip():
            self.add_error("method_details", "Describe the method.")
        return data


class DecisionForm(forms.Form):
    note = text_form_field(
        DestructionCertificate, "review_note", label="Note to the vendor (required when returning it)", required=False
    )
