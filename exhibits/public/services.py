"""Writes of the public posting: a district admin withholds a part of Exhibit B, or shows it again (121.3(e)); and
the one door for bulk writers to the cache of the public pages."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agreements import access
from dpa_portal.errors import EXISTS, STATE, ApplicationError
from exhibits.models import REDACTION_REASON_LENGTH, Redaction, RedactionField

from . import cache


def public_pages_held(*district_slugs: str):
    """A context manager for bulk writes to a district's agreements (an import's batch): the cached public pages are
    invalidated once at the end instead of once per row saved (exhibits/signals.py)."""
    return cache.invalidation_held(*district_slugs)


def redaction_add(*, agreement, field: str, reason: str, actor) -> Redaction:
    """Withhold one part of the agreement's Exhibit B from the public, for the reason given.

    Allowed before the agreement is posted too, so that a part is never public for a moment.
    """
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    reason = (reason or "").strip()
    if field not in RedactionField.values:
        raise ApplicationError(_("Choose a part of Exhibit B to withhold."))
    if not reason:
        raise ApplicationError(_("Give the reason for withholding it: the public page shows it."))
    if len(reason) > REDACTION_REASON_LENGTH:
        raise ApplicationError(_("Keep the reason to %(count)d characters.") % {"count": REDACTION_REASON_LENGTH})
    try:
        with transaction.atomic():
            return Redaction.objects.create(agreement=agreement, field=field, reason=reason, created_by=actor)
    except IntegrityError:
        raise ApplicationError(_("That part is already withheld."), code=EXISTS) from None


def redaction_remove(*, agreement, field: str, actor) -> None:
    """Show a withheld part of Exhibit B again. The history keeps the redaction and who removed it."""
    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    redaction = Redaction.objects.filter(agreement=agreement, field=field).first()
    if redaction is None:
        raise ApplicationError(_("That part is not withheld."), code=STATE)
    redaction.delete()
