"""Forms for the exhibits. Saving a draft never requires completeness: that is checked when the vendor submits.

Each text field's length limit comes from its model (max_length; issue 10), and its textarea counts line breaks as the
browser does (dpa_portal/lengths.Textarea)."""

from django import forms

from dpa_portal.lengths import Textarea, text_form_field
from vendors.models import Subcontractor

from .answers import EXHIBIT_B_FIELDS, EXHIBIT_C_FIELDS
from .models import (
    SECURITY_PLAN_QUESTIONS,
    CsfResponse,
    ReviewComment,
    Section,
    SecurityPlan,
    SupplementalInformation,
    security_plan_question,
)

TEXTAREA = {"rows": 4, "class": "form-control"}


class SupplementalInformationForm(forms.ModelForm):
    class Meta:
        model = SupplementalInformation
        fields = EXHIBIT_B_FIELDS
        widgets = {
            "purposes": Textarea(attrs=TEXTAREA),
            "subcontractor_use": forms.RadioSelect,
            "data_transition_details": Textarea(attrs=TEXTAREA),
            "storage_other_description": Textarea(attrs={**TEXTAREA, "rows": 2}),
            "security_measures": Textarea(attrs=TEXTAREA),
            "encryption_details": Textarea(attrs={**TEXTAREA, "rows": 2}),
        }
        labels = {
            "purposes": "Description of the purpose(s) for which Contractor will receive/access PII",
            "data_transition_details": "Anything to add about data transition and secure destruction (optional)",
            "security_measures": "Describe how data security and privacy risks will be mitigated in a manner that "
            "does not compromise the security of the data",
            "encryption_details": "How data is encrypted in motion and at rest (optional detail)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A draft may leave the choice open; submission requires it.
        self.fields["subcontractor_use"].required = False
        self.fields["subcontractor_use"].choices = list(SupplementalInformation.SubcontractorUse.choices)

    def clean(self):
        data = super().clean()
        if data.get("storage_other") and not (data.get("storage_other_description") or "").strip():
            self.add_error("storage_other_description", "Describe the other storage option.")
        return data


class SecurityPlanForm(forms.ModelForm):
    class Meta:
        model = SecurityPlan
        fields = EXHIBIT_C_FIELDS
        widgets = {field: Textarea(attrs=TEXTAREA) for field in EXHIBIT_C_FIELDS}
        labels = {field: f"{n}. {question}" for n, (field, question) in enumerate(SECURITY_PLAN_QUESTIONS, 1)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        version = self.instance.agreement.framework.version
        self.fields["framework_alignment"].label = f"9. {security_plan_question('framework_alignment', version)}"


class CsfResponseForm(forms.ModelForm):
    class Meta:
        model = CsfResponse
        fields = ["narrative", "tier"]
        widgets = {"narrative": Textarea(attrs={"rows": 3, "class": "form-control"})}
        labels = {"narrative": "Response", "tier": "Implementation tier (optional)"}


CsfResponseFormSet = forms.modelformset_factory(CsfResponse, form=CsfResponseForm, extra=0, can_delete=False)


class SubcontractorChoiceForm(forms.Form):
    """Which of the vendor's subcontractors this agreement uses."""

    subcontractors = forms.ModelMultipleChoiceField(
        queryset=Subcontractor.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, contractor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subcontractors"].queryset = Subcontractor.objects.filter(contractor=contractor)
        self.fields["subcontractors"].label_from_instance = lambda s: s.name


class SubcontractorForm(forms.ModelForm):
    class Meta:
        model = Subcontractor
        fields = ["name", "purpose", "receives_pii", "written_agreement"]
        widgets = {"purpose": Textarea(attrs={"rows": 2, "class": "form-control"})}

    def __init__(self, *args, contractor, **kwargs):
        super().__init__(*args, **kwargs)
        self.contractor = contractor

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = Subcontractor.objects.filter(contractor=self.contractor, name__iexact=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("You already list a subcontractor with this name.")
        return name


class ReviewCommentForm(forms.Form):
    """A reviewer's comment on one place (exhibits/places.py): `place` names it ("exhibit_c:training"), or, as the
    agreement page's forms for a section or a C.1 category post, `section` and `category`. Whether the place exists
    for the agreement is the service's to say (services.review_comment_place)."""

    place = forms.CharField(required=False, max_length=60)
    section = forms.ChoiceField(required=False, choices=[("", ""), *Section.choices])
    category = forms.ModelChoiceField(required=False, queryset=None)
    body = text_form_field(ReviewComment, "body", label="Comment")
    recommendation = forms.ChoiceField(required=False, choices=ReviewComment.Recommendation.choices)

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = agreement.framework.categories.all()

    def clean(self):
        data = super().clean()
        if data.get("category"):
            data["place"] = f"c1:{data['category'].identifier}"
        elif not data.get("place"):
            data["place"] = data.get("section") or Section.GENERAL
        return data


class CommentStateForm(forms.Form):
    """Resolve a comment, or open it again."""

    comment = forms.IntegerField(min_value=1)
    resolved = forms.BooleanField(required=False)


class CarriedConfirmForm(forms.Form):
    """The submit form's box for answers carried over from another agreement (issue 16.2): the vendor's word that
    they hold as of today. Not required here: the service refuses a submission without it, in a sentence that says
    what to do (exhibits.services.submission_record)."""

    carried_confirmed = forms.BooleanField(required=False)
