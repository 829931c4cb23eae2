"""The worst case of the DPA's text (issue 10): every field a party types, at its length limit, without a space.

Shared by tests/test_text_limits.py, which renders it within a time bound, and bench/worst_case_render.py, which times
it against plain WeasyPrint. The limits are read from the models, so a limit raised there is what both render.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import models

from agreements.documents.render import AuditEvent, SignatureBlock
from agreements.models import Signature, StatusChange
from dpa_portal.lengths import max_lines
from exhibits.answers import EXHIBIT_B_FIELDS, EXHIBIT_C_FIELDS
from exhibits.models import CsfResponse, SupplementalInformation
from exhibits.services import bill_of_rights_acknowledge, bill_of_rights_publish
from vendors.models import Subcontractor

# The widest letter of the font: the most lines, and so the most pages, for a number of characters.
WIDE = "W"
# Subcontractors listed in Exhibit B. The portal sets no number (each is a row a vendor adds by hand); ten at their
# limits is a generous worst case for one agreement.
SUBCONTRACTORS = 10
# Steps of the lifecycle whose notes the audit trail prints: created, sent, submitted, sent back and again, approved,
# signed by the vendor.
STATUS_CHANGES = 8


@dataclass
class WorstCase:
    signatures: list[SignatureBlock]
    audit: list[AuditEvent]
    characters: int  # how many characters of typed text the agreement holds, each field counted once


def unbroken(field: models.Field, char: str = WIDE, lines: bool = False) -> str:
    """A value without a space that the field accepts: its full length, or for an address as long as one may be.
    With `lines`, a multi-line field's value has as many lines as it may (each as long as the length then allows)."""
    n = field.max_length
    if lines and isinstance(field, models.TextField):
        count = max_lines(n)
        return "\n".join([char * ((n - (count - 1)) // count)] * count)
    host = f"{char * 63}.{char * 63}.org".lower()  # a DNS label is at most 63 characters
    if isinstance(field, models.EmailField):
        return f"{char.lower() * 64}@{host}"  # a mailbox name is at most 64
    if isinstance(field, models.URLField):
        start = f"https://{host}/"
        return start + char.lower() * (n - len(start))
    return char * n


def _fill(obj, names=None, char: str = WIDE, lines: bool = False) -> int:
    """Every free-text field of `obj` (or `names`) at its limit; the number of characters written."""
    written = 0
    for field in obj._meta.concrete_fields:
        if names is not None and field.name not in names:
            continue
        if names is None and (
            not isinstance(field, models.CharField | models.TextField)
            or field.choices
            or isinstance(field, models.SlugField)
            or not field.editable
        ):
            continue
        if not field.max_length:
            raise AssertionError(f"{obj._meta.label}.{field.name} has no length limit")
        value = unbroken(field, char, lines)
        setattr(obj, field.name, value)
        written += len(value)
    obj.full_clean()
    obj.save()
    return written


def fill_worst_case(agreement, char: str = WIDE, lines: bool = False) -> WorstCase:
    """Fill `agreement` (its district, vendor, exhibits, subcontractors, notes) to the worst case; return the
    signatures and audit trail of an executed copy at their limits too. `lines`: each multi-line field holds as many
    lines as it may, rather than one unbroken string."""
    total = _fill(agreement.agency, char=char, lines=lines) + _fill(agreement.contractor, char=char)
    # Exhibit A carries the district's complaint contacts (filled above) into item 6 of a new version.
    bill_of_rights_publish(agency=agreement.agency)
    bill_of_rights_acknowledge(agreement=agreement, actor=None)

    info = agreement.supplemental_information
    info.subcontractor_use = SupplementalInformation.SubcontractorUse.WILL_USE
    info.storage_other = True
    text_fields = [f for f in EXHIBIT_B_FIELDS if isinstance(info._meta.get_field(f), models.TextField)]
    total += _fill(info, text_fields, char, lines)
    subs = [
        Subcontractor(contractor=agreement.contractor, name=f"{agreement.pk}-{n:02d}-", purpose="")
        for n in range(SUBCONTRACTORS)
    ]
    for sub in subs:
        name = Subcontractor._meta.get_field("name")
        sub.name = sub.name + char * (name.max_length - len(sub.name))
        total += _fill(sub, ["purpose"], char, lines) + len(sub.name)
    info.subcontractors.set(subs)
    total += _fill(agreement.security_plan, EXHIBIT_C_FIELDS, char, lines)
    for response in CsfResponse.objects.filter(agreement=agreement):
        response.tier = 4
        total += _fill(response, ["narrative"], char, lines)

    note = unbroken(StatusChange._meta.get_field("note"), char, lines)
    start = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)
    names = {f: unbroken(Signature._meta.get_field(f), char) for f in ("typed_name", "title", "organisation")}
    signatures = [
        SignatureBlock(
            side=side,
            organisation=names["organisation"],
            name=names["typed_name"],
            title=names["title"],
            signed_at=start + timedelta(days=n),
            method="Typed name",
            document_sha256="0123456789abcdef" * 4,
        )
        for n, side in enumerate(["vendor", "district"])
    ]
    # A person's name, as the audit trail prints an actor: first and last names at the user model's limits.
    user = get_user_model()._meta
    actor = f"{unbroken(user.get_field('first_name'), char)} {unbroken(user.get_field('last_name'), char)}"
    audit = [
        AuditEvent(at=start - timedelta(days=STATUS_CHANGES - n), actor=actor, description=f"Step {n}. {note}")
        for n in range(STATUS_CHANGES)
    ] + [
        AuditEvent(at=s.signed_at, actor=f"{s.name} <{unbroken(Signature._meta.get_field('signer_email'), char)}>",
                   description=f"Signed for {s.organisation}")
        for s in signatures
    ]  # fmt: skip
    total += STATUS_CHANGES * len(note) + sum(len(v) for v in names.values())
    return WorstCase(signatures=signatures, audit=audit, characters=total)
