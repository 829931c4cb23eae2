"""Business rules of deadlines, by what opens a duty. Writes take keyword-only arguments and are named <thing>_<verb>.

Every duty is an Obligation opened here with its rule, source, clock start and due date; e-mail goes through the
outbox (agreements.mail.email_enqueue); status changes of an agreement go through agreement_transition.
"""

from .breaches import (
    breach_eligible_agreements,
    breach_notice_due,
    breach_record,
    breach_report_file,
    parent_notice_delay,
    parent_notice_remedied,
)
from .district import closure_add, closure_remove, policy_update
from .duties import (
    closures_of,
    district_admin_emails,
    due_after,
    obligation_build,
    obligation_mark_met,
    obligation_meet,
    policy_of,
)
from .feed import calendar_feed_issue, calendar_feed_revoke
from .notices import dpa_notice_give, reimbursement_request
from .outside import imported_deadlines_open, past_at_import_note
from .requests import complaint_extend, parent_request_close, parent_request_record
from .term import (
    agreement_expire,
    destruction_certificate_accept,
    destruction_certificate_file,
    destruction_certificate_reject,
    return_destroy_obligation,
    successor_in_effect,
    term_end_obligation,
)
from .term_change import agreement_review_record, agreement_term_change

__all__ = [
    "agreement_expire",
    "agreement_review_record",
    "agreement_term_change",
    "breach_eligible_agreements",
    "breach_notice_due",
    "breach_record",
    "breach_report_file",
    "calendar_feed_issue",
    "calendar_feed_revoke",
    "closure_add",
    "closure_remove",
    "closures_of",
    "complaint_extend",
    "destruction_certificate_accept",
    "destruction_certificate_file",
    "destruction_certificate_reject",
    "district_admin_emails",
    "dpa_notice_give",
    "due_after",
    "imported_deadlines_open",
    "obligation_build",
    "obligation_mark_met",
    "obligation_meet",
    "parent_notice_delay",
    "parent_notice_remedied",
    "parent_request_close",
    "parent_request_record",
    "past_at_import_note",
    "policy_of",
    "policy_update",
    "reimbursement_request",
    "return_destroy_obligation",
    "successor_in_effect",
    "term_end_obligation",
]
