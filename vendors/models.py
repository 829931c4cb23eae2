"""Contractors (the DPA's word for a vendor), their staff, products and subcontractors."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from dpa_portal.addresses import PostalAddress
from dpa_portal.lengths import bounded_text, length_checks

# How long what a vendor or a district writes here may be, in characters (issue 10; dpa_portal/lengths.py). Names
# are CharFields of 200 (a legal name, a product's name), which the database enforces itself.
# A product's description (the admin's; no page prints it at length).
PRODUCT_DESCRIPTION_LENGTH = 1_000
# What a subcontractor does: Exhibit B prints it after the name, for each one.
SUBCONTRACTOR_PURPOSE_LENGTH = 500


class Contractor(PostalAddress):
    """A third-party contractor that receives Student Data or Teacher or Principal APPR Data (Ed Law 2-d)."""

    legal_name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    website = models.URLField(blank=True)
    privacy_policy_url = models.URLField("privacy policy", blank=True)
    incident_response_plan_url = models.URLField("incident response plan", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_name"]

    def __str__(self):
        return self.legal_name


class ContractorMembership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        EDITOR = "editor", "Editor"

    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contractor_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contractor", "user"]
        constraints = [
            models.UniqueConstraint(fields=["contractor", "user"], name="vendors_membership_unique"),
            models.CheckConstraint(condition=models.Q(role__in=["admin", "editor"]), name="vendors_membership_role"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.contractor})"


class Product(models.Model):
    """A product or service that a contractor provides under a Service Agreement."""

    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    description = bounded_text(max_length=PRODUCT_DESCRIPTION_LENGTH, blank=True)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contractor", "name"]
        constraints = [
            models.UniqueConstraint(fields=["contractor", "slug"], name="vendors_product_slug_unique"),
            *length_checks("vendors_product", {"description": PRODUCT_DESCRIPTION_LENGTH}),
        ]

    def __str__(self):
        return self.name


class Subcontractor(models.Model):
    """A subcontractor of the contractor (DPA II.6): whether it receives PII and is bound by a written agreement."""

    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="subcontractors")
    name = models.CharField(max_length=200)
    purpose = bounded_text(
        max_length=SUBCONTRACTOR_PURPOSE_LENGTH, help_text="What the subcontractor does for the contractor."
    )
    receives_pii = models.BooleanField("receives or has access to PII", default=False)
    written_agreement = models.BooleanField(
        "written agreement in place",
        default=False,
        help_text="Bound by a written agreement no less protective than the DPA (DPA II.6(b)).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["contractor", "name"]
        constraints = [
            models.UniqueConstraint(fields=["contractor", "name"], name="vendors_subcontractor_name_unique"),
            *length_checks("vendors_subcontractor", {"purpose": SUBCONTRACTOR_PURPOSE_LENGTH}),
        ]

    def __str__(self):
        return self.name


class ContractorMerge(models.Model):
    """A platform operator merged one contractor into another (issue 14.4): who, when, and what moved. The merged
    contractor is gone, so its id and name are kept as written."""

    kept = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="merges")
    merged_contractor_id = models.PositiveBigIntegerField()
    merged_name = models.CharField(max_length=200)
    merged_slug = models.CharField(max_length=80)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # What moved, by table: {"agreements.Agreement.contractor": [ids], ...}, and the products and subcontractors
    # that were one with the kept contractor's own ({"products": {"merged id": "kept id"}, ...}).
    moved = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.merged_name} merged into {self.kept}"
