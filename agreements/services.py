"""Business rules for agreements. Writes take keyword-only arguments and are named <thing>_<verb>."""

from django.db import transaction
from django.utils import timezone

from .models import Agreement, StatusChange

S = Agreement.Status

# The lifecycle of DESIGN.md, in one table: from each status, the statuses an agreement may move to.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.WITH_VENDOR, S.WITHDRAWN}),
    S.WITH_VENDOR: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.WITH_VENDOR, S.APPROVED, S.WITHDRAWN}),  # back to the vendor = changes requested
    S.APPROVED: frozenset({S.VENDOR_SIGNED, S.WITH_VENDOR, S.WITHDRAWN}),
    S.VENDOR_SIGNED: frozenset({S.EXECUTED, S.WITHDRAWN}),
    S.EXECUTED: frozenset({S.EXPIRED, S.TERMINATED}),  # an executed agreement is never withdrawn or edited
    S.EXPIRED: frozenset({S.CLOSED}),
    S.TERMINATED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}


class TransitionError(Exception):
    """An illegal lifecycle step; its message is meant for the person who tried it."""


def agreement_transition(*, agreement: Agreement, to_status: str, actor=None, note: str = "") -> StatusChange:
    """Move an agreement to `to_status` if the table allows it, and log the step.

    The row is locked so that two people acting at once cannot both move it from the same status.
    """
    to_status = S(to_status)
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        from_status = S(locked.status)
        if to_status not in ALLOWED_TRANSITIONS[from_status]:
            raise TransitionError(
                f"An agreement that is {from_status.label.lower()} cannot become {to_status.label.lower()}."
            )
        now = timezone.now()
        locked.status = to_status
        locked.status_changed_at = now
        locked.save(update_fields=["status", "status_changed_at", "updated_at"])
        change = StatusChange.objects.create(
            agreement=locked, actor=actor, from_status=from_status, to_status=to_status, note=note, created_at=now
        )
    agreement.status, agreement.status_changed_at = locked.status, locked.status_changed_at
    return change


def agreement_create(
    *,
    agency,
    contractor,
    framework,
    products=(),
    actor=None,
    service_agreement_date=None,
    contract_start=None,
    contract_end=None,
    previous: Agreement | None = None,
    kind: str = Agreement.Kind.NEW,
) -> Agreement:
    """Create a draft agreement with empty Exhibits B and C and one C.1 row per category of its framework."""
    from exhibits.models import CsfResponse, SecurityPlan, SupplementalInformation

    products = list(products)
    foreign = [p for p in products if p.contractor_id != contractor.pk]
    if foreign:
        raise TransitionError(f"{foreign[0]} is not a product of {contractor}.")
    with transaction.atomic():
        agreement = Agreement.objects.create(
            agency=agency,
            contractor=contractor,
            framework=framework,
            service_agreement_date=service_agreement_date,
            contract_start=contract_start,
            contract_end=contract_end,
            previous=previous,
            kind=kind,
            created_by=actor,
        )
        agreement.products.set(products)
        SupplementalInformation.objects.create(agreement=agreement)
        SecurityPlan.objects.create(agreement=agreement)
        CsfResponse.objects.bulk_create(
            CsfResponse(agreement=agreement, category=category) for category in framework.categories.all()
        )
        StatusChange.objects.create(
            agreement=agreement, actor=actor, from_status="", to_status=S.DRAFT, note="Agreement created."
        )
    return agreement
