"""A district's own calendar (closure dates, which business days skip) and its defaults."""

from datetime import date

from django.db import IntegrityError, transaction

from dpa_portal.errors import EXISTS, ApplicationError

from ... import access
from ..calendar import long_date
from ..models import DeadlinePolicy, DistrictClosure


def closure_add(*, agency, actor, day: date, reason: str) -> DistrictClosure:
    access.require_district_staff(actor, agency.pk, access.DISTRICT_ADMIN)
    try:
        with transaction.atomic():
            return DistrictClosure.objects.create(agency=agency, date=day, reason=reason.strip(), created_by=actor)
    except IntegrityError:
        raise ApplicationError(f"{long_date(day)} is already a closure date.", code=EXISTS) from None


def closure_remove(*, closure: DistrictClosure, actor) -> None:
    access.require_district_staff(actor, closure.agency_id, access.DISTRICT_ADMIN)
    closure.delete()


def policy_update(*, agency, actor, term_reminder_days: list[int], destruction_days: int) -> DeadlinePolicy:
    """Applies to duties opened from now on; a duty keeps the due date it was opened with."""
    access.require_district_staff(actor, agency.pk, access.DISTRICT_ADMIN)
    policy, _ = DeadlinePolicy.objects.update_or_create(
        agency=agency,
        defaults={
            "term_reminder_days": sorted(set(term_reminder_days), reverse=True),
            "destruction_days": destruction_days,
        },
    )
    return policy
