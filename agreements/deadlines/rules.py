"""The duties the portal tracks, each with its rule and the source it comes from (reference/part121-and-csf.md)."""

from dataclasses import dataclass

from .calendar import CALENDAR

DISTRICT = "district"
VENDOR = "vendor"


@dataclass(frozen=True)
class Rule:
    title: str
    owed_by: str  # DISTRICT or VENDOR
    owed_to: str  # "{agency}" is replaced by the district's name
    days: int | None  # None: set per agreement or per district (end of term, return or destruction)
    day_kind: str
    source: str
    text: str
    # Reminders before the due date, in days; an overdue duty is escalated once, whatever the rule.
    reminders: tuple[int, ...] = ()


BREACH_NOTICE = "breach_notice"
BREACH_NYSED = "breach_nysed"
BREACH_PARENTS = "breach_parents"
ACCESS = "access"
CORRECTION = "correction"
COMPLAINT = "complaint"
TERM_END = "term_end"
RETURN_DESTROY = "return_destroy"

RULES: dict[str, Rule] = {
    BREACH_NOTICE: Rule(
        title="Notify the district of a breach",
        owed_by=VENDOR,
        owed_to="{agency}",
        days=7,
        day_kind=CALENDAR,
        source="8 NYCRR 121.10(a); DPA Article II.12(a)",
        text="The contractor notifies the district of a breach or unauthorized release of PII in the most expedient "
        "way possible and without unreasonable delay: no more than 7 calendar days after discovery (121.10(a)); "
        "the DPA says 7 business days (II.12(a)). The earlier date governs.",
    ),
    BREACH_NYSED: Rule(
        title="Report the breach to NYSED's Chief Privacy Officer",
        owed_by=DISTRICT,
        owed_to="NYSED Chief Privacy Officer",
        days=10,
        day_kind=CALENDAR,
        source="8 NYCRR 121.10(b), (d)",
        text="The district reports every breach or unauthorized release to the Chief Privacy Officer within 10 "
        "calendar days of receiving the contractor's notice (or of discovering it itself).",
        reminders=(3,),
    ),
    BREACH_PARENTS: Rule(
        title="Notify affected parents, eligible students, teachers and principals",
        owed_by=DISTRICT,
        owed_to="Affected parents, eligible students, teachers and principals",
        days=60,
        day_kind=CALENDAR,
        source="8 NYCRR 121.10(e)",
        text="The district notifies those affected within 60 calendar days of discovery or of receiving the "
        "contractor's notice. Where notice would interfere with a law enforcement investigation or expose an unfixed "
        "security vulnerability, it is delayed until 7 calendar days after the risk ends or the vulnerability is "
        "remedied.",
        reminders=(14, 3),
    ),
    ACCESS: Rule(
        title="Give a parent or eligible student access to their data",
        owed_by=VENDOR,
        owed_to="{agency}",
        days=30,
        day_kind=CALENDAR,
        source="DPA Article III.1",
        text="The contractor responds to the district's request for access to student data within 30 calendar days.",
        reminders=(7,),
    ),
    CORRECTION: Rule(
        title="Facilitate a correction of the data",
        owed_by=VENDOR,
        owed_to="{agency}",
        days=None,  # Exhibit B's correction_days of the agreement, 21 in the model DPA
        day_kind=CALENDAR,
        source="DPA Exhibit B (challenges to data accuracy)",
        text="The contractor facilitates the correction within the number of days written in Exhibit B of the "
        "district's written request.",
        reminders=(7,),
    ),
    COMPLAINT: Rule(
        title="Give findings on a complaint",
        owed_by=DISTRICT,
        owed_to="The complainant",
        days=60,
        day_kind=CALENDAR,
        source="8 NYCRR 121.4(c)",
        text="The district gives its findings within 60 calendar days of receiving the complaint; longer only with a "
        "written explanation and an approximate date.",
        reminders=(14, 3),
    ),
    TERM_END: Rule(
        title="The contract term ends",
        owed_by=DISTRICT,
        owed_to="{agency} and the contractor",
        days=None,  # the agreement's contract end date
        day_kind=CALENDAR,
        source="DPA Exhibit B (contract term)",
        text="On the last day of the term the agreement ends; renew it before then if the service continues. The "
        "portal marks the agreement expired the next day and opens the return-or-destroy duty.",
    ),
    RETURN_DESTROY: Rule(
        title="Return or destroy the data and certify its destruction",
        owed_by=VENDOR,
        owed_to="{agency}",
        days=None,  # the district's default (DeadlinePolicy.destruction_days)
        day_kind=CALENDAR,
        source="DPA Article II.9(a)-(c)",
        text="When the agreement ends, the contractor returns or transfers the data as the district directs, then "
        "securely deletes and destroys it, including the copies held by subcontractors, assignees and other "
        "authorized persons, and certifies the destruction in writing.",
        reminders=(14, 3),
    ),
}

# What a vendor sees of a district's duties: its own, and the end of the term.
VENDOR_VISIBLE = [kind for kind, rule in RULES.items() if rule.owed_by == VENDOR] + [TERM_END]
