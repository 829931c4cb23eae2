"""The agreements app's models: districts and their staff, the Agreement and its lifecycle."""

from agreements.deadlines.models import (
    BreachReport,
    CalendarFeed,
    DeadlinePolicy,
    DestructionCertificate,
    DistrictClosure,
    Obligation,
    ParentRequest,
    Reminder,
)

from . import statuses  # the groups of statuses: statuses.POSTED, statuses.ENDED...
from .agreement import Agreement, AgreementKind, AgreementStatus, StatusChange
from .outbox import OutboundEmail
from .outside import OutsideSigning
from .parties import DistrictMembership, EducationalAgency
from .render_job import RenderJob
from .signing import AgreementDocument, PublicScope, Signature
from .termination import Termination

__all__ = [
    "Agreement",
    "AgreementDocument",
    "AgreementKind",
    "AgreementStatus",
    "BreachReport",
    "CalendarFeed",
    "DeadlinePolicy",
    "DestructionCertificate",
    "DistrictClosure",
    "DistrictMembership",
    "EducationalAgency",
    "Obligation",
    "OutboundEmail",
    "OutsideSigning",
    "ParentRequest",
    "PublicScope",
    "Reminder",
    "RenderJob",
    "Signature",
    "StatusChange",
    "Termination",
    "statuses",
]
