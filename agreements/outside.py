"""Agreements signed outside the portal (issue 12): a district brings in what it signed on paper or by e-mail, one
import row or portal archive entry at a time, and completes it later.

The portal did not seal these: it keeps the signed PDF exactly as given (an AgreementDocument of kind `uploaded`),
records who uploaded it and when (OutsideSigning), posts the six items of 121.3(c) it was given, and lists what the
district has still to give. Their deadlines open from their dates, but nothing already past at import is e-mailed
(agreements.deadlines.services.outside). The import (portfolio) builds on the three functions below, and the
agreement page's "Complete this agreement" form on `outside_agreement_complete`.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dpa_portal.errors import EXISTS, INVALID, STATE, ApplicationError
from exhibits.answers import EXHIBIT_B_FIELDS

from . import access
from .models import Agreement, AgreementDocument, OutsideSigning, StatusChange
from .models.outside import OUTSIDE_TEXT_LENGTHS
from .selectors import OUTSIDE_FIELD_LABELS as FIELD_LABELS
from .selectors import OUTSIDE_ITEMS as ITEMS
from .selectors import outside_missing

S = Agreement.Status
# A single signed PDF may be this large: /verify/ takes files up to the same size, so every uploaded copy can be
# checked there.
MAX_PDF_BYTES = 20 * 1024 * 1024
SOURCE_KEY = re.compile(r"^[0-9a-f]{64}$")

# Where each OutsideTerms text lands: Exhibit B's own field (SupplementalInformation) or OutsideSigning's.
EXHIBIT_B_TEXTS = {
    "purposes": "purposes",
    "data_transition": "data_transition_details",
    "storage_and_security": "security_measures",
    "encryption": "encryption_details",
}
OUTSIDE_TEXTS = {"subcontractor_terms": "subcontractor_terms", "accuracy_challenges": "accuracy_challenges"}
# Of a portal archive's Exhibit B: the fields set exactly as they were (SupplementalInformation's names).
ARCHIVE_EXHIBIT_B_FIELDS = (*EXHIBIT_B_FIELDS, "correction_days")


@dataclass
class OutsideTerms:
    """What a district gives of an agreement signed outside the portal (one import row, or a portal archive)."""

    contractor: object  # vendors.Contractor, already chosen or created by the caller (vendors.services)
    products: list[str]  # product names; get-or-created under the contractor
    service_agreement_date: date | None
    contract_start: date | None
    contract_end: date | None
    runs_until_terminated: bool = False
    review_on: date | None = None
    purposes: str = ""  # 121.3(c)(1) -> SupplementalInformation.purposes
    subcontractors: list[str] | None = None  # (2) names -> vendors.Subcontractor of the contractor; [] = "none"
    subcontractor_terms: str = ""  # (2) text -> OutsideSigning.subcontractor_terms
    data_transition: str = ""  # (3) -> SupplementalInformation.data_transition_details
    accuracy_challenges: str = ""  # (4) -> OutsideSigning.accuracy_challenges
    storage_and_security: str = ""  # (5) -> SupplementalInformation.security_measures
    encryption: str = ""  # (6) -> SupplementalInformation.encryption_details
    student_pii: bool | None = None
    appr_data: bool | None = None
    vendor_contact_name: str = ""
    vendor_contact_email: str = ""
    read_from_pdf: list[str] = field(default_factory=list)  # FIELD_LABELS names whose value came from the PDF text
    # A portal archive's structured Exhibit B: SupplementalInformation's fields by name, and "subcontractors" as a
    # list of {"name", "purpose", "receives_pii", "written_agreement"}. When given, it sets Exhibit B exactly and
    # item 4 is the model DPA's wording (OutsideSigning.accuracy_model_wording).
    exhibit_b: dict | None = None


def uploader_name(user) -> str:
    return (user.get_full_name() or "").strip() or user.email


def uploaded_note(signing_date: date, name: str) -> str:
    return (
        f"Signed outside the portal; uploaded on {signing_date:%B} {signing_date.day}, {signing_date.year} by {name}."
    )


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


# --- checking what is given --------------------------------------------------------------------------------------


def _check_text(model, name: str, value: str, label: str) -> str:
    value = (value or "").strip()
    try:
        model._meta.get_field(name).run_validators(value)
    except ValidationError as error:
        raise ApplicationError(f"The {label} is too long: {' '.join(error.messages)}", code=INVALID) from None
    return value


def _check_term(*, start, end, runs_until_terminated, review_on) -> None:
    if start and end and end < start:
        raise ApplicationError(
            f"The contract end date ({_day(end)}) is before its start date ({_day(start)}).", code=INVALID
        )
    if runs_until_terminated:
        if end:
            raise ApplicationError(
                "An agreement that runs until terminated has no end date: give the next review date instead.",
                code=INVALID,
            )
        if not review_on:
            raise ApplicationError(
                "An agreement that runs until terminated needs the date the district next reviews it.", code=INVALID
            )
    elif review_on:
        raise ApplicationError(
            "A next review date is for an agreement that runs until terminated; this one has a fixed term.",
            code=INVALID,
        )


def _check_pdf(pdf: bytes | None, filename: str) -> None:
    if pdf is None:
        return
    named = f" {filename}" if filename else ""
    if not pdf:
        raise ApplicationError(f"The file{named} is empty.", code=INVALID)
    if len(pdf) > MAX_PDF_BYTES:
        raise ApplicationError(f"The file{named} is larger than 20 MB.", code=INVALID)
    if not pdf[:1024].lstrip().startswith(b"%PDF-"):
        raise ApplicationError(f"The file{named} is not a PDF.", code=INVALID)


def _has_text(pdf: bytes) -> bool:
    """Whether a PDF carries text, when the caller did not say: some page names a font (a scanned page is only an
    image). Enough to say "scanned" on the page; the import reads the text itself. Unreadable counts as scanned."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        for page in PdfReader(io.BytesIO(pdf)).pages[:20]:
            resources = page.get("/Resources")
            if resources is not None and resources.get_object().get("/Font"):
                return True
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return False
    return False


def _pdf_text(pdf: bytes | None, has_text: bool | None) -> str:
    text = OutsideSigning.PdfText
    if pdf is None:
        return text.NONE
    return text.TEXT if (has_text if has_text is not None else _has_text(pdf)) else text.SCANNED


def _uploaded_document(agreement, pdf: bytes) -> AgreementDocument:
    """The signed PDF as the district gave it, byte for byte, with its SHA-256 and a document id; never sealed."""
    from .signing import document_id_new

    return AgreementDocument.objects.create(
        agreement=agreement,
        kind=AgreementDocument.Kind.UPLOADED,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        document_id=document_id_new(),
    )


# --- recording ---------------------------------------------------------------------------------------------------


def outside_agreement_record(
    *,
    agency,
    actor,
    terms: OutsideTerms,
    pdf: bytes | None,
    pdf_filename: str = "",
    pdf_has_text: bool | None = None,
    source_key: str,
    today: date | None = None,
) -> Agreement:
    """Record an agreement the district signed outside the portal, in the caller's transaction (the import's batch):
    executed, or expired when its term ended before `today` (its return-or-destroy duty then counts from the end
    date); its Exhibit B items, the signed PDF as given, who uploaded it, and its deadlines, where nothing already
    past is e-mailed (agreements.deadlines.services.outside). Sends no e-mail and makes no public copy (the portal
    sealed nothing). The same `source_key` twice is refused with EXISTS, and nothing is written."""
    from exhibits.models import Framework, SecurityPlan, SupplementalInformation

    from .deadlines.services import imported_deadlines_open

    today = today or timezone.localdate()
    access.require_district_staff(actor, agency.pk, access.DISTRICT_ADMIN)
    if not SOURCE_KEY.match(source_key or ""):
        raise ApplicationError("The import key of the row is not a SHA-256 in hexadecimal.", code=INVALID)
    if OutsideSigning.objects.filter(source_key=source_key).exists():
        raise ApplicationError("This agreement was imported before: it is already in the portal.", code=EXISTS)
    contractor = terms.contractor
    if contractor is None or contractor.pk is None:
        raise ApplicationError("Choose or create the vendor before recording its agreement.", code=INVALID)
    names = [n.strip() for n in terms.products if n and n.strip()]
    if not names:
        raise ApplicationError("Name at least one product or service the agreement covers.", code=INVALID)
    _check_term(
        start=terms.contract_start,
        end=terms.contract_end,
        runs_until_terminated=terms.runs_until_terminated,
        review_on=terms.review_on,
    )
    _check_pdf(pdf, pdf_filename)
    unknown = sorted(set(terms.read_from_pdf) - set(FIELD_LABELS))
    if unknown:
        raise ApplicationError(f"Unknown fields marked as read from the PDF: {', '.join(unknown)}.", code=INVALID)
    framework = Framework.objects.order_by("version").first()  # the model DPA names CSF 1.1
    if framework is None:
        raise ApplicationError("The NIST CSF catalogues are not loaded on this portal.", code=STATE)
    info_values, subcontractors = _exhibit_b_values(terms)
    outside_values = {
        name: _check_text(OutsideSigning, name, getattr(terms, attr), FIELD_LABELS[attr])
        for attr, name in OUTSIDE_TEXTS.items()
    }
    name = uploader_name(actor)
    now = timezone.now()
    expired = bool(terms.contract_end and not terms.runs_until_terminated and terms.contract_end < today)
    try:
        with transaction.atomic():  # a savepoint in the caller's batch: a refused row writes nothing
            from vendors.services import product_get_or_create

            products = [product_get_or_create(contractor=contractor, name=n) for n in names]
            agreement = Agreement.objects.create(
                agency=agency,
                contractor=contractor,
                framework=framework,
                service_agreement_date=terms.service_agreement_date,
                contract_start=terms.contract_start,
                contract_end=terms.contract_end,
                runs_until_terminated=terms.runs_until_terminated,
                review_on=terms.review_on,
                status=S.EXPIRED if expired else S.EXECUTED,
                status_changed_at=now,
                posted_at=now,
                created_by=actor,
            )
            agreement.products.set(products)
            info = SupplementalInformation.objects.create(agreement=agreement, **info_values)
            if subcontractors is not None:
                info.subcontractors.set(_subcontractors(contractor, subcontractors))
            SecurityPlan.objects.create(agreement=agreement)  # Exhibit C, if any, is in the signed PDF
            document = _uploaded_document(agreement, pdf) if pdf is not None else None
            OutsideSigning.objects.create(
                agreement=agreement,
                uploaded_at=now,
                uploaded_by=actor,
                uploaded_by_name=name,
                document=document,
                source_filename=(pdf_filename or "")[:255],
                pdf_text=_pdf_text(pdf, pdf_has_text),
                read_from_pdf=sorted(set(terms.read_from_pdf)),
                accuracy_model_wording=terms.exhibit_b is not None,
                vendor_contact_name=terms.vendor_contact_name.strip()[:200],
                vendor_contact_email=terms.vendor_contact_email.strip(),
                source_key=source_key,
                **outside_values,
            )
            StatusChange.objects.create(
                agreement=agreement,
                actor=actor,
                from_status="",
                to_status=S.EXECUTED,
                note=uploaded_note(timezone.localdate(now), name),
                created_at=now,
            )
            if expired:
                StatusChange.objects.create(
                    agreement=agreement,
                    actor=None,
                    from_status=S.EXECUTED,
                    to_status=S.EXPIRED,
                    note=f"The term ended on {_day(terms.contract_end)}, before the import.",
                    created_at=now,
                )
            imported_deadlines_open(agreement=agreement, imported_on=timezone.localdate(now), today=today)
    except IntegrityError:
        # Another worker recorded the same row meanwhile (source_key is unique); anything else is a bug to surface.
        if OutsideSigning.objects.filter(source_key=source_key).exists():
            raise ApplicationError(
                "This agreement was imported before: it is already in the portal.", code=EXISTS
            ) from None
        raise
    return agreement


def _exhibit_b_values(terms: OutsideTerms) -> tuple[dict, list | None]:
    """SupplementalInformation's values from `terms`, and the subcontractors to link (names, or a portal archive's
    rows), or None when the district said nothing of them."""
    from exhibits.models import SupplementalInformation as Info

    if terms.exhibit_b is not None:
        given = terms.exhibit_b
        values = {k: given[k] for k in ARCHIVE_EXHIBIT_B_FIELDS if k in given}
        for k, v in values.items():
            if isinstance(v, str):
                values[k] = _check_text(Info, k, v, str(Info._meta.get_field(k).verbose_name))
        if values.get("subcontractor_use") not in (None, "", *Info.SubcontractorUse.values):
            raise ApplicationError("The archive's Exhibit B has an unknown answer on subcontractors.", code=INVALID)
        if values.get("storage_other") and not values.get("storage_other_description"):
            raise ApplicationError("The archive's Exhibit B names other storage without describing it.", code=INVALID)
        days = values.get("correction_days")
        if days is not None and not (isinstance(days, int) and 1 <= days <= 365):
            raise ApplicationError("The archive's Exhibit B gives correction days outside 1 to 365.", code=INVALID)
        subs = given.get("subcontractors")
        return values, (list(subs) if subs is not None else None)
    values = {
        name: _check_text(Info, name, getattr(terms, attr), FIELD_LABELS[attr])
        for attr, name in EXHIBIT_B_TEXTS.items()
    }
    values["receives_student_pii"] = bool(terms.student_pii)
    values["receives_appr_data"] = bool(terms.appr_data)
    subs = None
    if terms.subcontractors is not None:
        subs = [n.strip() for n in terms.subcontractors if n and n.strip()]
        values["subcontractor_use"] = Info.SubcontractorUse.WILL_USE if subs else Info.SubcontractorUse.WILL_NOT_USE
    return values, subs


def _subcontractors(contractor, given: list) -> list:
    """The contractor's subcontractors named in `given` (names, or an archive's rows), created when new; an
    existing one keeps what its vendor wrote."""
    from vendors.models import Subcontractor

    found = []
    for item in given:
        row = item if isinstance(item, dict) else {"name": item}
        sub_name = str(row.get("name", "")).strip()[:200]
        if not sub_name:
            continue
        sub, _ = Subcontractor.objects.get_or_create(
            contractor=contractor,
            name=sub_name,
            defaults={
                "purpose": _check_text(Subcontractor, "purpose", row.get("purpose", ""), "subcontractor's purpose"),
                "receives_pii": bool(row.get("receives_pii", False)),
                "written_agreement": bool(row.get("written_agreement", False)),
            },
        )
        found.append(sub)
    return found


# --- what is missing, and completing it ---------------------------------------------------------------------------


def outside_agreement_complete(
    *,
    agreement,
    actor,
    terms: OutsideTerms,
    confirm: bool = False,
    pdf: bytes | None = None,
    pdf_filename: str = "",
    pdf_has_text: bool | None = None,
) -> list[str]:
    """Fill in what the agreement still lacks from `terms`, never overwriting what the district gave: for an import
    row that matches an imported agreement, and for the agreement page's "Complete this agreement" form. With
    `confirm`, the values read from the PDF are confirmed as they stand (the list is emptied); `pdf`, the signed copy
    of an agreement recorded without one, is kept as given. Returns the names of the fields filled (FIELD_LABELS'
    keys, "pdf", "confirmed"); [] when nothing changed. A date that completes the term opens its deadlines as at
    import; an end date already past expires the agreement."""
    from exhibits.models import SupplementalInformation as Info

    from .deadlines.services import imported_deadlines_open
    from .services import agreement_transition

    access.require_district_staff(actor, agreement.agency_id, access.DISTRICT_ADMIN)
    _check_pdf(pdf, pdf_filename)
    today = timezone.localdate()
    filled: list[str] = []
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().select_related("agency", "contractor").get(pk=agreement.pk)
        outside = OutsideSigning.objects.select_for_update().filter(agreement=locked).first()
        if outside is None:
            raise ApplicationError("Only an agreement signed outside the portal is completed this way.", code=STATE)
        if locked.status not in (S.EXECUTED, S.EXPIRED):
            raise ApplicationError(
                f"An agreement that is {locked.get_status_display().lower()} is no longer completed.", code=STATE
            )
        info = Info.objects.select_for_update().get(agreement=locked)

        # The term: only a date that is missing, and only into a term that stays valid.
        runs = locked.runs_until_terminated
        if not locked.service_agreement_date and terms.service_agreement_date:
            locked.service_agreement_date = terms.service_agreement_date
            filled.append("service_agreement_date")
        if not locked.contract_start and terms.contract_start:
            locked.contract_start = terms.contract_start
            filled.append("contract_start")
        if not runs and not locked.contract_end:
            if terms.runs_until_terminated and terms.review_on:
                locked.runs_until_terminated, locked.review_on = True, terms.review_on
                filled.append("review_on")
            elif terms.contract_end:
                locked.contract_end = terms.contract_end
                filled.append("contract_end")
        _check_term(
            start=locked.contract_start,
            end=locked.contract_end,
            runs_until_terminated=locked.runs_until_terminated,
            review_on=locked.review_on,
        )
        if filled:
            locked.save(
                update_fields=[
                    "service_agreement_date",
                    "contract_start",
                    "contract_end",
                    "runs_until_terminated",
                    "review_on",
                    "updated_at",
                ]
            )

        # Exhibit B and the two items in the agreement's own words.
        info_fields = []
        for attr, name in EXHIBIT_B_TEXTS.items():
            value = _check_text(Info, name, getattr(terms, attr), FIELD_LABELS[attr])
            if value and not getattr(info, name).strip():
                setattr(info, name, value)
                info_fields.append(name)
                filled.append(attr)
        if not (info.receives_student_pii or info.receives_appr_data) and (terms.student_pii or terms.appr_data):
            info.receives_student_pii, info.receives_appr_data = bool(terms.student_pii), bool(terms.appr_data)
            info_fields += ["receives_student_pii", "receives_appr_data"]
            filled += [f for f in ("student_pii", "appr_data") if getattr(terms, f)]
        if not info.subcontractor_use and terms.subcontractors is not None:
            names = [n.strip() for n in terms.subcontractors if n and n.strip()]
            info.subcontractor_use = Info.SubcontractorUse.WILL_USE if names else Info.SubcontractorUse.WILL_NOT_USE
            info_fields.append("subcontractor_use")
            info.subcontractors.set(_subcontractors(locked.contractor, names))
            filled.append("subcontractors")
        if info_fields:
            info.save(update_fields=[*info_fields, "updated_at"])
        outside_fields = []
        for attr, name in OUTSIDE_TEXTS.items():
            value = _check_text(OutsideSigning, name, getattr(terms, attr), FIELD_LABELS[attr])
            if value and not getattr(outside, name).strip():
                setattr(outside, name, value)
                outside_fields.append(name)
                filled.append(attr)
        for attr in ("vendor_contact_name", "vendor_contact_email"):
            value = getattr(terms, attr).strip()
            if value and not getattr(outside, attr):
                if attr == "vendor_contact_email":
                    _check_email(value)
                setattr(outside, attr, value[:200])
                outside_fields.append(attr)
                filled.append(attr)
        # A value filled from the PDF's text (an import row's proposal) waits for confirmation like one given at import.
        proposed = sorted((set(filled) & set(terms.read_from_pdf)) - set(outside.read_from_pdf))
        if proposed and not confirm:
            outside.read_from_pdf = sorted({*outside.read_from_pdf, *proposed})
            outside_fields.append("read_from_pdf")
        if confirm and outside.read_from_pdf:
            outside.read_from_pdf = []
            outside_fields.append("read_from_pdf")
            filled.append("confirmed")
        if pdf is not None and outside.document_id is None:
            outside.document = _uploaded_document(locked, pdf)
            outside.pdf_text = _pdf_text(pdf, pdf_has_text)
            outside.source_filename = (pdf_filename or "")[:255]
            outside_fields += ["document", "pdf_text", "source_filename"]
            filled.append("pdf")
        if outside_fields:
            outside.save(update_fields=outside_fields)

        if filled:
            words = {"pdf": "the signed PDF", "confirmed": "the values read from the PDF confirmed"}
            said = ", ".join(FIELD_LABELS.get(f) or words[f] for f in filled)
            StatusChange.objects.create(
                agreement=locked,
                actor=actor,
                from_status=locked.status,
                to_status=locked.status,
                note=f"Completed by the district: {said}.",
            )
        if (
            locked.status == S.EXECUTED
            and not locked.runs_until_terminated
            and locked.contract_end
            and locked.contract_end < today
        ):
            agreement_transition(
                agreement=locked,
                to_status=S.EXPIRED,
                actor=actor,
                note=f"The term ended on {_day(locked.contract_end)}, before the district gave the date.",
            )
        if {"contract_end", "review_on"} & set(filled):
            imported_deadlines_open(agreement=locked, imported_on=today, today=today)
    agreement.refresh_from_db()
    return filled


def _check_email(value: str) -> None:
    from django.core.validators import validate_email

    try:
        validate_email(value)
    except ValidationError:
        raise ApplicationError(f"{value} is not an e-mail address.", code=INVALID) from None


def outside_answers_carry(*, agreement, source, actor) -> None:
    """A renewal or an amendment of an agreement signed outside the portal (agreements.services.agreement_amend):
    its Exhibit B answers and subcontractors start the new draft, as a portal agreement's last submission would, and
    are marked as carried over for the vendor to check. Items 2 and 4 in the old agreement's own words are not
    carried: the new agreement is the model DPA, which words them itself."""
    from exhibits.answers import agreement_answers
    from exhibits.models import AnswerReuse, Section
    from exhibits.models import SupplementalInformation as Info

    old = Info.objects.prefetch_related("subcontractors").get(agreement=source)
    with transaction.atomic():
        info = Info.objects.select_for_update().get(agreement=agreement)
        for name in ARCHIVE_EXHIBIT_B_FIELDS:
            setattr(info, name, getattr(old, name))
        info.save()
        info.subcontractors.set(old.subcontractors.all())
        answers = agreement_answers(source, info=old)
        copied = {key: answers[key] for key in (Section.EXHIBIT_B, Section.SUBCONTRACTORS)}
        AnswerReuse.objects.update_or_create(
            agreement=agreement, defaults={"source": source, "answers": copied, "actor": actor}
        )


__all__ = [
    "FIELD_LABELS",
    "ITEMS",
    "MAX_PDF_BYTES",
    "OUTSIDE_TEXT_LENGTHS",
    "OutsideTerms",
    "outside_agreement_complete",
    "outside_agreement_record",
    "outside_answers_carry",
    "outside_missing",
]
