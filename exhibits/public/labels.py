"""What the public pages call things, in the visitor's language. The DPA's own wording stays in the templates."""

from django.utils.translation import gettext_lazy as _

from agreements.models import AgreementStatus, statuses
from exhibits.models import RedactionField

S = AgreementStatus


STATUS_LABELS = {
    S.EXECUTED: _("In effect"),
    S.EXPIRED: _("Expired"),
    S.TERMINATED: _("Terminated"),
    S.CLOSED: _("Ended, data destroyed"),
}

# The order of a district's list: agreements in effect first, then those that ended.
STATUS_ORDER = {status: n for n, status in enumerate(statuses.POSTED)}

PII_LABELS = {
    "student": _("Student data"),
    "appr": _("Teacher and principal evaluation data (APPR)"),
}

FIELD_LABELS = {
    RedactionField.PURPOSES: _("Exclusive purposes"),
    RedactionField.SUBCONTRACTORS: _("Subcontractors"),
    RedactionField.DATA_TRANSITION: _("What happens to the data at the end"),
    RedactionField.STORAGE: _("Where the data is stored"),
    RedactionField.SECURITY_MEASURES: _("How the data is protected"),
    RedactionField.ENCRYPTION: _("Encryption"),
}

# The NYSED contacts of the model Bill of Rights, item 6(ii) (exhibits/bill_of_rights.py has the sentence).
NYSED_COMPLAINTS = {
    "url": "https://www.nysed.gov/data-privacy-security/report-improper-disclosure",
    "email": "privacy@nysed.gov",
    "phone": "518-474-0937",
    "mail": "Chief Privacy Officer, New York State Education Department, 89 Washington Avenue, Albany, NY 12234",
}
