"""Educational agencies (districts) and their staff."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dpa_portal.addresses import PostalAddress, address_lines
from dpa_portal.lengths import bounded_text, length_checks

# Characters of the complaints postal address (Exhibit A item 6 prints it): a few lines. The other contacts are
# CharFields (issue 10; dpa_portal/lengths.py).
COMPLAINT_MAIL_ADDRESS_LENGTH = 500


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
    complaint_mail_address = bounded_text(
        "complaints postal address", max_length=COMPLAINT_MAIL_ADDRESS_LENGTH, blank=True
    )
    complaint_phone = models.CharField("complaints telephone", max_length=40, blank=True)
    complaint_url = models.URLField("complaints web form", blank=True)

    # Exhibit C (the vendor's security plan) and C.1 need not be posted (121.3 asks for Exhibit B; the model DPA says
    # the plan "is not required to be posted"); a district may choose to, for every agreement's public copy.
    post_exhibit_c = models.BooleanField(
        "post Exhibit C publicly",
        default=False,
        help_text="Include Exhibits C and C.1 (the vendor's data privacy and security plan and NIST CSF table) in "
        "the public copy of each executed agreement.",
    )

    # How many of its agreements are posted, for the statewide index: kept by exhibits/signals.py (a recount bounded by
    # the district's own agreements whenever one enters or leaves the posted statuses), so that the index never counts
    # the whole table (issue 13).
    posted_count = models.PositiveIntegerField(default=0, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "educational agency"
        verbose_name_plural = "educational agencies"
        constraints = length_checks("agency", {"complaint_mail_address": COMPLAINT_MAIL_ADDRESS_LENGTH})

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
