"""Teachers ask, the district answers (issue 16): the district's staff e-mail domains, the staff who ask for apps
(requesters, who are not reviewers and hold no DistrictMembership, so they never reach the district's dashboard),
the single-use sign-up links, and the app requests themselves."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from dpa_portal.lengths import bounded_text, length_checks
from vendors.matching import domain_of, name_key

APP_REQUEST_LENGTHS = {"purpose": 2000, "data_seen": 2000, "answer": 2000, "reason": 2000, "question": 2000}


class StaffDomain(models.Model):
    """An e-mail domain of the district's staff ("hometowncsd.org"): an address there may sign up to ask for apps."""

    agency = models.ForeignKey("agreements.EducationalAgency", on_delete=models.CASCADE, related_name="staff_domains")
    domain = models.CharField(max_length=253, unique=True)  # one district per domain: it decides who signs up
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self):
        return self.domain


class Requester(models.Model):
    """A member of the district's staff who asks for apps: sees their own requests, nothing of the dashboard."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="requester_roles")
    agency = models.ForeignKey("agreements.EducationalAgency", on_delete=models.CASCADE, related_name="requesters")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "agency"], name="apprequests_requester_unique")]

    def __str__(self):
        return f"{self.user} at {self.agency}"


class SignUpLink(models.Model):
    """A single-use, expiring sign-up link sent to an address of a staff domain. Only the token's SHA-256 is kept."""

    agency = models.ForeignKey("agreements.EducationalAgency", on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"sign-up link for {self.email}"


class AppRequest(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        IN_REVIEW = "in_review", "In review"
        FAST_TRACK_OFFERED = "fast_track_offered", "Fast track offered"
        MORE_INFO_ASKED = "more_info_asked", "More information asked"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class StudentSignIn(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        UNKNOWN = "unknown", "I don't know"

    agency = models.ForeignKey("agreements.EducationalAgency", on_delete=models.PROTECT, related_name="app_requests")
    requester = models.ForeignKey(Requester, on_delete=models.PROTECT, related_name="app_requests")
    app_name = models.CharField("app name", max_length=200)
    website = models.URLField(max_length=300)
    vendor_name = models.CharField("vendor (if known)", max_length=200, blank=True)
    purpose = bounded_text("what it is for", max_length=APP_REQUEST_LENGTHS["purpose"])
    grades = models.CharField(max_length=100, help_text="For example: 3-5, or 9-12")
    student_count = models.PositiveIntegerField("number of students")
    students_sign_in = models.CharField(
        "do students sign in?", max_length=10, choices=StudentSignIn.choices, default=StudentSignIn.UNKNOWN
    )
    data_seen = bounded_text(
        "what student or staff data it would see", max_length=APP_REQUEST_LENGTHS["data_seen"], blank=True
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    product = models.ForeignKey(
        "vendors.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="app_requests"
    )
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.SET_NULL, null=True, blank=True, related_name="app_requests"
    )
    answer = bounded_text("the portal's answer", max_length=APP_REQUEST_LENGTHS["answer"], blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # Triage (issue 16.3). Requests for the same app share `name_key` and are grouped when read: no manual linking.
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    question = bounded_text("the district's question", max_length=APP_REQUEST_LENGTHS["question"], blank=True)
    reason = bounded_text("the district's reason", max_length=APP_REQUEST_LENGTHS["reason"], blank=True)
    reason_shown = models.BooleanField("show the reason on the public list", default=False)
    # A product, not another request: an approved app may never have been requested (an agreement the district
    # signed before the portal had requests); the public list links the product's agreement in effect.
    alternative = models.ForeignKey(
        "vendors.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "status"], name="apprequests_agency_status"),
            models.Index(fields=["agency", "name_key"], name="apprequests_agency_name_key"),
        ]
        constraints = length_checks("apprequests_apprequest", APP_REQUEST_LENGTHS)

    def __str__(self):
        return self.app_name

    def save(self, *args, **kwargs):
        # Kept by every save, whoever writes the request (submit, the teacher's edit, the admin).
        self.name_key = request_key(self.app_name, self.website)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)


def request_key(app_name: str, website: str) -> str:
    """The app as compared (vendors.matching, as the instant answer reads it): its name's key ("Kahoot!", "kahoot"
    and "Kahoot Inc." are one app), else the website's domain. The name decides, not the domain: one domain hosts
    many apps ("classroom.google.com" and "docs.google.com" are both google.com)."""
    return (name_key(app_name) or domain_of(website))[:200]
