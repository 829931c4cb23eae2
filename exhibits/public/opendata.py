"""A district's posting as open data: JSON and CSV, in a documented and stable shape (README, "Open data").

Both list every posted agreement by id. A withheld part is null in JSON and empty in CSV, and `withheld` says
which part and why. CSV cells that a spreadsheet would run as a formula are prefixed with a quote.

Both are streamed (issue 13): the agreements are read in chunks of CHUNK (their ids from a server-side cursor, then
one query for each chunk's rows of values, related rows included: selectors.posted_rows) and written as they are
read, so the first byte leaves before the last row is read and a worker's memory stays flat however many agreements
the district has. The rows become the same records as every public page's (records.record_of), so what a district
withholds is never in them. No model instances: building them was most of the time. The bytes are exactly those of
the whole document built at once (`json.dumps(..., ensure_ascii=False, indent=2)`), written by `_json`, which does
what json.dumps does for these few types without its indenting encoder's generators (most of the rest of the time).

They are not cached: a streamed response cannot be stored whole without building it whole, which is what streaming
avoids, and reading a district in chunks is fast (an index scan on agency and status, one query per chunk). A
client that asks again with the ETag it got (the district's cache version) gets 304 Not Modified without any query.
"""

import csv
import hashlib
import io
import json
from itertools import islice
from json.encoder import encode_basestring

from django.db import connection
from django.http import HttpResponseNotModified, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header

from dpa_portal.links import Links
from dpa_portal.spreadsheets import formula_safe

from . import cache, selectors
from .language import public_file_view
from .records import PublicAgreement, Withheld, public_records, record_of

# Agreements read and written at a time: one query each, and the memory of this many records. Not many more: a
# query for more rows is estimated costly enough for PostgreSQL to compile it (JIT), which takes longer than running it.
CHUNK = 400
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


def agreement_data(r: PublicAgreement, links: Links) -> dict:
    subcontractors = _open(r.subcontractors)
    storage = _open(r.storage)
    return {
        "id": r.pk,
        "url": links.url("public_agreement", r.district_slug, r.pk),
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
            "url": links.url("public_agreement_pdf", r.district_slug, r.pk),
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


def _chunks(agency):
    """The district's posted agreements by id, as public records, CHUNK at a time: a list each.

    The ids are read whole (an int each, a few thousand for the largest district): through a server-side cursor
    (.iterator) PostgreSQL planned for the first rows and walked the whole table's primary key in order to find the
    district's (120 ms before the first byte at a million agreements, 1 ms at ten thousand)."""
    ids = iter(list(selectors.posted_ids(agency)))
    if connection.vendor != "postgresql":
        # SQLite (`make run`) has no arrays for the related rows: the model instances, as the public pages read them.
        while chunk := list(islice(ids, CHUNK)):
            yield public_records(selectors.posted_agreements().filter(pk__in=chunk).order_by("pk"))
        return
    rows = selectors.posted_rows(agency)  # built once: building it costs more than running it for a chunk
    while chunk := list(islice(ids, CHUNK)):
        yield [record_of(row) for row in rows.filter(pk__in=chunk)]


def _json(value, indent: str) -> str:
    """`value` as `json.dumps(value, ensure_ascii=False, indent=2)` writes it `indent` deep (its first line not
    indented): for the types of agreement_data, and the same escaping (json's own encode_basestring)."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ",\n".join(f"{inner}{encode_basestring(key)}: {_json(item, inner)}" for key, item in value.items())
        return f"{{\n{items}\n{indent}}}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = ",\n".join(inner + _json(item, inner) for item in value)
        return f"[\n{items}\n{indent}]"
    raise TypeError(f"Not in the open data's JSON: {type(value).__name__}")


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
    links = Links(absolute)
    for chunk in _chunks(agency):
        # Inside the document, an agreement is two levels deep.
        text = ",\n".join("    " + _json(agreement_data(r, links), "    ") for r in chunk)
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
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield out.getvalue().encode("utf-8-sig")
    links = Links(absolute)
    for chunk in _chunks(agency):
        out.seek(0)
        out.truncate()
        writer.writerows(csv_row(agreement_data(r, links)).values() for r in chunk)
        yield out.getvalue().encode()


@public_file_view
def agreements_csv(request, slug):
    response = _streamed(
        request, slug, lambda agency: csv_stream(agency, request.build_absolute_uri), "text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = content_disposition_header(True, f"{slug}-agreements.csv")
    return response
