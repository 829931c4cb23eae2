"""The exhibits of the model DPA: A (Bill of Rights), B (supplemental information), C (plan), C.1 (NIST CSF)."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from agreements.deadlines.rules import CORRECTION, RULES
from dpa_portal.lengths import bounded_text, length_checks

# --- How long each answer may be, in characters (issue 10; held by the model, the database, the forms and the
# counters beside the fields: dpa_portal/lengths.py). Room for a thorough answer (the longest in the demo is 221
# characters; a long real one is a few paragraphs), and a bound on the DPA: every field at its limit, with no space
# anywhere, still renders in seconds (bench/worst_case_render.py).

# Exhibit B, posted for parents: a few paragraphs each; the other-storage note and the encryption detail are a line
# or two beside model wording.
EXHIBIT_B_LENGTHS = {
    "purposes": 2_000,
    "data_transition_details": 2_000,
    "storage_other_description": 500,
    "security_measures": 3_000,
    "encryption_details": 1_000,
}
# Each of the nine answers of Exhibit C: about a printed page in the plan's table.
SECURITY_PLAN_ANSWER_LENGTH = 5_000
# One category of Exhibit C.1: a cell of the NIST CSF table.
CSF_NARRATIVE_LENGTH = 2_000
# A reviewer's comment beside an answer.
REVIEW_COMMENT_LENGTH = 2_000
# The reason a district gives, on the public page, for withholding a part of Exhibit B.
REDACTION_REASON_LENGTH = 500

# --- Framework catalogues (reference data, versioned; see exhibits/catalogues.py) ---------------------------


class Framework(models.Model):
    """A version of a security framework whose categories Exhibit C.1 asks about, e.g. NIST CSF 1.1 or 2.0."""

    code = models.SlugField(max_length=40)
    version = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    published = models.DateField(null=True, blank=True)
    source = models.URLField(blank=True)

    class Meta:
        ordering = ["code", "version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="framework_code_version_unique")]

    def __str__(self):
        return self.name


class FrameworkFunction(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="functions")
    identifier = models.CharField(max_length=10)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["framework", "position"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "identifier"], name="framework_function_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.identifier})"


class FrameworkCategory(models.Model):
    # The framework is repeated here so that "one category identifier per framework" is a database constraint.
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="categories")
    function = models.ForeignKey(FrameworkFunction, on_delete=models.CASCADE, related_name="categories")
    identifier = models.CharField(max_length=10)
    name = models.CharField(max_length=200)
    description = models.TextField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["framework", "position"]
        verbose_name_plural = "framework categories"
        constraints = [
            models.UniqueConstraint(fields=["framework", "identifier"], name="framework_category_unique"),
        ]

    def __str__(self):
        return f"{self.identifier} {self.name}"


# --- Exhibit A: the Parents' Bill of Rights for Data Privacy and Security ----------------------------------


class BillOfRights(models.Model):
    """One published version of a district's Bill of Rights. Versions are never edited: a change is a new one."""

    agency = models.ForeignKey("agreements.EducationalAgency", on_delete=models.CASCADE, related_name="bills_of_rights")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200, default="Parents' Bill of Rights for Data Privacy and Security")
    preamble = models.TextField()
    # The numbered items, in order; the district's complaint contacts are written into them when published.
    items = models.JSONField(default=list)
    effective_date = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "-version"]
        verbose_name = "bill of rights (Exhibit A)"
        verbose_name_plural = "bills of rights (Exhibit A)"
        get_latest_by = "version"
        constraints = [
            models.UniqueConstraint(fields=["agency", "version"], name="bill_of_rights_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="bill_of_rights_version_positive"),
        ]

    def __str__(self):
        return f"{self.agency} Bill of Rights v{self.version}"


class BillOfRightsAcknowledgement(models.Model):
    """The contractor's acknowledgement of the version of Exhibit A that is part of its agreement."""

    agreement = models.OneToOneField(
        "agreements.Agreement", on_delete=models.CASCADE, related_name="bill_of_rights_acknowledgement"
    )
    bill_of_rights = models.ForeignKey(BillOfRights, on_delete=models.PROTECT, related_name="acknowledgements")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField()

    class Meta:
        verbose_name = "acknowledgement of Exhibit A"

    def __str__(self):
        return f"{self.agreement} acknowledges {self.bill_of_rights}"


# --- Exhibit B: supplemental information about the agreement --------------------------------------------------


class SupplementalInformation(models.Model):
    """Exhibit B, which the district must post on its website (Ed Law 2-d, 8 NYCRR 121.3(c)).

    The contract term lives on the Agreement; the fixed wording of Exhibit B (data transition, challenges to data
    accuracy, encryption) is rendered from templates, and the fields here hold what the contractor answers.
    """

    class SubcontractorUse(models.TextChoices):
        WILL_NOT_USE = "will_not_use", "Contractor will not utilize subcontractors."
        WILL_USE = "will_use", "Contractor will utilize subcontractors."

    agreement = models.OneToOneField(
        "agreements.Agreement", on_delete=models.CASCADE, related_name="supplemental_information"
    )
    # 121.3(c)(1): the exclusive purposes for which the contractor receives the data.
    purposes = bounded_text(
        "purpose(s) for which Contractor will receive/access PII", max_length=EXHIBIT_B_LENGTHS["purposes"], blank=True
    )
    # Type of PII, "check all that apply".
    receives_student_pii = models.BooleanField("Student PII", default=False)
    receives_appr_data = models.BooleanField("APPR Data", default=False)
    # 121.3(c)(2): subcontractors and the written agreement requirement.
    subcontractor_use = models.CharField(max_length=20, choices=SubcontractorUse.choices, blank=True)
    subcontractors = models.ManyToManyField("vendors.Subcontractor", blank=True, related_name="exhibits_b")
    # 121.3(c)(3): what happens to the data when the contract ends (the model wording plus any details).
    data_transition_details = bounded_text(
        "data transition and secure destruction: details",
        max_length=EXHIBIT_B_LENGTHS["data_transition_details"],
        blank=True,
    )
    # 121.3(c)(4): challenges to accuracy; the contractor facilitates corrections within this many days.
    correction_days = models.PositiveSmallIntegerField(
        "days to facilitate a correction", default=RULES[CORRECTION].default_days
    )
    # 121.3(c)(5): where the data is stored, "check all that apply", and how it is protected.
    storage_third_party_cloud = models.BooleanField(
        "using a cloud or infrastructure owned and hosted by a third party", default=False
    )
    storage_contractor_hosted = models.BooleanField("using Contractor owned and hosted solution", default=False)
    storage_other = models.BooleanField("other", default=False)
    storage_other_description = bounded_text(
        "other storage: describe", max_length=EXHIBIT_B_LENGTHS["storage_other_description"], blank=True
    )
    security_measures = bounded_text(
        "how data security and privacy risks will be mitigated without compromising the security of the data",
        max_length=EXHIBIT_B_LENGTHS["security_measures"],
        blank=True,
    )
    # 121.3(c)(6): "Data will be encrypted while in motion and at rest." plus how.
    encryption_details = bounded_text(
        "encryption: details", max_length=EXHIBIT_B_LENGTHS["encryption_details"], blank=True
    )

    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "supplemental information (Exhibit B)"
        verbose_name_plural = "supplemental information (Exhibit B)"
        constraints = [
            models.CheckConstraint(
                condition=Q(storage_other=False) | ~Q(storage_other_description=""),
                name="exhibit_b_other_storage_described",
                violation_error_message="Describe the other storage option.",
            ),
            models.CheckConstraint(
                condition=Q(correction_days__gte=1) & Q(correction_days__lte=365),
                name="exhibit_b_correction_days_range",
            ),
            *length_checks("exhibit_b", EXHIBIT_B_LENGTHS),
        ]

    def __str__(self):
        return f"Exhibit B of {self.agreement}"


# --- Exhibit C: the Contractor's Data Privacy and Security Plan ---------------------------------------------

# The nine questions of the model DPA's Exhibit C (121.6(a)), in order: (field name, question).
SECURITY_PLAN_QUESTIONS = [
    (
        "implementation",
        "Outline how you will implement applicable data security and privacy contract requirements "
        "over the life of the Contract.",
    ),
    (
        "safeguards",
        "Specify the administrative, operational and technical safeguards and practices that you have in "
        "place to protect PII.",
    ),
    (
        "training",
        "Address the training received by your employees and any subcontractors engaged in the provision "
        "of services under the Contract on the federal and state laws that govern the confidentiality of PII.",
    ),
    (
        "subcontractor_contracts",
        "Outline contracting processes that ensure that your employees and any "
        "subcontractors are bound by written agreement to the requirements of the Contract, at a minimum.",
    ),
    (
        "incident_management",
        "Specify how you will manage any data security and privacy incidents that implicate PII "
        "and describe any specific plans you have in place to identify breaches and/or unauthorized disclosures, and "
        "to meet your obligations to report incidents to the EA.",
    ),
    (
        "data_transition",
        "Describe how data will be transitioned to the EA when no longer needed by you to meet your "
        "contractual obligations, if applicable.",
    ),
    (
        "secure_destruction",
        "Describe your secure destruction practices and how certification will be provided to the EA.",
    ),
    (
        "policy_alignment",
        "Outline how your data security and privacy program/practices align with the EA's applicable policies.",
    ),
    (
        "framework_alignment",
        "Outline how your data security and privacy program/practices materially align with the "
        "NIST CSF using the Framework chart below.",
    ),
]


def security_plan_question(field: str, framework_version: str | None = None) -> str:
    question = dict(SECURITY_PLAN_QUESTIONS)[field]
    if framework_version:
        question = question.replace("the NIST CSF", f"the NIST CSF v{framework_version}")
    return question


class SecurityPlan(models.Model):
    """Exhibit C: the contractor's answers to the nine questions of the plan (121.6(a)(1)-(7))."""

    agreement = models.OneToOneField("agreements.Agreement", on_delete=models.CASCADE, related_name="security_plan")
    implementation = bounded_text(max_length=SECURITY_PLAN_ANSWER_LENGTH, blank=True)
    safeguards = bounded_text(max_length=SECURITY_PLAN_ANSWER_LENGTH, blank=True)
    training = bounded_text(max_length=SECURITY_PLAN_ANSWER_LENGTH, blank=True)
    subcontractor_contracts = bounded_text(max_length=SECURITY_PLAN_ANSWER_LENGTH, blank=True)
    incident_management = bounded_text(max_length=SECURITY_PLAN_ANSWER_LENGTH, blank=True)
    data_transition = bounded_text(max_length=SECURITY_PLAN_ANSWER_LENGTH, blank=True)
    secure_destruction = bounded_text(max_length=SECURITY_PLAN_ANSWER_LENGTH, blank=True)
    policy_alignment = bounded_text(max_length=SECURITY_PLAN_ANSWER_LENGTH, blank=True)
    framework_alignment = bounded_text(max_length=SECURITY_PLAN_ANSWER_LENGTH, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "data security and privacy plan (Exhibit C)"
        verbose_name_plural = "data security and privacy plans (Exhibit C)"
        constraints = length_checks(
            "exhibit_c", {field: SECURITY_PLAN_ANSWER_LENGTH for field, _ in SECURITY_PLAN_QUESTIONS}
        )

    def __str__(self):
        return f"Exhibit C of {self.agreement}"

    def answers(self) -> list[tuple[int, str, str, str]]:
        """(number, field, question, answer) for the nine questions, in the DPA's order, naming the agreement's
        framework version in question 9 as the model DPA does ("the NIST CSF v1.1")."""
        version = self.agreement.framework.version
        return [
            (n, field, security_plan_question(field, version), getattr(self, field))
            for n, (field, _) in enumerate(SECURITY_PLAN_QUESTIONS, 1)
        ]


# --- Exhibit C.1: one response per framework category ------------------------------------------------------


class CsfResponse(models.Model):
    """Exhibit C.1: the contractor's response for one framework category, with an optional implementation tier."""

    class Tier(models.IntegerChoices):
        PARTIAL = 1, "Tier 1: Partial"
        RISK_INFORMED = 2, "Tier 2: Risk Informed"
        REPEATABLE = 3, "Tier 3: Repeatable"
        ADAPTIVE = 4, "Tier 4: Adaptive"

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.CASCADE, related_name="csf_responses")
    category = models.ForeignKey(FrameworkCategory, on_delete=models.PROTECT, related_name="responses")
    narrative = bounded_text(max_length=CSF_NARRATIVE_LENGTH, blank=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "category__position"]
        verbose_name = "NIST CSF response (Exhibit C.1)"
        verbose_name_plural = "NIST CSF responses (Exhibit C.1)"
        constraints = [
            models.UniqueConstraint(fields=["agreement", "category"], name="csf_response_one_per_category"),
            models.CheckConstraint(
                condition=Q(tier__isnull=True) | (Q(tier__gte=1) & Q(tier__lte=4)), name="csf_response_tier_range"
            ),
            *length_checks("csf_response", {"narrative": CSF_NARRATIVE_LENGTH}),
        ]

    def __str__(self):
        return f"{self.category.identifier} for {self.agreement}"


# --- Review: comments, submissions and carried-over answers -------------------------------------------------


# The items a review comment's `field` may name, per section (issue 14.5; labelled in exhibits/places.py): Exhibit
# B's items as the DPA asks them (its check boxes in two groups, "pii" and "storage"), and Exhibit C's questions.
REVIEW_ITEMS = {
    "exhibit_b": [
        "purposes",
        "pii",
        "subcontractor_use",
        "data_transition_details",
        "storage",
        "security_measures",
        "encryption_details",
    ],
    "exhibit_c": [field for field, _ in SECURITY_PLAN_QUESTIONS],
}


class Section(models.TextChoices):
    """The parts of an agreement that a vendor answers and a district reviews."""

    EXHIBIT_A = "exhibit_a", "Exhibit A: Bill of Rights"
    EXHIBIT_B = "exhibit_b", "Exhibit B: Supplemental information"
    SUBCONTRACTORS = "subcontractors", "Subcontractors"
    EXHIBIT_C = "exhibit_c", "Exhibit C: Data security and privacy plan"
    EXHIBIT_C1 = "exhibit_c1", "Exhibit C.1: NIST CSF"
    GENERAL = "general", "The agreement as a whole"


class ReviewComment(models.Model):
    """A district reviewer's comment on a section, or on one place in it (issue 14.5): an item of Exhibit B, a
    question of Exhibit C, a subcontractor, a C.1 category. The vendor sees it beside that field (exhibits/places.py
    names the places; services.review_comment_place checks that one exists for the agreement)."""

    class Recommendation(models.TextChoices):
        NONE = "", "No recommendation"
        APPROVE = "approve", "Recommend approval"
        CHANGES = "changes", "Recommend changes"

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.CASCADE, related_name="review_comments")
    section = models.CharField(max_length=20, choices=Section.choices)
    category = models.ForeignKey(
        FrameworkCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="review_comments"
    )
    # One item of Exhibit B or one question of Exhibit C (exhibits/places.py: ITEMS); "" for the section as a whole.
    field = models.CharField(max_length=40, blank=True)
    # A subcontractor that goes away (merged into another, deleted) leaves its comments on the subcontractors section.
    subcontractor = models.ForeignKey(
        "vendors.Subcontractor", on_delete=models.SET_NULL, null=True, blank=True, related_name="review_comments"
    )
    body = bounded_text(max_length=REVIEW_COMMENT_LENGTH)
    recommendation = models.CharField(max_length=10, choices=Recommendation.choices, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # A category comment belongs to Exhibit C.1, and only there.
            models.CheckConstraint(
                condition=Q(category__isnull=True) | Q(section="exhibit_c1"), name="review_comment_category_in_c1"
            ),
            # An item is one of Exhibit B's or Exhibit C's (the names are distinct), in its own section.
            models.CheckConstraint(
                condition=Q(field="")
                | Q(section="exhibit_b", field__in=REVIEW_ITEMS["exhibit_b"])
                | Q(section="exhibit_c", field__in=REVIEW_ITEMS["exhibit_c"]),
                name="review_comment_field_in_section",
            ),
            models.CheckConstraint(
                condition=Q(subcontractor__isnull=True) | Q(section="subcontractors"),
                name="review_comment_subcontractor_in_section",
            ),
            models.CheckConstraint(condition=~Q(body=""), name="review_comment_not_empty"),
            *length_checks("review_comment", {"body": REVIEW_COMMENT_LENGTH}),
        ]

    def __str__(self):
        return f"Comment on {self.get_section_display()} of {self.agreement_id}"


class Submission(models.Model):
    """A snapshot of every answer at the moment the vendor submitted, so a resubmission can be compared."""

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.CASCADE, related_name="submissions")
    number = models.PositiveIntegerField()
    answers = models.JSONField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["agreement", "number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="submission_number_unique"),
        ]

    def __str__(self):
        return f"Submission {self.number} of {self.agreement_id}"


class AnswerReuse(models.Model):
    """Answers a vendor carried into this agreement from an earlier one, with the values as they were copied."""

    agreement = models.OneToOneField("agreements.Agreement", on_delete=models.CASCADE, related_name="answer_reuse")
    source = models.ForeignKey("agreements.Agreement", on_delete=models.PROTECT, related_name="reused_by")
    answers = models.JSONField(help_text="The copied answers, in the shape of Submission.answers.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The vendor's word, on the submit form, that the answers still as copied hold as of that day (issue 16.2): the
    # district then reads them as confirmed that day, not as another district's answers of an earlier date.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(source=models.F("agreement")), name="reuse_not_self")]

    def __str__(self):
        return f"{self.agreement_id} reuses answers of {self.source_id}"


# --- Public posting: parts of Exhibit B that a district withholds (8 NYCRR 121.3(e)) --------------------------


class RedactionField(models.TextChoices):
    """The parts of Exhibit B that the vendor answers, which a district may withhold; also the public JSON keys."""

    PURPOSES = "purposes", "Exclusive purposes"
    SUBCONTRACTORS = "subcontractors", "Subcontractors"
    DATA_TRANSITION = "data_transition_details", "Data transition and secure destruction"
    STORAGE = "storage", "Where the data is stored"
    SECURITY_MEASURES = "security_measures", "How the data is protected"
    ENCRYPTION = "encryption_details", "Encryption"


class Redaction(models.Model):
    """A part of Exhibit B that the district withholds from its public posting, with the reason it gives.

    121.3(e) lets a district redact the supplemental information where needed to protect the privacy or security
    of its data or technology infrastructure. The public pages, the open data and the feed show the reason instead
    of the value; the history keeps who added and who removed each one.
    """

    Field = RedactionField

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.CASCADE, related_name="redactions")
    field = models.CharField(max_length=40, choices=RedactionField.choices)
    reason = bounded_text(max_length=REDACTION_REASON_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "field"]
        verbose_name = "redaction of Exhibit B"
        verbose_name_plural = "redactions of Exhibit B"
        constraints = [
            models.UniqueConstraint(fields=["agreement", "field"], name="redaction_one_per_field"),
            models.CheckConstraint(condition=Q(field__in=RedactionField.values), name="redaction_field_valid"),
            models.CheckConstraint(condition=~Q(reason=""), name="redaction_reason_given"),
            *length_checks("redaction", {"reason": REDACTION_REASON_LENGTH}),
        ]

    def __str__(self):
        return f"{self.get_field_display()} of agreement {self.agreement_id} withheld"


# --- Public posting: the statewide search's stored document (issue 13) -------------------------------------------


# The statewide search matches a word of PREFIX_FROM letters or more as the start of a word ("code" finds "CodeHS");
# a shorter one as a whole word (a prefix of one or two letters stands for thousands of words). Each GIN index holds
# its document's words and also every word's first PREFIX_FROM to PREFIX_TO letters as words of their own, so that
# a prefix is found as a whole word: GIN then skips through two common prefixes' lists together ("meadow
# classroom"), where a prefix match reads every list of every word it begins, whole (45-115 ms at a million
# agreements). Only the indexes hold them: the rows stay the size of their words, for the search reads its newest
# rows whole. A longer word is still matched as a prefix, of the few words as long as it.
PREFIX_FROM = 3
PREFIX_TO = 10


class SearchPrefixes(models.Func):
    """public_search_prefixes(words, shortest, longest), the SQL function made by migration exhibits 0009: the words
    of a tsvector with the first `shortest` to `longest` letters of each as lexemes of their own (PostgreSQL)."""

    function = "public_search_prefixes"
    output_field = SearchVectorField()

    def __init__(self, column, shortest, longest):
        super().__init__(models.F(column), models.Value(shortest), models.Value(longest))


class PublicSearchEntry(models.Model):
    """What the statewide search looks in, for one posted agreement: a row exists while the agreement is posted.

    Stored rather than built at query time, so that a search over a million agreements reads a GIN index instead of
    three tables. Kept current by exhibits/public/search_index.py (signals, one statement per change, set-based);
    a part of Exhibit B the district withholds is never written here. The agreement's status is not copied (the
    results read it from the agreement), so an agreement that expires or is terminated costs the sweep no write here.

    Three documents, each the one before with more in it, so that each tier of the ranking has its own column, GIN
    index and planner statistics: `names` (vendor and products, weight A), `suppliers` (and the subcontractors named
    in Exhibit B, weight B) and `document` (and the district's name, weight C); each index holds its words' prefixes
    too (SearchPrefixes). PostgreSQL only: on SQLite (`make run`) they stay NULL and the search matches the text
    columns.
    """

    agreement = models.OneToOneField(
        "agreements.Agreement", on_delete=models.CASCADE, primary_key=True, related_name="public_search_entry"
    )
    agency = models.ForeignKey("agreements.EducationalAgency", on_delete=models.CASCADE, related_name="+")
    # The text, as the public sees it: what SQLite's fallback matches.
    district = models.CharField(max_length=200)
    vendor = models.CharField(max_length=200)
    products = models.TextField(blank=True)
    subcontractors = models.TextField(blank=True)  # "" while the district withholds them (121.3(e))
    names = SearchVectorField(null=True)
    suppliers = SearchVectorField(null=True)
    document = SearchVectorField(null=True)

    class Meta:
        verbose_name = "statewide search entry"
        verbose_name_plural = "statewide search entries"
        indexes = [
            # No pending list: a search would read all of it, every time, until a vacuum merges it; an entry is
            # written when an agreement is posted or renamed, rarely enough to update the index at once.
            GinIndex(SearchPrefixes(column, PREFIX_FROM, PREFIX_TO), name=f"public_search_{column}", fastupdate=False)
            for column in ("names", "suppliers", "document")
        ]

    def __str__(self):
        return f"Search entry of agreement {self.agreement_id}"
