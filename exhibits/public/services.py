"""Writes of the public posting: a district admin withholds a part of Exhibit B, or shows it again (121.3(e))."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agreements.models import DistrictMembership
from exhibits.models import Redaction, RedactionField

REASON_MAX_LENGTH = 500


class RedactionError(Exception):
    """A redaction that cannot be made; the message is for the district admin who tried."""


def _require_district_admin(agreement, actor) -> None:
    admin = DistrictMembership.objects.filter(
        agency=agreement.agency_id, user=actor, role=DistrictMembership.Role.ADMIN
    )
    if actor is None or not admin.exists():
        raise RedactionError(_("Only the district's admins can withhold parts of Exhibit B."))


def redaction_add(*, agreement, field: str, reason: str, actor) -> Redaction:
    """Withhold one part of the agreement's Exhibit B from the public, for the reason given.

    Allowed before the agreement is posted too, so that a part is never public for a moment.
    """
    _require_district_admin(agreement, actor)
    reason = (reason or "").strip()
    if field not in RedactionField.values:
        raise RedactionError(_("Choose a part of Exhibit B to withhold."))
    if not reason:
        raise RedactionError(_("Give the reason for withholding it: the public page shows it."))
    if len(reason) > REASON_MAX_LENGTH:
        raise RedactionError(_("Keep the reason to %(count)d characters.") % {"count": REASON_MAX_LENGTH})
    try:
        with transaction.atomic():
            return Redaction.objects.create(agreement=agreement, field=field, reason=reason, created_by=actor)
    except IntegrityError:
        raise RedactionError(_("That part is already withheld.")) from None


def redaction_remove(*, agreement, field: str, actor) -> None:
    """Show a withheld part of Exhibit B again. The history keeps the redaction and who removed it."""
    _require_district_admin(agreement, actor)
    redaction = Redaction.objects.filter(agreement=agreement, field=field).first()
    if redaction is None:
        raise RedactionError(_("That part is not withheld."))
    redaction.delete()
