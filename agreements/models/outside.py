"""Agreements signed outside the portal and brought in by their district (issue 12): the portal did not seal them, so
it keeps what it was given, says so everywhere, and lists what the district has still to complete."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dpa_portal.lengths import bounded_text, length_checks

from .agreement import Agreement
from .signing import AgreementDocument

# Characters of the two 121.3(c) items that Exhibit B holds as fixed wording in the portal's own agreements, but that
# an agreement signed elsewhere states in its own words: how subcontractors are bound (item 2) and how the accuracy of
# the data is challenged (item 4). The other four items go to Exhibit B's own fields, with their limits.
OUTSIDE_TEXT_LENGTHS = {"subcontractor_terms": 2_000, "accuracy_challenges": 2_000}


class OutsideSigning(models.Model):
    """How an agreement signed outside the portal came in: who uploaded it and when, the signed PDF as it was given
    (byte for byte, an AgreementDocument of kind `uploaded`, never sealed by the portal), and what was read from it."""

    class PdfText(models.TextChoices):
        TEXT = "text", "PDF with text"
        SCANNED = "scanned", "Scanned PDF without text"
        NONE = "none", "No PDF uploaded"

    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, related_name="outside_signing")
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The uploader's name as it was then: the page says "uploaded on DATE by NAME" even after the account goes.
    uploaded_by_name = models.CharField(max_length=200)
    document = models.OneToOneField(
        AgreementDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="outside_signing"
    )
    source_filename = models.CharField("file name as uploaded", max_length=255, blank=True)
    pdf_text = models.CharField(max_length=10, choices=PdfText.choices, default=PdfText.NONE)
    # The Exhibit B fields and dates that were read from the PDF's text rather than typed by the district: the pages
    # mark them "read from the PDF, please confirm" until a district admin confirms them (then the list is emptied).
    read_from_pdf = models.JSONField(default=list, blank=True)
    # 121.3(c) items 2 and 4 in the agreement's own words (see OUTSIDE_TEXT_LENGTHS).
    subcontractor_terms = bounded_text(
        "how subcontractors are bound", max_length=OUTSIDE_TEXT_LENGTHS["subcontractor_terms"], blank=True
    )
    accuracy_challenges = bounded_text(
        "challenges to data accuracy", max_length=OUTSIDE_TEXT_LENGTHS["accuracy_challenges"], blank=True
    )
    # The agreement states item 4 in the model DPA's wording (its correction days are Exhibit B's): set when it came
    # from a portal's own export, whose Exhibit B is whole.
    accuracy_model_wording = models.BooleanField(default=False)
    # Who the district deals with at the vendor: a renewal is sent there while the vendor has nobody on the portal.
    vendor_contact_name = models.CharField(max_length=200, blank=True)
    vendor_contact_email = models.EmailField(blank=True)
    # The same agreement imported twice is found by this key (SHA-256 of the district and the row's content), so a
    # second import, or a worker that restarts a batch, changes nothing.
    source_key = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "agreement signed outside the portal"
        verbose_name_plural = "agreements signed outside the portal"
        constraints = [
            *length_checks("outside_signing", OUTSIDE_TEXT_LENGTHS),
            models.CheckConstraint(
                condition=Q(pdf_text="none", document__isnull=True) | (~Q(pdf_text="none") & Q(document__isnull=False)),
                name="outside_signing_pdf_text_matches_document",
            ),
            models.CheckConstraint(condition=Q(source_key__regex=r"^[0-9a-f]{64}$"), name="outside_signing_source_key"),
        ]

    def __str__(self):
        return f"{self.agreement} (signed outside the portal, uploaded {self.uploaded_at:%Y-%m-%d})"
