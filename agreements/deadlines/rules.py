"""The duties the portal tracks, each with its rule and the source it comes from (reference/part121-and-csf.md).

Every legal day count lives here and nowhere else: the services compute due dates from `Rule.clocks`, the pages and
e-mails print them through `Rule.text` and the `rule_days` template filter, and a test checks the README's table
against this module. Change a number here and everything that states or applies it follows.
"""

from dataclasses import dataclass, field

from .calendar import BUSINESS, CALENDAR

DISTRICT = "district"
VENDOR = "vendor"


@dataclass(frozen=True)
class Clock:
    """One time limit: `days` days of `day_kind` after the clock starts, as `source` sets it."""

    days: int
    day_kind: str
    source: str

    @property
    def phrase(self) -> str:
        return f"{self.days} {self.day_kind} days"


@dataclass(frozen=True)
class Rule:
    title: str
    owed_by: str  # DISTRICT or VENDOR
    owed_to: str  # "{agency}" is replaced by the district's name
    source: str
    # The limits that run from the same start; where there are several, the earliest date governs. Empty where the
    # agreement or the district sets the limit (`default_days` says what applies when it does not).
    clocks: tuple[Clock, ...]
    wording: str  # the rule in words; {days}, {business_days}, {delayed_days}, {default_days}, {review_days} filled in
    default_days: int | None = None
    # 121.10(e): a delayed notice is due this many calendar days after the delay ends.
    delayed_days: int | None = None
    # While a notice is delayed, the district names the date it next reviews the delay; this many calendar days ahead
    # unless it names another (the portal's default: the regulation sets no interval, see README "Deadlines").
    review_days: int | None = None
    # Reminders before the due date, in days; an overdue duty is escalated once, whatever the rule.
    reminders: tuple[int, ...] = field(default=())

    @property
    def days(self) -> int | None:
        """The limit in calendar days, where the rule sets one in calendar days."""
        return next((c.days for c in self.clocks if c.day_kind == CALENDAR), None)

    @property
    def day_kind(self) -> str:
        return self.clocks[0].day_kind if self.clocks else CALENDAR

    @property
    def text(self) -> str:
        business = next((c.days for c in self.clocks if c.day_kind == BUSINESS), None)
        return self.wording.format(
            days=self.days,
            business_days=business,
            delayed_days=self.delayed_days,
            default_days=self.default_days,
            review_days=self.review_days,
        )


BREACH_NOTICE = "breach_notice"
BREACH_NYSED = "breach_nysed"
BREACH_PARENTS = "breach_parents"
ACCESS = "access"
CORRECTION = "correction"
COMPLAINT = "complaint"
TERM_END = "term_end"
RETURN_DESTROY = "return_destroy"
# Duties of DPA Articles II-III that set no number of days (issue 11.7): "promptly", "prior to receiving access",
# "no later than the time the PII is disclosed". The portal gives them no due date of its own: a notice is recorded
# when given; a subpoena's notice is due by the disclosure date the vendor states; a reimbursement by the date the
# district names (README "Deadlines").
SUBCONTRACTOR_NOTICE = "subcontractor_notice"
SUBPOENA_NOTICE = "subpoena_notice"
TRAINING = "training"
PARENT_REFERRAL = "parent_referral"
REIMBURSEMENT = "reimbursement"

RULES: dict[str, Rule] = {
    BREACH_NOTICE: Rule(
        title="Notify the district of a breach",
        owed_by=VENDOR,
        owed_to="{agency}",
        source="8 NYCRR 121.10(a); DPA Article II.12(a)",
        clocks=(Clock(7, CALENDAR, "8 NYCRR 121.10(a)"), Clock(7, BUSINESS, "DPA Article II.12(a)")),
        wording="The contractor notifies the district of a breach or unauthorized release of PII in the most expedient "
        "way possible and without unreasonable delay: no more than {days} calendar days after discovery (121.10(a)); "
        "the DPA says {business_days} business days (II.12(a)). The earlier date governs.",
    ),
    BREACH_NYSED: Rule(
        title="Report the breach to NYSED's Chief Privacy Officer",
        owed_by=DISTRICT,
        owed_to="NYSED Chief Privacy Officer",
        source="8 NYCRR 121.10(b), (d)",
        clocks=(Clock(10, CALENDAR, "8 NYCRR 121.10(b)"),),
        wording="The district reports every breach or unauthorized release to the Chief Privacy Officer within {days} "
        "calendar days of receiving the contractor's notice (or of discovering it itself).",
        reminders=(3,),
    ),
    BREACH_PARENTS: Rule(
        title="Notify affected parents, eligible students, teachers and principals",
        owed_by=DISTRICT,
        owed_to="Affected parents, eligible students, teachers and principals",
        source="8 NYCRR 121.10(e)",
        clocks=(Clock(60, CALENDAR, "8 NYCRR 121.10(e)"),),
        delayed_days=7,
        review_days=30,
        wording="The district notifies those affected within {days} calendar days of discovery or of receiving the "
        "contractor's notice. Where notice would interfere with a law enforcement investigation or expose an unfixed "
        "security vulnerability, it is delayed until {delayed_days} calendar days after the risk ends or the "
        "vulnerability is remedied; while delayed, the district reviews the delay by a date it names (every "
        "{review_days} days unless it says otherwise).",
        reminders=(14, 3),
    ),
    ACCESS: Rule(
        title="Give a parent or eligible student access to their data",
        owed_by=VENDOR,
        owed_to="{agency}",
        source="DPA Article III.1",
        clocks=(Clock(30, CALENDAR, "DPA Article III.1"),),
        wording="The contractor responds to the district's request for access to student data within {days} calendar "
        "days.",
        reminders=(7,),
    ),
    CORRECTION: Rule(
        title="Facilitate a correction of the data",
        owed_by=VENDOR,
        owed_to="{agency}",
        source="DPA Exhibit B (challenges to data accuracy)",
        clocks=(),  # Exhibit B's correction_days of the agreement
        default_days=21,  # the model DPA's Exhibit B
        wording="The contractor facilitates the correction within the number of days written in Exhibit B of the "
        "district's written request.",
        reminders=(7,),
    ),
    COMPLAINT: Rule(
        title="Give findings on a complaint",
        owed_by=DISTRICT,
        owed_to="The complainant",
        source="8 NYCRR 121.4(c)",
        clocks=(Clock(60, CALENDAR, "8 NYCRR 121.4(c)"),),
        wording="The district gives its findings within {days} calendar days of receiving the complaint; longer only "
        "with a written explanation and an approximate date.",
        reminders=(14, 3),
    ),
    TERM_END: Rule(
        title="The contract term ends",
        owed_by=DISTRICT,
        owed_to="{agency} and the contractor",
        source="DPA Exhibit B (contract term)",
        clocks=(),  # the agreement's contract end date
        wording="On the last day of the term the agreement ends; renew it before then if the service continues. The "
        "portal marks the agreement expired the next day and opens the return-or-destroy duty.",
        reminders=(90, 30, 7),  # the default; a district sets its own (DeadlinePolicy.term_reminder_days)
    ),
    RETURN_DESTROY: Rule(
        title="Return or destroy the data and certify its destruction",
        owed_by=VENDOR,
        owed_to="{agency}",
        source="DPA Article II.9(a)-(c)",
        clocks=(),  # the district's period (DeadlinePolicy.destruction_days)
        default_days=30,
        wording="When the agreement ends, the contractor returns or transfers the data as the district directs, then "
        "securely deletes and destroys it, including the copies held by subcontractors, assignees and other "
        "authorized persons, and certifies the destruction in writing.",
        reminders=(14, 3),
    ),
    SUBCONTRACTOR_NOTICE: Rule(
        title="Notify the district that a subcontractor failed to comply, and remove its access",
        owed_by=VENDOR,
        owed_to="{agency}",
        source="DPA Article II.6(c)",
        clocks=(),  # the DPA sets no number of days
        wording="If a subcontractor fails to materially comply with the DPA, the contractor notifies the district, "
        "removes the subcontractor's access to PII and, as applicable, retrieves the PII or makes sure it is "
        "securely deleted and destroyed. The DPA sets no number of days: the portal records the notice when given.",
    ),
    SUBPOENA_NOTICE: Rule(
        title="Notify the district of a court order or subpoena before disclosing PII",
        owed_by=VENDOR,
        owed_to="{agency}",
        source="DPA Article II.6(e)",
        clocks=(),  # the date of the disclosure
        wording="PII is disclosed to another party only where a statute, court order or subpoena requires it; the "
        "contractor makes a reasonable effort to notify the district before complying and in any case no later than "
        "the time the PII is disclosed, unless the order itself prohibits telling the district. Due by the date of "
        "disclosure.",
    ),
    TRAINING: Rule(
        title="Confirm that staff and subcontractors with access to PII were trained",
        owed_by=VENDOR,
        owed_to="{agency}",
        source="DPA Article II.7",
        clocks=(),  # before access: no number of days
        wording="Every employee and subcontractor of the contractor with access to PII receives training on the "
        "federal and state laws governing its confidentiality before receiving access. The portal records the "
        "contractor's confirmation when given.",
    ),
    PARENT_REFERRAL: Rule(
        title="Tell the district of a parent who asked the vendor directly, and refer them to it",
        owed_by=VENDOR,
        owed_to="{agency}",
        source="DPA Article III.1",
        clocks=(),  # "promptly"
        wording="If a parent or eligible student contacts the contractor directly to review student data, the "
        "contractor promptly notifies the district and refers them to it. The DPA sets no number of days: the "
        "portal records the notice when given.",
    ),
    REIMBURSEMENT: Rule(
        title="Reimburse the district's cost of notifying those affected by a breach",
        owed_by=VENDOR,
        owed_to="{agency}",
        source="DPA Article II.14",
        clocks=(),  # "promptly": by the date the district names
        wording="Where a breach is attributable to the contractor, it pays for or promptly reimburses the full cost "
        "of the district's notification to parents, eligible students, teachers and principals. The DPA says "
        '"promptly": due by the date the district names when it asks.',
        reminders=(7,),
    ),
}

# Kinds of notice a vendor gives on its own (issue 11.7): each recorded as met when given, with what it said.
VENDOR_NOTICES = (SUBCONTRACTOR_NOTICE, SUBPOENA_NOTICE, TRAINING, PARENT_REFERRAL)
# Kinds the district asks of a vendor with a date it names.
DISTRICT_ASKS = (REIMBURSEMENT,)

# What a vendor sees of a district's duties: its own, and the end of the term.
VENDOR_VISIBLE = [kind for kind, rule in RULES.items() if rule.owed_by == VENDOR] + [TERM_END]

# Duties that the portal itself marks as met, never a person: the breach notice is met by filing the report, the end
# of the term by the sweep's expiry, the return or destruction by an accepted destruction certificate.
MET_BY_PORTAL = frozenset({BREACH_NOTICE, TERM_END, RETURN_DESTROY, *VENDOR_NOTICES})


def limit(kind: str) -> int:
    """The one limit in calendar days of a duty whose rule sets one (breach, access, complaint duties)."""
    days = RULES[kind].days
    if days is None:
        raise KeyError(f"The rule of {kind} sets no fixed number of days.")
    return days
