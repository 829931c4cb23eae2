"""Educational agencies (districts), their staff, and the Agreement with its lifecycle."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from dpa_portal.addresses import PostalAddress, address_lines


class EducationalAgency(PostalAddress):
    """An Educational Agency as defined in Education Law 2-d (DPA Article I.5): usually a school district."""

    class Kind(models.TextChoices):
        SCHOOL_DISTRICT = "school_district", "School district"
        BOCES = "boces", "Board of cooperative educational services"
        CHARTER_SCHOOL = "charter_school", "Charter school"
        SCHOOL = "school", "School"
        NYSED = "nysed", "New York State Education Department"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SCHOOL_DISTRICT)
    website = models.URLField(blank=True)

    # DPA II.12(b): where the contractor sends breach notifications.
    breach_notice_name = models.CharField("breach notices to (name)", max_length=200, blank=True)
    breach_notice_title = models.CharField("title", max_length=200, blank=True)
    breach_notice_street_address = models.CharField("address", max_length=200, blank=True)
    breach_notice_city = models.CharField("city", max_length=100, blank=True)
    breach_notice_state = models.CharField("state", max_length=50, blank=True, default="NY")
    breach_notice_postal_code = models.CharField("ZIP code", max_length=20, blank=True)
    breach_notice_email = models.EmailField("e-mail", blank=True)
    # DPA II.12(a): notices go "with a copy to the Data Protection Office".
    data_protection_office_name = models.CharField("Data Protection Office (name)", max_length=200, blank=True)
    data_protection_office_email = models.EmailField("Data Protection Office e-mail", blank=True)

    # Exhibit A item 6(i): where parents send complaints about possible breaches and unauthorized disclosures.
    complaint_contact_name = models.CharField("complaints to (name or office)", max_length=200, blank=True)
    complaint_email = models.EmailField("complaints e-mail", blank=True)
    complaint_mail_address = models.TextField("complaints postal address", blank=True)
    complaint_phone = models.CharField("complaints telephone", max_length=40, blank=True)
    complaint_url = models.URLField("complaints web form", blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "educational agency"
        verbose_name_plural = "educational agencies"

    def __str__(self):
        return self.name

    @property
    def breach_notice_address_lines(self) -> list[str]:
        return address_lines(
            self.breach_notice_street_address,
            self.breach_notice_city,
            self.breach_notice_state,
            self.breach_notice_postal_code,
        )


class DistrictMembership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        REVIEWER = "reviewer", "Reviewer"
        VIEWER = "viewer", "Viewer"

    agency = models.ForeignKey(EducationalAgency, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="district_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "user"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "user"], name="agreements_membership_unique"),
            models.CheckConstraint(
                condition=Q(role__in=["admin", "reviewer", "viewer"]), name="agreements_membership_role"
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.agency})"


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    WITH_VENDOR = "with_vendor", "With vendor"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    VENDOR_SIGNED = "vendor_signed", "Signed by vendor"
    EXECUTED = "executed", "Executed"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class AgreementKind(models.TextChoices):
    NEW = "new", "New agreement"
    AMENDMENT = "amendment", "Amendment"
    RENEWAL = "renewal", "Renewal"


class Agreement(models.Model):
    """A Data Privacy Agreement between an Educational Agency and a Contractor for a Service Agreement."""

    Status = AgreementStatus
    Kind = AgreementKind

    agency = models.ForeignKey(EducationalAgency, on_delete=models.PROTECT, related_name="agreements")
    contractor = models.ForeignKey("vendors.Contractor", on_delete=models.PROTECT, related_name="agreements")
    products = models.ManyToManyField("vendors.Product", related_name="agreements", blank=True)
    # Exhibit C.1 asks for one version of the NIST CSF; the district chooses which.
    framework = models.ForeignKey("exhibits.Framework", on_delete=models.PROTECT, related_name="agreements")

    service_agreement_date = models.DateField("Service Agreement dated", null=True, blank=True)  # DPA II.1
    contract_start = models.DateField("contract start date", null=True, blank=True)  # Exhibit B, Contract Term
    contract_end = models.DateField("contract end date", null=True, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)

    # An executed agreement never changes: an amendment or a renewal is a new agreement that starts from it.
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NEW)
    previous = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="successors")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "status"], name="agreement_agency_status"),
            models.Index(fields=["contractor", "status"], name="agreement_contractor_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(contract_start__isnull=True)
                | Q(contract_end__isnull=True)
                | Q(contract_end__gte=F("contract_start")),
                name="agreement_term_valid_range",
                violation_error_message="The contract end date cannot be before its start date.",
            ),
            models.CheckConstraint(condition=Q(status__in=AgreementStatus.values), name="agreement_status_valid"),
            # A new agreement has no predecessor; an amendment or renewal always has one.
            models.CheckConstraint(
                condition=(Q(kind="new") & Q(previous__isnull=True))
                | (Q(kind__in=["amendment", "renewal"]) & Q(previous__isnull=False)),
                name="agreement_kind_matches_previous",
            ),
            models.CheckConstraint(condition=~Q(previous=F("pk")), name="agreement_previous_not_self"),
        ]

    def __str__(self):
        return f"{self.agency} - {self.contractor} ({self.get_status_display()})"


class StatusChange(models.Model):
    """One step of an agreement's lifecycle: who moved it, from what, to what, when and why."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="status_changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=Agreement.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Agreement.Status.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        get_latest_by = "created_at"

    def __str__(self):
        return f"{self.agreement_id}: {self.from_status or '-'} -> {self.to_status}"
