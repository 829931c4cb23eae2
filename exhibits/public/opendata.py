"""A district's posting as open data: JSON and CSV, in a documented and stable shape (README, "Open data").

Both list every posted agreement by id. A withheld part is null in JSON and empty in CSV, and `withheld` says
which part and why. CSV cells that a spreadsheet would run as a formula are prefixed with a quote.

Both are streamed (issue 13): the agreements are read in chunks of CHUNK (a server-side cursor, with each chunk's
related rows prefetched in a fixed number of queries) and written as they are read, so the first byte leaves before
the last row is read and a worker's memory stays flat however many agreements the district has. The bytes are exactly
those of the whole document built at once (`json.dumps(..., indent=2)`).

They are not cached: a streamed response cannot be stored whole without building it whole, which is what streaming
avoids, and reading a district in chunks is fast (an index scan on agency and status, a few queries per chunk). A
client that asks again with the ETag it got (the district's cache version) gets 304 Not Modified without any query.
"""

import csv
import gc
import hashlib
import io
import json
import textwrap

from django.http import HttpResponseNotModified, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header

from dpa_portal.spreadsheets import formula_safe

from . import cache, selectors
from .language import public_file_view
from .records import PublicAgreement, Withheld, public_record

# Agreements read and written at a time: a few queries each, and the memory of this many records.
CHUNK = 200
FORMAT = "dpa-portal/exhibit-b/1"
CSV_COLUMNS = [
    "id",
    "url",
    "vendor",
    "products",
    "kind",
    "status",
    "posted_on",
    "contract_start",
    "contract_end",
    "ended_early_on",
    "data_destruction_certified_on",
    "pii_types",
    "purposes",
    "subcontractor_use",
    "subcontractors",
    "data_transition_details",
    "correction_days",
    "storage",
    "security_measures",
    "encryption_details",
    "withheld",
    "sealed_pdf_url",
    "sealed_pdf_sha256",
    # Added for agreements signed outside the portal (issue 12), at the end so that the columns before keep their place.
    "signed_outside_portal",
    "uploaded_on",
    "subcontractor_terms",
    "accuracy_challenges",
]


def _iso(value):
    return value.isoformat() if value else None


def _open(value):
    """A value as JSON shows it: None where withheld."""
    return None if isinstance(value, Withheld) else value


def agreement_data(r: PublicAgreement, absolute) -> dict:
    subcontractors = _open(r.subcontractors)
    storage = _open(r.storage)
    return {
        "id": r.pk,
        "url": absolute(reverse("public_agreement", args=[r.district_slug, r.pk])),
        "vendor": r.vendor,
        "products": list(r.products),
        "kind": r.kind,
        "replaces": r.replaces,
        "replaced_by": r.replaced_by,
        "status": r.status,
        "posted_on": _iso(r.posted_on),
        "contract_start": _iso(r.contract_start),
        "contract_end": _iso(r.contract_end),
        "ended_early_on": _iso(r.ended_early_on),  # terminated before its term ended (issue 11.2)
        "data_destruction_certified_on": _iso(r.destruction_certified_on),
        "pii_types": r.pii_types,
        "purposes": _open(r.purposes),
        "subcontractor_use": _open(r.subcontractor_use),
        "subcontractors": None if subcontractors is None else [vars(s) for s in subcontractors],
        "data_transition_details": _open(r.data_transition_details),
        "correction_days": r.correction_days,
        "storage": None if storage is None else vars(storage),
        "security_measures": _open(r.security_measures),
        "encryption_details": _open(r.encryption_details),
        "withheld": [{"field": w.field, "reason": w.reason} for w in r.withheld],
        "sealed_pdf": None
        if r.document is None
        else {
            "url": absolute(reverse("public_agreement_pdf", args=[r.district_slug, r.pk])),
            "document_id": r.document.document_id,
            "sha256": r.document.sha256,
            "size": r.document.size,
            "exhibit_c": r.document.exhibit_c,
        },
        # Signed outside the portal (issue 12): the day the district uploaded it. Its sealed_pdf is null for good: the
        # uploaded PDF is the parties' copy, never published (views.sealed_pdf).
        "signed_outside_portal": r.signed_outside_portal,
        "uploaded_on": _iso(r.uploaded_on),
        # 121.3(c)(2) and (4) in the agreement's own words; "" where the model DPA's wording applies (for item 4,
        # correction_days is then a number; it is null where the agreement does not use the model's wording).
        "subcontractor_terms": _open(r.subcontractor_terms),
        "accuracy_challenges": r.accuracy_challenges,
    }


def _records(agency):
    """The district's posted agreements by id, as public records, read CHUNK at a time.

    Reading leaves reference cycles that only the garbage collector frees, late: an agreement and its Exhibit B
    (select_related of a one-to-one caches each on the other), an instance and its related manager's prefetched
    queryset. A collection after each chunk frees it once written, so memory stays flat however many agreements the
    district has (as the portfolio export does)."""
    agreements = selectors.posted_agreements().filter(agency=agency).order_by("pk")
    for n, agreement in enumerate(agreements.iterator(chunk_size=CHUNK), 1):
        yield public_record(agreement)
        if n % CHUNK == 0:
            del agreement
            gc.collect()


def _chunks(records):
    chunk = []
    for record in records:
        chunk.append(record)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _etag(request, slug) -> str | None:
    """The district's cache version (moved by every change of its posting), and the host the URLs are made for."""
    try:
        version = cache.version(slug)
    except Exception:  # the cache is a help: without it, no ETag
        return None
    origin = hashlib.sha256(f"{request.scheme}://{request.get_host()}".encode()).hexdigest()[:12]
    return f'"{slug}-{version}-{origin}"'


def _streamed(request, slug, body, content_type):
    """The stream of `body(agency)`, or 304 when the client holds the current version; the district is read first,
    so that an unknown district is a 404 and not a broken stream."""
    etag = _etag(request, slug)
    if etag and etag in request.headers.get("If-None-Match", ""):
        return HttpResponseNotModified(headers={"ETag": etag})
    agency = selectors.district_public(slug)
    response = StreamingHttpResponse(body(agency), content_type=content_type)
    if etag:
        response.headers["ETag"] = etag
    return response


def json_stream(agency, absolute):
    """The district's JSON document in pieces, byte for byte `json.dumps(document, ensure_ascii=False, indent=2)`."""
    head = json.dumps(
        {
            "format": FORMAT,
            "district": {
                "name": agency.name,
                "slug": agency.slug,
                "url": absolute(reverse("public_district", args=[agency.slug])),
            },
            "agreements": [],
        },
        ensure_ascii=False,
        indent=2,
    )
    # The empty list is the last "[]" of the document: the agreements go in its place.
    before, after = head[: head.rindex("[]")], head[head.rindex("[]") + 2 :]
    separator = "[\n"
    for chunk in _chunks(_records(agency)):
        items = (json.dumps(agreement_data(r, absolute), ensure_ascii=False, indent=2) for r in chunk)
        # Inside the document, an agreement is two levels deep: four spaces before each of its lines.
        text = ",\n".join(textwrap.indent(item, "    ") for item in items)
        yield f"{before}{separator}{text}".encode()
        before, separator = "", ",\n"
    yield (f"{before}[]{after}" if separator == "[\n" else f"\n  ]{after}").encode()


@public_file_view
def agreements_json(request, slug):
    return _streamed(
        request, slug, lambda agency: json_stream(agency, request.build_absolute_uri), "application/json; charset=utf-8"
    )


def csv_safe(value) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (or a tab or return) gets a leading quote."""
    return formula_safe("" if value is None else str(value))


def csv_row(data: dict) -> dict:
    storage = data["storage"]
    subcontractors = data["subcontractors"]
    pdf = data["sealed_pdf"] or {}
    row = {
        **{key: data[key] for key in CSV_COLUMNS if key in data and not isinstance(data[key], list | dict)},
        "products": "; ".join(data["products"]),
        "pii_types": "; ".join(data["pii_types"]),
        "subcontractors": None if subcontractors is None else "; ".join(s["name"] for s in subcontractors),
        "storage": None
        if storage is None
        else "; ".join(
            [k for k in ("third_party_cloud", "contractor_hosted") if storage[k]]
            + ([f"other: {storage['other']}"] if storage["other"] else [])
        ),
        "withheld": " | ".join(f"{w['field']}: {w['reason']}" for w in data["withheld"]),
        "sealed_pdf_url": pdf.get("url"),
        "sealed_pdf_sha256": pdf.get("sha256"),
        "signed_outside_portal": "true" if data["signed_outside_portal"] else "false",
    }
    return {column: csv_safe(row.get(column)) for column in CSV_COLUMNS}


def csv_stream(agency, absolute):
    """The district's CSV in pieces: the header with a byte-order mark, so that spreadsheet programs read the file as
    UTF-8 (names like "Peñasco"), then CHUNK rows at a time."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    yield out.getvalue().encode("utf-8-sig")
    for chunk in _chunks(_records(agency)):
        out.seek(0)
        out.truncate()
        for r in chunk:
            writer.writerow(csv_row(agreement_data(r, absolute)))
        yield out.getvalue().encode()


@public_file_view
def agreements_csv(request, slug):
    response = _streamed(
        request, slug, lambda agency: csv_stream(agency, request.build_absolute_uri), "text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = content_disposition_header(True, f"{slug}-agreements.csv")
    return response
