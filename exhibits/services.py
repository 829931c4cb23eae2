"""Business rules for the exhibits."""

from django.db import transaction
from django.utils import timezone

from . import bill_of_rights
from .models import BillOfRights, BillOfRightsAcknowledgement


def bill_of_rights_publish(*, agency, actor=None, preamble=None, items=None, effective_date=None) -> BillOfRights:
    """Publish the district's Bill of Rights as a new version, from the model text unless told otherwise.

    Publishing the same text as the current version returns the current version: versions change only when the
    text does, so an agreement's acknowledgement keeps pointing at what the vendor actually read.
    """
    preamble = bill_of_rights.MODEL_PREAMBLE if preamble is None else preamble
    items = bill_of_rights.model_items(agency) if items is None else list(items)
    with transaction.atomic():
        current = BillOfRights.objects.select_for_update().filter(agency=agency).order_by("-version").first()
        if current and current.preamble == preamble and current.items == items:
            return current
        return BillOfRights.objects.create(
            agency=agency,
            version=current.version + 1 if current else 1,
            preamble=preamble,
            items=items,
            effective_date=effective_date or timezone.localdate(),
            created_by=actor,
        )


def bill_of_rights_acknowledge(*, agreement, actor) -> BillOfRightsAcknowledgement:
    """Record that the contractor acknowledges the district's current Bill of Rights for this agreement."""
    current = BillOfRights.objects.filter(agency=agreement.agency_id).order_by("-version").first()
    if current is None:
        raise ValueError(f"{agreement.agency} has not published its Bill of Rights yet.")
    ack, _ = BillOfRightsAcknowledgement.objects.update_or_create(
        agreement=agreement,
        defaults={"bill_of_rights": current, "acknowledged_by": actor, "acknowledged_at": timezone.now()},
    )
    return ack
