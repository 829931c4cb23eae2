"""Import and export jobs: each is work the Celery worker does in steps, with its progress stored so that the page can
show it and a restarted worker can go on where the last one stopped."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ImportJob(models.Model):
    """A district's import of the agreements it signed outside the portal: a sheet (CSV or XLSX) and a ZIP of PDFs.

    The worker first reads everything (the dry run: one ImportRow per row, with what would happen); nothing is written
    to the district's agreements until an admin confirms; then the worker imports the rows in batches, each batch in
    one transaction with the rows it marks done, so that a worker killed mid-way is resumed without duplicates."""

    class Status(models.TextChoices):
        READING = "reading", "Reading the files"
        READY = "ready", "Read: waiting for confirmation"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Could not be read"
        CANCELLED = "cancelled", "Cancelled"

    agency = models.ForeignKey("agreements.EducationalAgency", on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READING, db_index=True)

    sheet = models.FileField(upload_to="portfolio/imports/")
    sheet_name = models.CharField("sheet as uploaded", max_length=255)
    archive = models.FileField(upload_to="portfolio/imports/", blank=True)
    archive_name = models.CharField("ZIP as uploaded", max_length=255, blank=True)
    # The SHA-256 of the sheet and of the ZIP: the page says when the same files were imported before.
    sheet_sha256 = models.CharField(max_length=64, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)

    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # What the reading found about the files as a whole: the sheet's encoding and delimiter, unknown or missing
    # columns, PDFs in the ZIP that no row names, files ignored and why. A list of sentences.
    findings = models.JSONField(default=list, blank=True)
    error = models.CharField("why the files could not be read", max_length=500, blank=True)

    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Set by the worker at each step: the sweep resumes a job whose worker has been silent for too long.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(rows_done__lte=models.F("rows_total")), name="import_job_progress"),
        ]

    def __str__(self):
        return f"Import {self.pk} of {self.agency} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return round(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class ImportRow(models.Model):
    """One row of an import's sheet: what it says, what the dry run found, and what the import did with it."""

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update the matching agreement"
        SKIP = "skip", "Skip: already in the portal"
        FAIL = "fail", "Cannot be imported"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(help_text="The row's number in the sheet as the district sees it.")
    values = models.JSONField(default=dict, help_text="The row as read (JSON: dates as ISO text).")
    key = models.CharField(max_length=64, help_text="SHA-256 of the row's content: equal for the same agreement.")
    problems = models.JSONField(default=list, blank=True, help_text="Why it cannot be imported, one sentence each.")
    notes = models.JSONField(default=list, blank=True, help_text="What the district should know, one sentence each.")

    pdf_name = models.CharField(max_length=255, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_text = models.CharField(max_length=10, blank=True, help_text="text, scanned or none")
    # What was read from the PDF's text for the fields the sheet leaves empty (issue 12.4), by template column.
    proposals = models.JSONField(default=dict, blank=True)

    # The vendor: the closest existing contractor and its score (0-100); the admin may say it is another company.
    vendor_match = models.ForeignKey(
        "vendors.Contractor", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    vendor_score = models.PositiveSmallIntegerField(null=True, blank=True)
    vendor_reason = models.CharField(max_length=200, blank=True)
    vendor_is_new = models.BooleanField(default=False, help_text="The admin said: a new vendor, not the match.")
    # An agreement of the district this row describes already (the same vendor, product and start, or imported before).
    agreement_match = models.ForeignKey(
        "agreements.Agreement", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.CREATE)

    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING, db_index=True)
    reason = models.CharField(max_length=500, blank=True)
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["job", "number"]
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="import_row_unique_number")]
        indexes = [models.Index(fields=["job", "outcome", "number"], name="import_row_pending")]

    def __str__(self):
        return f"Row {self.number} of import {self.job_id}"


def _token() -> str:
    return secrets.token_urlsafe(32)


class ExportJob(models.Model):
    """An archive of everything a district holds, or of a vendor's own agreements and answers, built by the worker into
    storage in a stream and offered by a link that expires."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    agency = models.ForeignKey(
        "agreements.EducationalAgency", on_delete=models.CASCADE, null=True, blank=True, related_name="export_jobs"
    )
    contractor = models.ForeignKey(
        "vendors.Contractor", on_delete=models.CASCADE, null=True, blank=True, related_name="export_jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    items_total = models.PositiveIntegerField(default=0)
    items_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="portfolio/exports/", blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # The download link carries this token; it stops working at expires_at, when the sweep deletes the file.
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(agency__isnull=False, contractor__isnull=True)
                | Q(agency__isnull=True, contractor__isnull=False),
                name="export_job_one_owner",
            ),
            # One archive in the making per owner: a second click, or two admins at once, get the one being built
            # (portfolio.exports.export_request) rather than a second build of the same portfolio.
            models.UniqueConstraint(
                fields=["agency"], condition=Q(status__in=["queued", "building"]), name="export_job_one_active_district"
            ),
            models.UniqueConstraint(
                fields=["contractor"],
                condition=Q(status__in=["queued", "building"]),
                name="export_job_one_active_vendor",
            ),
        ]

    def __str__(self):
        return f"Export {self.pk} of {self.agency or self.contractor} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return round(100 * self.items_done / self.items_total) if self.items_total else 0
