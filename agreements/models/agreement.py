"""The Agreement, its lifecycle statuses and the log of its transitions."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from dpa_portal.lengths import bounded_text, length_checks

from .parties import EducationalAgency
from .statuses import AgreementStatus


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
    # A Service Agreement with no fixed end runs until either party ends it: then the district names the date it will
    # next review it, which takes the end date's place for reminders (issue 11.1); it never expires the agreement.
    runs_until_terminated = models.BooleanField("runs until terminated", default=False)
    review_on = models.DateField("next review date", null=True, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # When it was executed, and so posted (121.3(a)): stored rather than read from the log of status changes, so that
    # the statewide feed and lists sort a million agreements by it with an index (issue 13).
    posted_at = models.DateTimeField(null=True, blank=True, editable=False)

    # An executed agreement never changes: an amendment or a renewal is a new agreement that starts from it.
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NEW)
    previous = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="successors")
    # The public copy of the executed DPA for what the district posts now is still to be made: set on execution and
    # whenever the district changes what it posts (a redaction, Exhibit C); the documents sweep finds these rows.
    public_copy_due = models.BooleanField(default=False, editable=False)
    # The status the deadline sweep last handled (agreements/deadlines/sweep.py): a row whose status differs, however
    # it changed, is in a small partial index, so that the sweep reads what changed, not every agreement (issue 13).
    swept_status = models.CharField(max_length=20, blank=True, default="", editable=False)

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
            # The sweep reads the few agreements whose public copy is due, not every posted one.
            models.Index(fields=["id"], condition=Q(public_copy_due=True), name="agreement_public_copy_due"),
            # The deadline sweep: the agreements whose status changed since it last looked, and the executed ones by
            # the end of their term (it expires those that ended).
            models.Index(fields=["id"], condition=~Q(status=F("swept_status")), name="agreement_sweep_pending"),
            models.Index(fields=["contract_end"], condition=Q(status="executed"), name="agreement_executed_end"),
            # The statewide feed and the latest postings: newest first among the posted ones.
            models.Index(
                F("posted_at").desc(), F("id").desc(), condition=Q(posted_at__isnull=False), name="agreement_posted_at"
            ),
            models.Index(
                fields=["agency", "-posted_at", "-id"],
                condition=Q(posted_at__isnull=False),
                name="agreement_agency_posted_at",
            ),
            # The dashboards' lists, newest change first (selectors.LISTED_ORDER): a page of fifty read in order from
            # the index, not the district's or vendor's thousands of rows sorted for each page.
            models.Index(fields=["agency", "-status_changed_at", "-id"], name="agreement_agency_changed"),
            models.Index(fields=["contractor", "-status_changed_at", "-id"], name="agreement_contractor_changed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(contract_start__isnull=True)
                | Q(contract_end__isnull=True)
                | Q(contract_end__gte=F("contract_start")),
                name="agreement_term_valid_range",
                violation_error_message="The contract end date cannot be before its start date.",
            ),
            # An agreement that runs until terminated has a review date and no end date; one with a fixed term has
            # no review date. Whether the term is complete is checked when it is sent (agreement_send_to_vendor):
            # drafts made before the rule may still lack it.
            models.CheckConstraint(
                condition=(Q(runs_until_terminated=True) & Q(review_on__isnull=False) & Q(contract_end__isnull=True))
                | (Q(runs_until_terminated=False) & Q(review_on__isnull=True)),
                name="agreement_term_end_or_review",
                violation_error_message="An agreement that runs until terminated names a review date instead of an "
                "end date.",
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

    @property
    def term_missing(self) -> list[str]:
        """What the district must still give of the term before the agreement goes to the vendor (issue 11.1)."""
        missing = []
        if not self.service_agreement_date:
            missing.append("the Service Agreement's date")
        if not self.contract_start:
            missing.append("the contract start date")
        if self.runs_until_terminated:
            if not self.review_on:
                missing.append("the next review date")
        elif not self.contract_end:
            missing.append("the contract end date (or that it runs until terminated, with a review date)")
        return missing

    @property
    def signed_outside(self) -> bool:
        """Whether it was signed outside the portal and uploaded (issue 12): one query unless its OutsideSigning is
        loaded (select_related("outside_signing"))."""
        try:
            return self.outside_signing is not None
        except models.ObjectDoesNotExist:
            return False

    @property
    def term_end_day(self):
        """The day the end-of-term reminders count to: the end date, or the next review date."""
        return self.review_on if self.runs_until_terminated else self.contract_end


# Characters of a status change's note: a district's word to the vendor when it sends, approves, sends back or
# withdraws (the portal's own notes are shorter). The executed DPA's audit trail prints each one (issue 10).
STATUS_CHANGE_NOTE_LENGTH = 2_000


class StatusChange(models.Model):
    """One step of an agreement's lifecycle: who moved it, from what, to what, when and why."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="status_changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=Agreement.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Agreement.Status.choices)
    note = bounded_text(max_length=STATUS_CHANGE_NOTE_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        get_latest_by = "created_at"
        constraints = length_checks("status_change", {"note": STATUS_CHANGE_NOTE_LENGTH})

    def __str__(self):
        return f"{self.agreement_id}: {self.from_status or '-'} -> {self.to_status}"
