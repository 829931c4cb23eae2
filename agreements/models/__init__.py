"""The agreements app's models: districts and their staff, the Agreement and its lifecycle."""

from .agreement import Agreement, AgreementKind, AgreementStatus, StatusChange
from .outbox import OutboundEmail
from .parties import DistrictMembership, EducationalAgency
from .signing import AgreementDocument, Signature

__all__ = [
    "Agreement",
    "AgreementDocument",
    "AgreementKind",
    "AgreementStatus",
    "DistrictMembership",
    "EducationalAgency",
    "OutboundEmail",
    "Signature",
    "StatusChange",
]
