"""An agreement as the public sees it: plain data with every withheld part already replaced by the reason.

The pages, the JSON, the CSV, the feed and the embeddable list are all made from these records, so a redacted value
cannot reach any of them (8 NYCRR 121.3(e)).
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from agreements.deadlines.rules import CORRECTION, RULES
from agreements.models import PublicScope
from dpa_portal.links import Links
from exhibits.answers import EXHIBIT_B_FIELDS
from exhibits.models import RedactionField

from . import cache
from .labels import FIELD_LABELS, PII_LABELS, STATUS_LABELS, STATUS_ORDER

F = RedactionField
# The model DPA's days to facilitate a correction (Exhibit B's default), for an agreement without Exhibit B.
_MODEL_CORRECTION_DAYS = RULES[CORRECTION].default_days


@dataclass(frozen=True)
class Withheld:
    """A part of Exhibit B the district withholds, and the reason it gives."""

    field: str
    reason: str

    @property
    def label(self):
        return FIELD_LABELS[self.field]


@dataclass(frozen=True)
class Subcontractor:
    name: str
    purpose: str
    # None where the agreement does not say (signed outside the portal: the district lists the names only).
    receives_pii: bool | None
    written_agreement: bool | None


@dataclass(frozen=True)
class Storage:
    third_party_cloud: bool
    contractor_hosted: bool
    other: str  # the description of another place, or ""

    @property
    def answered(self) -> bool:
        return self.third_party_cloud or self.contractor_hosted or bool(self.other)


@dataclass(frozen=True)
class Document:
    """The sealed public copy of the agreement."""

    document_id: str
    sha256: str
    size: int
    filename: str
    exhibit_c: bool  # it includes Exhibits C and C.1 (the district posts them)


class _Shown:
    """What a public record and a card of a district's list say the same way."""

    @property
    def hidden(self) -> dict[str, Withheld]:
        """The withheld parts by field name, for templates: `r.hidden.purposes`."""
        return {w.field: w for w in self.withheld}

    @property
    def signed_outside_portal(self) -> bool:
        return self.uploaded_on is not None

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def pii_types(self) -> list[str]:
        return [key for key, on in (("student", self.student_pii), ("appr", self.appr_data)) if on]

    @property
    def pii_labels(self) -> list:
        return [PII_LABELS[key] for key in self.pii_types]

    @property
    def destruction_certified_on(self) -> date | None:
        return timezone.localdate(self.destruction_certified_at) if self.destruction_certified_at else None


@dataclass(frozen=True)
class PublicAgreement(_Shown):
    pk: int
    district_slug: str
    district_name: str
    vendor: str
    vendor_slug: str
    vendor_website: str
    products: tuple[str, ...]
    kind: str
    status: str
    posted_at: datetime | None
    status_changed_at: datetime
    contract_start: date | None
    contract_end: date | None
    review_on: date | None  # set only for an agreement that runs until terminated (issue 11.1)
    destruction_certified_at: datetime | None
    ended_early_on: date | None
    student_pii: bool
    appr_data: bool
    # None where the agreement does not state item 4 in the model DPA's words (one signed outside the portal).
    correction_days: int | None
    purposes: str | Withheld
    subcontractor_use: str | Withheld
    subcontractors: tuple[Subcontractor, ...] | Withheld
    # 121.3(c)(2) in the agreement's own words (signed outside the portal): withheld with the subcontractors.
    subcontractor_terms: str | Withheld
    data_transition_details: str | Withheld
    storage: Storage | Withheld
    security_measures: str | Withheld
    encryption_details: str | Withheld
    # 121.3(c)(4) in the agreement's own words (signed outside the portal); "" where the model's wording applies
    # (model_wording) or the district has not given it. Not redactable: RedactionField has no such part, and the
    # portal's own agreements post item 4 as the model's fixed wording, which no district withholds either; how to
    # ask for a correction is what parents need, and it describes nothing of the district's systems (121.3(e)).
    accuracy_challenges: str
    # Items 2, 3, 4 and 6 include the model DPA's fixed wording: the portal's own agreements, and one signed outside
    # it whose Exhibit B came whole from a portal's archive (OutsideSigning.accuracy_model_wording).
    model_wording: bool
    # Signed outside the portal (issue 12): the day its district uploaded it; None for the portal's own. Never who
    # uploaded it, nor the uploaded PDF (see views.sealed_pdf).
    uploaded_on: date | None
    withheld: tuple[Withheld, ...]
    # The sealed public copy for what the district posts now (without the withheld parts; Exhibit C only if the
    # district posts it); never the executed DPA. None while it is being made.
    document: Document | None
    replaces: int | None
    replaced_by: int | None

    @property
    def posted_on(self) -> date | None:
        return timezone.localdate(self.posted_at) if self.posted_at else None

    @property
    def sort_key(self):
        return (STATUS_ORDER[self.status], self.vendor.casefold(), -self.pk)

    def searchable_text(self) -> str:
        """What the search box of a district's list looks in: never a withheld part."""
        parts = [self.vendor, *self.products]
        if isinstance(self.purposes, str):
            parts.append(self.purposes)
        return " ".join(parts).casefold()


def public_record(agreement) -> PublicAgreement:
    """The public record of an agreement from `selectors.posted_agreements()` (no further queries): its values read
    into a row, which `record_of` makes the record as it makes every other."""
    return record_of(row_of(agreement))


def public_records(queryset) -> list[PublicAgreement]:
    return [public_record(agreement) for agreement in queryset]


@dataclass(frozen=True)
class Listing(_Shown):
    """An agreement as a card of a district's list and its embeddable list show it: its vendor, products, status, term
    and purposes, from selectors.district_listing's rows. The purposes are the district's reason when it withholds
    them, as in PublicAgreement; the list shows no other part of Exhibit B."""

    pk: int
    vendor: str
    products: tuple[str, ...]
    status: str
    contract_start: date | None
    contract_end: date | None
    review_on: date | None
    destruction_certified_at: datetime | None
    ended_early_on: date | None
    replaced_by: int | None
    student_pii: bool
    appr_data: bool
    purposes: str | Withheld
    uploaded_on: date | None
    url: str  # its public page

    @property
    def withheld(self) -> tuple[Withheld, ...]:
        return (self.purposes,) if isinstance(self.purposes, Withheld) else ()


def listings(rows: list[dict], district_slug: str) -> list[Listing]:
    """The cards of selectors.district_listing's rows of this district (no queries)."""
    links = Links()
    return [
        Listing(
            pk=row["pk"],
            url=links.url("public_agreement", district_slug, row["pk"]),
            vendor=row["vendor"],
            products=tuple(row["products"]),
            status=row["status"],
            contract_start=row["contract_start"],
            contract_end=row["contract_end"],
            review_on=row["review_on"],
            destruction_certified_at=row["destruction_certified_at"],
            ended_early_on=row["ended_early_on"],
            replaced_by=row["replaced_by_id"],
            student_pii=bool(row["student_pii"]),
            appr_data=bool(row["appr_data"]),
            purposes=Withheld(F.PURPOSES, row["purposes_withheld"])
            if row["purposes_withheld"] is not None
            else row["purposes"] or "",
            uploaded_on=timezone.localdate(row["uploaded_at"]) if row["uploaded_at"] else None,
        )
        for row in rows
    ]


# --- one rule for every public record: from a row of values --------------------------------------------------------
# An agreement's instance (public_record) and the open data's rows of values (selectors.posted_rows, read without
# model instances, issue 13) both become records here, so that what a district withholds is replaced by its reason in
# one place, whichever way the agreement was read.


def _related(instance, prefetched: str, manager: str):
    """The list that selectors.posted_agreements() prefetched, or the related rows of an instance read otherwise."""
    found = getattr(instance, prefetched, None)
    return found if found is not None else getattr(instance, manager).all()


def row_of(agreement) -> dict:
    """The row of values `record_of` reads (the columns of selectors.posted_rows), from an agreement's instance."""
    agency, contractor = agreement.agency, agreement.contractor
    info = getattr(agreement, "supplemental_information", None)
    # Signed outside the portal: from select_related in selectors.posted_agreements(), so no query per agreement.
    outside = getattr(agreement, "outside_signing", None)
    row = {
        "pk": agreement.pk,
        "district_slug": agency.slug,
        "district_name": agency.name,
        "post_exhibit_c": agency.post_exhibit_c,
        "vendor": contractor.legal_name,
        "vendor_slug": contractor.slug,
        "vendor_website": contractor.website,
        "kind": agreement.kind,
        "status": agreement.status,
        "posted_at": agreement.posted_at,
        "status_changed_at": agreement.status_changed_at,
        "contract_start": agreement.contract_start,
        "contract_end": agreement.contract_end,
        "review_on": agreement.review_on,
        "destruction_certified_at": getattr(agreement, "destruction_certified_at", None),
        "ended_early_on": getattr(agreement, "ended_early_on", None),
        "replaces_id": getattr(agreement, "replaces_id", None),
        "replaced_by_id": getattr(agreement, "replaced_by_id", None),
        "info": info and info.pk,
        "outside": outside and outside.pk,
        "product_names": [p.name for p in _related(agreement, "public_products", "products")],
        "subcontractor_rows": [
            {
                "name": s.name,
                "purpose": s.purpose,
                "receives_pii": s.receives_pii,
                "written_agreement": s.written_agreement,
            }
            for s in (_related(info, "public_subcontractors", "subcontractors") if info else ())
        ],
        "redaction_rows": [{"field": r.field, "reason": r.reason} for r in agreement.redactions.all()],
        "copy_rows": [
            {
                "public_scope": d.public_scope,
                "document_id": d.document_id,
                "sha256": d.sha256,
                "size": d.size,
                "filename": d.filename,
            }
            for d in getattr(agreement, "public_copies", [])
        ],
    }
    for name in INFO_COLUMNS:
        row[name] = getattr(info, name) if info else None
    for name in OUTSIDE_COLUMNS:
        row[name] = getattr(outside, name) if outside else None
    return row


# The columns of Exhibit B (SupplementalInformation) and of an agreement signed outside the portal (OutsideSigning)
# that a row holds under their own names: None where the agreement has none.
INFO_COLUMNS = (*EXHIBIT_B_FIELDS, "correction_days")
OUTSIDE_COLUMNS = ("accuracy_model_wording", "subcontractor_terms", "accuracy_challenges", "uploaded_at")


def record_of(row: dict) -> PublicAgreement:
    """The public record of one row of values (see row_of for its columns; no queries): every part of Exhibit B the
    district withholds is its reason here, never its value."""
    withheld = {r["field"]: Withheld(r["field"], r["reason"]) for r in row["redaction_rows"]}
    cache.shows(row["district_slug"])  # a statewide page that shows it goes stale when its district changes
    info, outside = row["info"] is not None, row["outside"] is not None
    model_wording = not outside or row["accuracy_model_wording"]

    def shown(field, value):
        return withheld.get(field, value)

    def answer(name):
        return row[name] if info else ""

    scope = PublicScope.make(exhibit_c=row["post_exhibit_c"], withheld=withheld.keys())
    document = next((d for d in row["copy_rows"] if d["public_scope"] == scope.key), None)
    # An agreement signed outside the portal names its subcontractors; whether each receives PII under a written
    # agreement is what its vendor may have answered elsewhere, not what this agreement says, so it is not shown.
    subcontractors = tuple(
        Subcontractor(s["name"], s["purpose"], s["receives_pii"], s["written_agreement"])
        if model_wording
        else Subcontractor(s["name"], s["purpose"], None, None)
        for s in row["subcontractor_rows"]
    )
    return PublicAgreement(
        pk=row["pk"],
        district_slug=row["district_slug"],
        district_name=row["district_name"],
        vendor=row["vendor"],
        vendor_slug=row["vendor_slug"],
        vendor_website=row["vendor_website"],
        products=tuple(row["product_names"]),
        kind=row["kind"],
        status=row["status"],
        posted_at=row["posted_at"],
        status_changed_at=row["status_changed_at"],
        contract_start=row["contract_start"],
        contract_end=row["contract_end"],
        review_on=row["review_on"],
        destruction_certified_at=row["destruction_certified_at"],
        ended_early_on=row["ended_early_on"],
        student_pii=bool(info and row["receives_student_pii"]),
        appr_data=bool(info and row["receives_appr_data"]),
        correction_days=(row["correction_days"] if info else _MODEL_CORRECTION_DAYS) if model_wording else None,
        purposes=shown(F.PURPOSES, answer("purposes")),
        subcontractor_use=shown(F.SUBCONTRACTORS, answer("subcontractor_use")),
        subcontractors=shown(F.SUBCONTRACTORS, subcontractors),
        subcontractor_terms=shown(F.SUBCONTRACTORS, row["subcontractor_terms"] if outside else ""),
        data_transition_details=shown(F.DATA_TRANSITION, answer("data_transition_details")),
        storage=shown(
            F.STORAGE,
            Storage(
                third_party_cloud=bool(info and row["storage_third_party_cloud"]),
                contractor_hosted=bool(info and row["storage_contractor_hosted"]),
                other=row["storage_other_description"] if info and row["storage_other"] else "",
            ),
        ),
        security_measures=shown(F.SECURITY_MEASURES, answer("security_measures")),
        encryption_details=shown(F.ENCRYPTION, answer("encryption_details")),
        accuracy_challenges=row["accuracy_challenges"] if outside and not row["accuracy_model_wording"] else "",
        model_wording=model_wording,
        uploaded_on=timezone.localdate(row["uploaded_at"]) if outside else None,
        # In RedactionField's order (its .values is made anew at each use: only when something is withheld).
        withheld=tuple(withheld[f] for f in F.values if f in withheld) if withheld else (),
        document=Document(
            document["document_id"], document["sha256"], document["size"], document["filename"], scope.exhibit_c
        )
        if document
        else None,
        replaces=row["replaces_id"],
        replaced_by=row["replaced_by_id"],
    )
