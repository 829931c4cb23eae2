"""The statuses of an agreement's lifecycle (DESIGN.md), and the groups of them that rules speak of.

Each group is written once, here; services, selectors, views, pages and the sweep read it from here, so that "posted"
or "ended" cannot mean one thing on a page and another in a rule.
"""

from django.db import models


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


S = AgreementStatus

# The groups of statuses that rules speak of, each written once; every module that needs one reads it from here.
# Before signing is complete the district may still withdraw (DPA lifecycle; an executed agreement never changes).
BEFORE_EXECUTION = (S.DRAFT, S.WITH_VENDOR, S.SUBMITTED, S.APPROVED, S.VENDOR_SIGNED)
# The vendor holds the pen, or the district reviews what it wrote: comments are open.
IN_REVIEW = (S.WITH_VENDOR, S.SUBMITTED)
# The district may still change the contract term: nothing is approved for signing yet.
TERM_EDITABLE = (S.DRAFT, S.WITH_VENDOR, S.SUBMITTED)
# Approved for signing: both parties sign the same copy.
SIGNING = (S.APPROVED, S.VENDOR_SIGNED)
# Signed by both: posted for the public (121.3(a); DPA Article III) and stays posted after it ends and after the data
# is destroyed. The data was shared under it, so a renewal in one of these statuses carries the data on.
POSTED = (S.EXECUTED, S.EXPIRED, S.TERMINATED, S.CLOSED)
# Executed and not yet certified destroyed: the vendor may still hold the data, so a breach can be reported under it
# (DPA II.12) and a parent's request can reach the vendor (DPA III.1).
HOLDS_DATA = (S.EXECUTED, S.EXPIRED, S.TERMINATED)
# The term is over: the data must be returned or destroyed, and its destruction certified (DPA II.9).
ENDED = (S.EXPIRED, S.TERMINATED)
# The term is over, whatever became of the data since: the return-or-destroy pages exist for these.
ENDED_OR_CLOSED = (S.EXPIRED, S.TERMINATED, S.CLOSED)
# An amendment or a renewal starts from an executed agreement, in effect or expired.
AMENDABLE = (S.EXECUTED, S.EXPIRED)
# A vendor does not see what a district is still preparing.
HIDDEN_FROM_VENDOR = (S.DRAFT,)
