"""The portal's archive of a portfolio (issue 12.6): the JSON schema of its portfolio.json, versioned, as data; and the
way back, from one agreement of an archive to the import's OutsideTerms (archive_terms).

docs/portfolio-archive.md documents every field. A change that an older reader would misread is a new VERSION, with
the old one kept here beside it; a field added that readers may ignore is not.
"""

from datetime import date

SCHEMA_NAME = "dpa-portal/portfolio"
VERSION = 1

# The fixed wording of the model DPA's Exhibit B for the two 121.3(c) items that its fields do not hold as text: the
# archive's CSV gives each of the six items as text, as the import template asks (templates/public/agreement.html
# prints the same words).
SUBCONTRACTOR_TERMS_MODEL = (
    "Contractor will not utilize subcontractors without a written contract that requires the subcontractors to "
    "adhere to, at a minimum, materially similar data protection obligations imposed on the contractor by state and "
    "federal laws and regulations, and the Contract."
)
SUBCONTRACTOR_USE_WORDS = {
    "will_use": "Contractor will utilize subcontractors.",
    "will_not_use": "Contractor will not utilize subcontractors.",
}
ACCURACY_MODEL = (
    "Parents, teachers or principals who seek to challenge the accuracy of PII will do so by contacting the EA. If a "
    "correction to data is deemed necessary, the EA will notify Contractor. Contractor agrees to facilitate such "
    "corrections within {days} days of receiving the EA's written request."
)

# --- the JSON schema (draft 2020-12), built from a few shapes ------------------------------------------------------

STR = {"type": "string"}
STR_OR_NULL = {"type": ["string", "null"]}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}
INT_OR_NULL = {"type": ["integer", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
DATETIME = {"type": ["string", "null"], "format": "date-time"}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def _object(properties: dict, *, nullable: bool = False) -> dict:
    """Every property is required (a value not given is null or empty, never absent); no property besides."""
    return {
        "type": ["object", "null"] if nullable else "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _list(items: dict, *, nullable: bool = False) -> dict:
    return {"type": ["array", "null"] if nullable else "array", "items": items}


def _enum(*values, nullable: bool = False) -> dict:
    return {"enum": [*values, None] if nullable else list(values)}


STATUSES = (
    "draft",
    "with_vendor",
    "submitted",
    "approved",
    "vendor_signed",
    "executed",
    "expired",
    "terminated",
    "closed",
    "withdrawn",
)
DOCUMENT_KINDS = ("signing_copy", "executed", "public_copy", "termination_record", "uploaded")

SUBCONTRACTOR = _object({"name": STR, "purpose": STR, "receives_pii": BOOL, "written_agreement": BOOL})

# The keys are SupplementalInformation's field names: agreements.outside sets Exhibit B from this object as it is.
EXHIBIT_B = _object(
    {
        "purposes": STR,
        "receives_student_pii": BOOL,
        "receives_appr_data": BOOL,
        "subcontractor_use": _enum("will_use", "will_not_use", ""),
        "subcontractors": _list(SUBCONTRACTOR),
        "data_transition_details": STR,
        "correction_days": INT,
        "storage_third_party_cloud": BOOL,
        "storage_contractor_hosted": BOOL,
        "storage_other": BOOL,
        "storage_other_description": STR,
        "security_measures": STR,
        "encryption_details": STR,
    },
    nullable=True,
)

EXHIBIT_C_FIELDS = (
    "implementation",
    "safeguards",
    "training",
    "subcontractor_contracts",
    "incident_management",
    "data_transition",
    "secure_destruction",
    "policy_alignment",
    "framework_alignment",
)
EXHIBIT_C = _object(dict.fromkeys(EXHIBIT_C_FIELDS, STR), nullable=True)

CSF_RESPONSE = _object({"function": STR, "category": STR, "category_name": STR, "narrative": STR, "tier": INT_OR_NULL})

DOCUMENT = _object(
    {
        "kind": _enum(*DOCUMENT_KINDS),
        "document_id": STR,
        "sha256": SHA256,
        "size": INT,
        "created_at": DATETIME,
        "public_scope": STR,
        "file": STR,  # the PDF's path in the ZIP: pdfs/<agreement id>/<file name>
    }
)

SIGNATURE = _object(
    {
        "side": _enum("vendor", "district"),
        "organisation": STR,
        "name": STR,
        "title": STR,
        "role": STR,
        "email": STR_OR_NULL,
        "method": _enum("typed", "drawn"),
        "consent_version": INT,
        "mfa_confirmed": BOOL,
        "signed_at": DATETIME,
        # The signing record's network evidence: the district's own record of both signatures; a vendor's archive has
        # it for the vendor's own signature only (null for the district's).
        "ip_address": STR_OR_NULL,
        "user_agent": STR_OR_NULL,
        "document_id": STR,
        "document_sha256": SHA256,
        # A drawn signature's image (PNG): its path in the ZIP, signatures/<agreement id>/<side>.png; null if typed.
        "drawing": STR_OR_NULL,
    }
)

STATUS_CHANGE = _object(
    {"from_status": _enum(*STATUSES, ""), "to_status": _enum(*STATUSES), "note": STR, "at": DATETIME, "by": STR}
)

OBLIGATION = _object(
    {
        "kind": STR,
        "title": STR,
        "owed_by": _enum("district", "vendor"),
        "owed_to": STR,
        "rule": STR,
        "source": STR,
        "day_kind": _enum("calendar", "business"),
        "clock_started_on": DATE,
        "due_on": DATE,
        "due_explanation": STR,
        "status": _enum("open", "overdue", "met", "cancelled"),
        "met_at": DATETIME,
        "met_note": STR,
        "delay_reason": STR,
        "delay_note": STR,
        "delay_ended_on": DATE,
    }
)

BREACH_REPORT = _object(
    {
        "id": INT,
        "source": _enum("portal", "district", "third_party", "vendor_letter"),
        "learned_on": DATE,
        "told_by": STR,
        # The vendor's letter a district attached (a PDF or a scan): its path in the ZIP, breach-letters/<id>/<name>.
        "letter": STR_OR_NULL,
        "filed_at": DATETIME,
        "incident_date": DATE,
        "discovery_date": DATE,
        "pii_kinds": STR,
        "records_affected": INT_OR_NULL,
        "investigation": STR,
        "contact_name": STR,
        "contact_title": STR,
        "contact_email": STR,
        "contact_phone": STR,
        "agreements": _list(INT),
    }
)

PARENT_REQUEST = _object(
    {
        "id": INT,
        "agreement": INT_OR_NULL,
        "kind": _enum("access", "correction", "complaint"),
        "requester": STR,
        "reference": STR,
        "received_on": DATE,
        "details": STR,
        "created_at": DATETIME,
        "closed_at": DATETIME,
        "outcome": STR,
    }
)

TERMINATION = _object(
    {"effective_on": DATE, "basis": _enum("notice", "mutual"), "reason": STR, "recorded_at": DATETIME},
    nullable=True,
)

DESTRUCTION_CERTIFICATE = _object(
    {
        "certified_at": DATETIME,
        "signer_name": STR,
        "signer_title": STR,
        "data_description": STR,
        "returned_first": BOOL,
        "return_details": STR,
        "method": STR,
        "method_details": STR,
        "destroyed_on": DATE,
        "subcontractors_included": BOOL,
        "subcontractor_details": STR,
        "status": _enum("submitted", "accepted", "rejected"),
        "reviewed_at": DATETIME,
        "review_note": STR,
    }
)

OUTSIDE_SIGNING = _object(
    {
        "uploaded_at": DATETIME,
        "uploaded_by": STR,
        "source_filename": STR,
        "pdf_text": _enum("text", "scanned", "none"),
        "read_from_pdf": _list(STR),
        "subcontractor_terms": STR,
        "accuracy_challenges": STR,
        "accuracy_model_wording": BOOL,
        "vendor_contact_name": STR,
        "vendor_contact_email": STR,
        "document_id": STR_OR_NULL,
    },
    nullable=True,
)

REVIEW_COMMENT = _object(
    {
        "section": STR,
        "category": STR_OR_NULL,
        "field": STR,
        "subcontractor": STR_OR_NULL,
        "body": STR,
        "recommendation": STR,
        "by": STR,
        "created_at": DATETIME,
        "resolved_at": DATETIME,
    }
)

AGREEMENT = _object(
    {
        "id": INT,
        "district": _object({"name": STR, "slug": STR}),
        "vendor": _object(
            {
                "legal_name": STR,
                "slug": STR,
                "website": STR,
                "privacy_policy_url": STR,
                "incident_response_plan_url": STR,
            }
        ),
        "products": _list(_object({"name": STR, "slug": STR, "website": STR})),
        "kind": _enum("new", "amendment", "renewal"),
        "previous": INT_OR_NULL,
        "status": _enum(*STATUSES),
        "status_changed_at": DATETIME,
        "created_at": DATETIME,
        "term": _object(
            {
                "service_agreement_date": DATE,
                "contract_start": DATE,
                "contract_end": DATE,
                "runs_until_terminated": BOOL,
                "review_on": DATE,
            }
        ),
        "framework": _object({"code": STR, "version": STR}),
        "exhibit_b": EXHIBIT_B,
        "redactions": _list(_object({"field": STR, "reason": STR})),
        "exhibit_c": EXHIBIT_C,
        "exhibit_c1": _list(CSF_RESPONSE),
        "bill_of_rights": _object(
            {"version": INT, "title": STR, "effective_date": DATE, "acknowledged_at": DATETIME}, nullable=True
        ),
        "timeline": _list(STATUS_CHANGE),
        "signatures": _list(SIGNATURE),
        "documents": _list(DOCUMENT),
        "deadlines": _list(OBLIGATION),
        "breach_reports": _list(BREACH_REPORT),
        # null in a vendor's archive: the district's own records (see docs/portfolio-archive.md).
        "parent_requests": _list(PARENT_REQUEST, nullable=True),
        "review_comments": _list(REVIEW_COMMENT, nullable=True),
        "termination": TERMINATION,
        "destruction_certificates": _list(DESTRUCTION_CERTIFICATE),
        "outside_signing": OUTSIDE_SIGNING,
    }
)

BILL_OF_RIGHTS = _object({"version": INT, "title": STR, "preamble": STR, "items": _list(STR), "effective_date": DATE})

# A district's own details as the portal holds them (its address, where breach notices go, its Data Protection
# Office, where parents send complaints, whether it posts Exhibit C): the fields of agreements.EducationalAgency.
DISTRICT_DETAILS = (
    "kind",
    "street_address",
    "city",
    "state",
    "postal_code",
    "breach_notice_name",
    "breach_notice_title",
    "breach_notice_street_address",
    "breach_notice_city",
    "breach_notice_state",
    "breach_notice_postal_code",
    "breach_notice_email",
    "data_protection_office_name",
    "data_protection_office_email",
    "complaint_contact_name",
    "complaint_email",
    "complaint_mail_address",
    "complaint_phone",
    "complaint_url",
)

OWNER = _object(
    {
        "kind": _enum("district", "vendor"),
        "name": STR,
        "slug": STR,
        "website": STR,
        # A district's details (DISTRICT_DETAILS, and post_exhibit_c); null in a vendor's archive.
        "details": _object({**dict.fromkeys(DISTRICT_DETAILS, STR), "post_exhibit_c": BOOL}, nullable=True),
        # A district's published Bills of Rights, newest first; null in a vendor's archive.
        "bills_of_rights": _list(BILL_OF_RIGHTS, nullable=True),
    }
)

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://dpa-portal.example/schemas/portfolio/1",
    "title": "A portfolio of Data Privacy Agreements exported from the DPA portal",
    "type": "object",
    "properties": {
        "schema": {"const": SCHEMA_NAME},
        "version": {"const": VERSION},
        "generated_at": DATETIME,
        "portal": STR,
        "owner": OWNER,
        "agreements": _list(AGREEMENT),
        # A district's parent requests that name no agreement (complaints about the district itself); null for a
        # vendor.
        "parent_requests_without_agreement": _list(PARENT_REQUEST, nullable=True),
    },
    "required": [
        "schema",
        "version",
        "generated_at",
        "portal",
        "owner",
        "agreements",
        "parent_requests_without_agreement",
    ],
    "additionalProperties": False,
}

# --- from an archive back to the import -----------------------------------------------------------------------------

# What an import of an archive brings in: the agreements that were posted (signed by both). Drafts and agreements
# withdrawn before signing were never in effect; agreements.outside records what was signed.
IMPORTABLE_STATUSES = ("executed", "expired", "terminated", "closed")


def archive_importable(record: dict) -> bool:
    return record["status"] in IMPORTABLE_STATUSES


def archive_signed_document(record: dict) -> dict | None:
    """The document an import stores as the signed copy: the sealed executed DPA, or the copy uploaded before."""
    by_kind = {d["kind"]: d for d in record["documents"]}
    return by_kind.get("executed") or by_kind.get("uploaded")


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def archive_terms(record: dict, *, contractor):
    """The import's OutsideTerms for one agreement of an archive's portfolio.json. `contractor` is the caller's: the
    vendor matched or created for record["vendor"] (the import chooses it, as for a sheet's row).

    Where the agreement states 121.3(c) items 2 and 4 in the model DPA's wording (the portal's own agreements, or an
    earlier import of a portal archive), the structured Exhibit B goes with it and sets Exhibit B exactly. Where it
    states them in its own words (an agreement signed outside any portal), those words go instead, and Exhibit B's
    items as text, as a sheet's row would give them: exhibit_b would mark the wording as the model's."""
    from agreements.outside import OutsideTerms  # the agreements side's service module

    info = record["exhibit_b"] or {}
    outside = record["outside_signing"] or {}
    term = record["term"]
    model_wording = not outside or outside.get("accuracy_model_wording", False)
    subcontractors = None
    if info.get("subcontractors"):
        subcontractors = [s["name"] for s in info["subcontractors"]]
    elif info.get("subcontractor_use") == "will_not_use":
        subcontractors = []
    return OutsideTerms(
        contractor=contractor,
        products=[p["name"] for p in record["products"]],
        service_agreement_date=_date(term["service_agreement_date"]),
        contract_start=_date(term["contract_start"]),
        contract_end=_date(term["contract_end"]),
        runs_until_terminated=term["runs_until_terminated"],
        review_on=_date(term["review_on"]),
        purposes=info.get("purposes", ""),
        subcontractors=subcontractors,
        subcontractor_terms=outside.get("subcontractor_terms", ""),
        data_transition=info.get("data_transition_details", ""),
        accuracy_challenges=outside.get("accuracy_challenges", ""),
        storage_and_security=info.get("security_measures", ""),
        encryption=info.get("encryption_details", ""),
        student_pii=info["receives_student_pii"] if info else None,
        appr_data=info["receives_appr_data"] if info else None,
        vendor_contact_name=outside.get("vendor_contact_name", ""),
        vendor_contact_email=outside.get("vendor_contact_email", ""),
        read_from_pdf=list(outside.get("read_from_pdf", [])),
        exhibit_b=dict(info) if info and model_wording else None,
    )


def archive_redactions(record: dict) -> list[tuple[str, str]]:
    """The parts of Exhibit B the district withholds from the public, with its reasons: (field, reason) for
    exhibits.public.services.redaction_add. OutsideTerms has no place for them, so an import of an archive applies
    them right after agreements.outside.outside_agreement_record, in the same transaction: never public for a
    moment."""
    return [(r["field"], r["reason"]) for r in record["redactions"]]


def items_as_text(record: dict) -> dict:
    """The six 121.3(c) items as the agreement states them, as text: the import template's columns (the archive's
    agreements.csv). Items 2 and 4 in the model DPA's wording where the agreement uses it."""
    info = record["exhibit_b"] or {}
    outside = record["outside_signing"] or {}
    model_wording = not outside or outside.get("accuracy_model_wording", False)
    if model_wording:
        subcontractor_terms = " ".join(
            filter(None, [SUBCONTRACTOR_TERMS_MODEL, SUBCONTRACTOR_USE_WORDS.get(info.get("subcontractor_use", ""))])
        )
        accuracy = ACCURACY_MODEL.format(days=info.get("correction_days", 21)) if info else ""
    else:
        subcontractor_terms = outside.get("subcontractor_terms", "")
        accuracy = outside.get("accuracy_challenges", "")
    places = [
        text
        for on, text in (
            (
                info.get("storage_third_party_cloud"),
                "Using a cloud or infrastructure owned and hosted by a third party.",
            ),
            (info.get("storage_contractor_hosted"), "Using Contractor owned and hosted solution."),
            (info.get("storage_other"), f"Other: {info.get('storage_other_description', '')}"),
        )
        if on
    ]
    storage = "\n\n".join(filter(None, [" ".join(places), info.get("security_measures", "")]))
    names = [s["name"] for s in info.get("subcontractors", [])]
    return {
        "purposes": info.get("purposes", ""),
        "subcontractors": names or ("none" if info.get("subcontractor_use") == "will_not_use" else ""),
        "subcontractor_terms": subcontractor_terms,
        "data_transition": info.get("data_transition_details", ""),
        "accuracy_challenges": accuracy,
        "storage_and_security": storage,
        "encryption": info.get("encryption_details", ""),
    }
