"""Deadlines: the duties that follow signing (obligations), what opens them (breach reports, parent requests, the end
of the term) and what meets them (a destruction certificate), the district's closure dates, reminders sent."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dpa_portal.lengths import bounded_text, length_checks

from . import rules
from .calendar import BUSINESS, CALENDAR
from .storage import private_storage

DEFAULT_TERM_REMINDERS = list(rules.RULES[rules.TERM_END].reminders)
DEFAULT_DESTRUCTION_DAYS = rules.RULES[rules.RETURN_DESTROY].default_days
# Reminders are never further ahead than this (a district's policy is validated against it; the sweep reads no further).
MAX_REMINDER_DAYS = 365

# How long what people write here may be, in characters (issue 10; dpa_portal/lengths.py): room for what each item of
# DPA II.12(a), II.9(c) or 121.4 asks, and no more. Names, titles and telephone numbers are CharFields.
BREACH_REPORT_LENGTHS = {
    "pii_kinds": 1_000,  # "kinds of PII affected": a list
    "investigation": 5_000,  # what happened and what is being done: the longest thing a vendor writes here
}
# Who told the district of a breach it recorded itself (121.10(d)): a name and a role, or an organisation.
BREACH_TOLD_BY_LENGTH = 200
DESTRUCTION_CERTIFICATE_LENGTHS = {
    "data_description": 2_000,
    "return_details": 1_000,
    "method_details": 1_000,
    "subcontractor_details": 2_000,
    "review_note": 2_000,
}
# A district's note on a duty (what was done; why notice is delayed; why findings take longer), and what was done
# about a request (one form for both). `met_note` also holds the portal's words around a request's outcome ("Closed by
# the district: ...").
OBLIGATION_NOTE_LENGTH = 2_000
OBLIGATION_LENGTHS = {"met_note": OBLIGATION_NOTE_LENGTH + 500, "delay_note": OBLIGATION_NOTE_LENGTH}
PARENT_REQUEST_LENGTHS = {"details": 2_000, "outcome": OBLIGATION_NOTE_LENGTH}


class DeadlinePolicy(models.Model):
    """A district's own defaults: when to be reminded before a term ends, how long a vendor has to return or destroy
    the data after it ends (DPA II.9: "set by the agreement"; the district's default stands in for it)."""

    agency = models.OneToOneField(
        "agreements.EducationalAgency", on_delete=models.CASCADE, related_name="deadline_policy"
    )
    term_reminder_days = models.JSONField(
        "reminders before a contract ends (days)", default=list, help_text="For example 90, 30, 7."
    )
    destruction_days = models.PositiveSmallIntegerField(
        "days to return or destroy the data after the term ends", default=DEFAULT_DESTRUCTION_DAYS
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "deadline policy"
        verbose_name_plural = "deadline policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(destruction_days__gte=1) & Q(destruction_days__lte=365), name="deadline_policy_days_range"
            ),
        ]

    def __str__(self):
        return f"Deadline policy of {self.agency}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The term-end reminders' days follow the policy: the sweep works them out again for the district's duties.
        Obligation.objects.filter(agency_id=self.agency_id, kind=rules.TERM_END).filter(_REMINDED).update(
            remind_basis=None
        )

    @property
    def reminders(self) -> list[int]:
        return sorted(self.term_reminder_days or DEFAULT_TERM_REMINDERS, reverse=True)


class DistrictClosure(models.Model):
    """A day the district is closed (beyond weekends and New York State holidays): not a business day."""

    agency = models.ForeignKey("agreements.EducationalAgency", on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "date"]
        constraints = [models.UniqueConstraint(fields=["agency", "date"], name="district_closure_unique")]

    def __str__(self):
        return f"{self.agency}: closed {self.date} ({self.reason})"


class BreachReport(models.Model):
    """A contractor's notice of a breach or unauthorized release of PII, with every item of DPA Article II.12(a),
    to one or more districts (through their agreements); or a breach a district recorded itself, without a report in
    the portal (121.10(d)): discovered by the district, told by a third party, or a vendor's notice received outside
    the portal (its letter attached)."""

    class Source(models.TextChoices):
        PORTAL = "portal", "Reported by the vendor in the portal"
        DISTRICT = "district", "Discovered by the district"
        THIRD_PARTY = "third_party", "Reported to the district by a third party"
        VENDOR_LETTER = "vendor_letter", "The vendor's notice, received outside the portal"

    # The district's clocks start when it learns of the breach (121.10(b), (d)): the day it discovered it, was told
    # of it, or received the vendor's letter; for a report in the portal, the day it was filed.
    DISTRICT_LEARNED = {
        Source.DISTRICT: "the district discovered the breach itself",
        Source.THIRD_PARTY: "a third party told the district of the breach",
        Source.VENDOR_LETTER: "the district received the vendor's notice outside the portal",
    }

    source = models.CharField("how the district learned of it", max_length=20, choices=Source.choices, default="portal")
    learned_on = models.DateField("date the district learned of it", null=True, blank=True)
    told_by = models.CharField(
        "who told the district",
        max_length=BREACH_TOLD_BY_LENGTH,
        blank=True,
        help_text="A name and role, or an organisation.",
    )
    letter = models.FileField(
        "the vendor's letter", upload_to="breach-letters/%Y/", storage=private_storage, max_length=200, blank=True
    )
    contractor = models.ForeignKey("vendors.Contractor", on_delete=models.PROTECT, related_name="breach_reports")
    agreements = models.ManyToManyField("agreements.Agreement", related_name="breach_reports")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filed_at = models.DateTimeField("notice given", default=timezone.now)
    incident_date = models.DateField("date of the incident")
    discovery_date = models.DateField("date of discovery")
    pii_kinds = bounded_text("kinds of PII affected", max_length=BREACH_REPORT_LENGTHS["pii_kinds"])
    # Unknown (empty) only in a breach the district recorded; a vendor's report in the portal gives every item.
    records_affected = models.PositiveIntegerField("number of records affected", null=True, blank=True)
    investigation = bounded_text("description of the investigation", max_length=BREACH_REPORT_LENGTHS["investigation"])
    contact_name = models.CharField("contact's name", max_length=200, blank=True)
    contact_title = models.CharField("contact's title", max_length=200, blank=True)
    contact_email = models.EmailField("contact's e-mail", blank=True)
    contact_phone = models.CharField("contact's telephone", max_length=40, blank=True)

    class Meta:
        ordering = ["-filed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discovery_date__gte=models.F("incident_date")), name="breach_discovered_after_incident"
            ),
            models.CheckConstraint(
                condition=Q(source__in=["portal", "district", "third_party", "vendor_letter"]), name="breach_source"
            ),
            # A vendor's report in the portal gives every item of II.12(a); a district's record says when it learned.
            models.CheckConstraint(
                condition=Q(
                    source="portal",
                    records_affected__isnull=False,
                    learned_on__isnull=True,
                    letter="",
                    told_by="",
                )
                & ~Q(contact_name="")
                & ~Q(contact_email="")
                & ~Q(contact_phone="")
                | ~Q(source="portal") & Q(learned_on__isnull=False),
                name="breach_report_complete",
            ),
            models.CheckConstraint(condition=~Q(source="vendor_letter") | ~Q(letter=""), name="breach_letter_attached"),
            models.CheckConstraint(condition=~Q(source="third_party") | ~Q(told_by=""), name="breach_told_by_whom"),
            *length_checks("breach_report", BREACH_REPORT_LENGTHS),
        ]

    def __str__(self):
        return f"Breach report of {self.contractor} ({self.discovery_date})"

    @property
    def notice_date(self):
        return timezone.localdate(self.filed_at)

    @property
    def recorded_by_district(self) -> bool:
        return self.source != self.Source.PORTAL

    @property
    def district_clock_start(self):
        """The day the district's 121.10(b) and (e) clocks start."""
        return self.learned_on if self.recorded_by_district else self.notice_date

    @property
    def learned_how(self) -> str:
        """How the district learned of the breach, in words: shown on the report and on each duty it opened."""
        if not self.recorded_by_district:
            return "the vendor's report in the portal"
        told = f" ({self.told_by})" if self.told_by else ""
        return f"{self.DISTRICT_LEARNED[self.Source(self.source)]}{told}"


class ParentRequest(models.Model):
    """A request from a parent, eligible student, teacher or principal, recorded by the district."""

    class Kind(models.TextChoices):
        ACCESS = "access", "Access to the data (DPA III.1)"
        CORRECTION = "correction", "Correction of the data (Exhibit B)"
        COMPLAINT = "complaint", "Complaint (121.4(c))"

    class Requester(models.TextChoices):
        PARENT = "parent", "Parent"
        ELIGIBLE_STUDENT = "eligible_student", "Eligible student"
        TEACHER = "teacher", "Teacher"
        PRINCIPAL = "principal", "Principal"

    # The vendor must act on these two; a complaint is the district's to answer.
    VENDOR_ACTS = (Kind.ACCESS, Kind.CORRECTION)

    agency = models.ForeignKey("agreements.EducationalAgency", on_delete=models.PROTECT, related_name="parent_requests")
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.PROTECT, null=True, blank=True, related_name="parent_requests"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    requester = models.CharField("from", max_length=20, choices=Requester.choices)
    reference = models.CharField(
        "your reference", max_length=100, blank=True, help_text="The district's own case number, not a name."
    )
    received_on = models.DateField("received on")
    details = bounded_text("what is asked", max_length=PARENT_REQUEST_LENGTHS["details"])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = bounded_text("what was done", max_length=PARENT_REQUEST_LENGTHS["outcome"], blank=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["access", "correction", "complaint"]), name="parent_request_kind"
            ),
            models.CheckConstraint(
                condition=Q(kind="complaint") | Q(agreement__isnull=False), name="parent_request_vendor_needs_agreement"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(outcome=""), name="parent_request_closed_with_outcome"
            ),
            *length_checks("parent_request", PARENT_REQUEST_LENGTHS),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} from a {self.get_requester_display().lower()} ({self.received_on})"


class DestructionCertificate(models.Model):
    """The contractor's written certification that the data is destroyed (DPA II.9(c)), which the district accepts."""

    class Method(models.TextChoices):
        PURGE = "purge", "Purged (NIST SP 800-88)"
        CRYPTO_ERASE = "crypto_erase", "Cryptographic erase (NIST SP 800-88)"
        CLEAR = "clear", "Cleared (NIST SP 800-88)"
        PHYSICAL = "physical", "Physical destruction of the media"
        OTHER = "other", "Other (described below)"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Awaiting the district"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Returned to the vendor"

    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.PROTECT, related_name="destruction_certificates"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    certified_at = models.DateTimeField("certified", default=timezone.now)
    signer_name = models.CharField("certified by (name)", max_length=200)
    signer_title = models.CharField("title", max_length=200)
    data_description = bounded_text(
        "what data was destroyed", max_length=DESTRUCTION_CERTIFICATE_LENGTHS["data_description"]
    )
    returned_first = models.BooleanField("the data was returned or transferred to the district first", default=False)
    return_details = bounded_text(
        "how and when it was returned or transferred",
        max_length=DESTRUCTION_CERTIFICATE_LENGTHS["return_details"],
        blank=True,
    )
    method = models.CharField("method of destruction", max_length=20, choices=Method.choices)
    method_details = bounded_text(
        "details of the method", max_length=DESTRUCTION_CERTIFICATE_LENGTHS["method_details"], blank=True
    )
    destroyed_on = models.DateField("date of destruction")
    subcontractors_included = models.BooleanField(
        "includes every copy held by subcontractors, assignees and other authorized persons (DPA II.9(b)-(c))",
        default=False,
    )
    subcontractor_details = bounded_text(
        "which subcontractors' copies, and how they were destroyed",
        max_length=DESTRUCTION_CERTIFICATE_LENGTHS["subcontractor_details"],
        blank=True,
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = bounded_text(max_length=DESTRUCTION_CERTIFICATE_LENGTHS["review_note"], blank=True)

    class Meta:
        ordering = ["-certified_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "accepted", "rejected"]), name="destruction_certificate_status"
            ),
            models.CheckConstraint(
                condition=Q(subcontractors_included=True), name="destruction_includes_subcontractors"
            ),
            # One certificate waiting for the district at a time, and one accepted for good.
            models.UniqueConstraint(
                fields=["agreement"], condition=Q(status="submitted"), name="destruction_one_pending"
            ),
            models.UniqueConstraint(
                fields=["agreement"], condition=Q(status="accepted"), name="destruction_one_accepted"
            ),
            *length_checks("destruction_certificate", DESTRUCTION_CERTIFICATE_LENGTHS),
        ]

    def __str__(self):
        return f"Destruction certificate for agreement {self.agreement_id} ({self.get_status_display()})"


# The duties the sweep may remind of (a breach notice is the vendor's, given at once: none), open ones...
_REMINDED = Q(status__in=["open", "overdue"]) & ~Q(kind=rules.BREACH_NOTICE)
# ... whose next reminder day is set (the sweep reads those on or before today) ...
REMIND_DUE = _REMINDED & Q(remind_on__isnull=False)
# ... or whose reminder day is still to be worked out for their due date. No negation, so that the query and the
# partial index read the same SQL whatever the NULLs.
REMIND_STALE = (
    _REMINDED
    & Q(due_on__isnull=False)
    & (Q(remind_basis__isnull=True) | Q(remind_basis__lt=models.F("due_on")) | Q(remind_basis__gt=models.F("due_on")))
)


class Obligation(models.Model):
    """One duty with a due date: what, from whom, to whom, under which rule and source, when the clock started."""

    class Kind(models.TextChoices):
        BREACH_NOTICE = rules.BREACH_NOTICE, "Breach notice to the district"
        BREACH_NYSED = rules.BREACH_NYSED, "Breach report to NYSED"
        BREACH_PARENTS = rules.BREACH_PARENTS, "Breach notice to those affected"
        ACCESS = rules.ACCESS, "Access request"
        CORRECTION = rules.CORRECTION, "Correction request"
        COMPLAINT = rules.COMPLAINT, "Complaint findings"
        TERM_END = rules.TERM_END, "End of the contract term"
        RETURN_DESTROY = rules.RETURN_DESTROY, "Return or destroy the data"
        SUBCONTRACTOR_NOTICE = rules.SUBCONTRACTOR_NOTICE, "Subcontractor failed to comply; access removed (II.6(c))"
        SUBPOENA_NOTICE = rules.SUBPOENA_NOTICE, "Court order or subpoena (II.6(e))"
        TRAINING = rules.TRAINING, "Staff with access trained (II.7)"
        PARENT_REFERRAL = rules.PARENT_REFERRAL, "Parent referred to the district (III.1)"
        REIMBURSEMENT = rules.REIMBURSEMENT, "Reimbursement of notification costs (II.14)"

    class Party(models.TextChoices):
        DISTRICT = rules.DISTRICT, "District"
        VENDOR = rules.VENDOR, "Vendor"

    class DayKind(models.TextChoices):
        CALENDAR = CALENDAR, "calendar days"
        BUSINESS = BUSINESS, "business days"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        OVERDUE = "overdue", "Overdue"
        MET = "met", "Met"
        CANCELLED = "cancelled", "Cancelled"

    class Delay(models.TextChoices):
        LAW_ENFORCEMENT = "law_enforcement", "A law enforcement investigation (121.10(e))"
        VULNERABILITY = "vulnerability", "An unfixed security vulnerability (121.10(e))"
        EXTENSION = "extension", "Extended with a written explanation (121.4(c))"

    OPEN_STATUSES = (Status.OPEN, Status.OVERDUE)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    agency = models.ForeignKey("agreements.EducationalAgency", on_delete=models.PROTECT, related_name="obligations")
    contractor = models.ForeignKey(
        "vendors.Contractor", on_delete=models.PROTECT, null=True, blank=True, related_name="obligations"
    )
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.PROTECT, null=True, blank=True, related_name="obligations"
    )
    breach_report = models.ForeignKey(
        BreachReport, on_delete=models.PROTECT, null=True, blank=True, related_name="obligations"
    )
    parent_request = models.ForeignKey(
        ParentRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="obligations"
    )
    certificate = models.ForeignKey(
        DestructionCertificate, on_delete=models.PROTECT, null=True, blank=True, related_name="obligations"
    )

    title = models.CharField(max_length=200)
    owed_by = models.CharField(max_length=10, choices=Party.choices)
    owed_to = models.CharField(max_length=200)
    rule = models.TextField()
    source = models.CharField(max_length=200)
    day_kind = models.CharField(max_length=10, choices=DayKind.choices, default=DayKind.CALENDAR)
    clock_started_on = models.DateField("clock started")
    # Empty only while a breach notice to parents is delayed and the remedy date is not known yet (121.10(e)).
    due_on = models.DateField("due", null=True, blank=True, db_index=True)
    due_explanation = models.TextField(blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    met_at = models.DateTimeField(null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    met_note = bounded_text("what was done", max_length=OBLIGATION_LENGTHS["met_note"], blank=True)

    delay_reason = models.CharField(max_length=20, choices=Delay.choices, blank=True)
    delay_note = bounded_text(max_length=OBLIGATION_LENGTHS["delay_note"], blank=True)
    delay_recorded_at = models.DateTimeField(null=True, blank=True)
    delay_ended_on = models.DateField("remedied on", null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)

    # Worked out by the sweep (sweep.py, _remind): the next day it has a reminder or an escalation of this duty to
    # send, for the due date in remind_basis. A duty whose due date is not the one its day was worked out for (new,
    # moved, or its district's policy changed: DeadlinePolicy.save) is read again, so that the sweep reads what is due
    # or changed, never every open duty (issue 13).
    remind_on = models.DateField(null=True, blank=True, editable=False)
    remind_basis = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["remind_on"], condition=REMIND_DUE, name="obligation_remind_on"),
            models.Index(fields=["due_on"], condition=REMIND_STALE, name="obligation_remind_stale"),
            models.Index(fields=["status", "due_on"], name="obligation_status_due"),
            models.Index(fields=["agency", "status"], name="obligation_agency_status"),
            models.Index(fields=["contractor", "status"], name="obligation_contractor_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "overdue", "met", "cancelled"]), name="obligation_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="met") | Q(met_at__isnull=False), name="obligation_met_has_time"
            ),
            # No date only while a notice to parents is delayed, or for a notice the DPA gives no date (recorded when
            # given: rules.VENDOR_NOTICES but the subpoena's, due by the disclosure).
            models.CheckConstraint(
                condition=Q(due_on__isnull=False)
                | ~Q(delay_reason="")
                | Q(kind__in=[k for k in rules.VENDOR_NOTICES if k != rules.SUBPOENA_NOTICE]),
                name="obligation_due_unless_delayed",
            ),
            # One end of term and one return-or-destroy duty per agreement; one duty of each kind per breach
            # report and district, and per request: a second sweep or a double click cannot open another.
            models.UniqueConstraint(
                fields=["agreement", "kind"],
                condition=Q(kind__in=[rules.TERM_END, rules.RETURN_DESTROY]),
                name="obligation_one_per_agreement",
            ),
            models.UniqueConstraint(
                fields=["breach_report", "agency", "kind"],
                condition=Q(breach_report__isnull=False),
                name="obligation_one_per_breach_district",
            ),
            models.UniqueConstraint(
                fields=["parent_request", "kind"],
                condition=Q(parent_request__isnull=False),
                name="obligation_one_per_request",
            ),
            *length_checks("obligation", OBLIGATION_LENGTHS),
        ]

    def __str__(self):
        return f"{self.title} ({self.agency}, due {self.due_on or 'when remedied'})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def delay_under_review(self) -> bool:
        """A delayed notice to those affected (121.10(e)) whose remedy is not recorded yet: its date is the date the
        district reviews the delay by, not the notice's due date."""
        return (
            self.kind == self.Kind.BREACH_PARENTS
            and self.delay_reason in (self.Delay.LAW_ENFORCEMENT, self.Delay.VULNERABILITY)
            and self.delay_ended_on is None
        )

    def days_left(self, today=None) -> int | None:
        if self.due_on is None:
            return None
        return (self.due_on - (today or timezone.localdate())).days

    @property
    def is_late(self) -> bool:
        """Overdue now, or met after its due date."""
        if self.due_on is None:
            return False
        if self.status == self.Status.MET:
            return timezone.localdate(self.met_at) > self.due_on
        return self.is_open and self.due_on < timezone.localdate()

    @property
    def due_phrase(self) -> str:
        """ "due today", "due in 3 days", "2 days overdue", as of today; "met", "cancelled" once closed."""
        if self.status == self.Status.MET:
            return "met late" if self.is_late else "met on time"
        if self.status == self.Status.CANCELLED:
            return "cancelled"
        left = self.days_left()
        if left is None and not self.delay_reason:
            return "no fixed date"
        if left is None:
            return "delayed: no due date until the remedy date is recorded"
        if self.delay_under_review:
            if left < 0:
                return f"delayed; the review of the delay is {-left} day{'s' if left != -1 else ''} overdue"
            return "delayed; review the delay today" if left == 0 else f"delayed; review the delay in {left} days"
        if left == 0:
            return "due today"
        if left > 0:
            return f"due in {left} day{'s' if left != 1 else ''}"
        return f"{-left} day{'s' if left != -1 else ''} overdue"

    @property
    def party(self):
        """The organisation that owes the duty."""
        return self.contractor if self.owed_by == self.Party.VENDOR and self.contractor_id else self.agency

    @property
    def shown_status(self) -> str:
        """The status as of today, between two sweeps."""
        if self.status == self.Status.OPEN and self.is_late:
            return self.Status.OVERDUE.label
        if self.status == self.Status.OPEN and self.due_on is None:
            return "Delayed"
        return self.get_status_display()


class Reminder(models.Model):
    """One reminder or escalation of one obligation. The unique (obligation, kind) pair is the claim: the sweep that
    inserts the row sends the e-mail, and a second sweep's insert does nothing (ON CONFLICT DO NOTHING)."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, help_text='"before:N" (N days before), or "overdue" (escalation).')
    email = models.ForeignKey(
        "agreements.OutboundEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["obligation", "claimed_at"]
        constraints = [models.UniqueConstraint(fields=["obligation", "kind"], name="reminder_once_per_kind")]

    def __str__(self):
        return f"{self.kind} reminder of obligation {self.obligation_id}"


class CalendarFeed(models.Model):
    """A person's secret iCalendar link: only the SHA-256 of the token is kept; revoking deletes the row."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deadline_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "calendar feed"

    def __str__(self):
        return f"Calendar feed of {self.user}"
