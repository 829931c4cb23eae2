"""The complete Data Privacy Agreement as one document: HTML from templates/dpa/, PDF through WeasyPrint.

The wording of Articles I-IV and of the exhibits' fixed text is the NYS model DPA's
(reference/nys-model-dpa-example.txt); everything that varies (parties, Service Agreement date, the II.12(b)
breach-notice recipient, the Bill of Rights, the vendor's answers, signatures) comes from the agreement.
The output is deterministic: the same agreement, signatures, audit events and document id give the same bytes,
so a hash that a signer saw can be recomputed.
"""

from __future__ import annotations

import base64
import functools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from django.core.exceptions import ObjectDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .wrap import break_long_runs

# Part 121 deadlines and the district's own records run on New York time; the document says so explicitly.
NEW_YORK = ZoneInfo("America/New_York")
DRAFT_MARK = "DRAFT - not executed"
TEMPLATE = "dpa/dpa.html"


@dataclass(frozen=True)
class SignatureBlock:
    side: str  # "district" or "vendor"
    organisation: str
    name: str  # typed by the signer
    title: str
    signed_at: datetime | None
    method: str  # e.g. "typed name" or "typed name and drawn signature"
    image_png: bytes | None = None  # a drawn signature, if any
    document_sha256: str = ""


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor: str
    description: str


def render_dpa_html(
    agreement,
    *,
    signatures: Sequence[SignatureBlock] = (),
    audit: Sequence[AuditEvent] = (),
    document_id: str = "",
    draft: bool = False,
) -> str:
    """The DPA as a standalone HTML document (print CSS inlined). A fixed number of queries, whatever the framework."""
    context = dpa_context(agreement, signatures=signatures, audit=audit, document_id=document_id, draft=draft)
    return render_context(context)


def render_context(context: dict, template: str = TEMPLATE) -> str:
    """The DPA's template with a context from `dpa_context` (the public copy adds to it: documents/public_copy.py), or
    another document in its style (the termination record: documents/termination.py)."""
    # The document is the same whoever asks: English (the DPA's language) and New York time, not the request's.
    with translation.override("en"), timezone.override(NEW_YORK):
        return render_to_string(template, context)


def render_dpa_pdf(
    agreement,
    *,
    signatures: Sequence[SignatureBlock] = (),
    audit: Sequence[AuditEvent] = (),
    document_id: str = "",
    draft: bool = False,
) -> bytes:
    """The DPA as a tagged PDF/UA-1 file, Letter size."""
    html = render_dpa_html(agreement, signatures=signatures, audit=audit, document_id=document_id, draft=draft)
    return html_to_pdf(html, document_id=document_id)


def html_to_pdf(html: str, *, document_id: str = "") -> bytes:
    # Imported here: WeasyPrint loads Pango and fontconfig, which a web request that never renders need not pay for.
    from weasyprint import HTML

    resources = _weasyprint_resources()
    # The print CSS comes inlined in the document (a standalone file, and stored so in a public copy's source); it is
    # parsed once per worker instead (see _WeasyPrintResources), and the document is laid out without it.
    document_html, styles = _without_head_styles(html)
    # A long string without a space would take time growing with the square of its length to lay out (wrap.py).
    document = HTML(string=break_long_runs(document_html), url_fetcher=resources.fetcher, base_url=BASE_URL)
    return document.write_pdf(
        stylesheets=[resources.stylesheet(text) for text in styles],
        font_config=resources.font_config,
        # PDF/UA-1 implies a tagged PDF (headings, lists, tables with their headers) with the title shown and the
        # language set from <html lang>; WeasyPrint 70 supports it without extra dependencies.
        pdf_variant="pdf/ua-1",
        # The trailer /ID names the document; without an id, an identifier derived from the content (deterministic).
        pdf_identifier=document_id.encode() if document_id else True,
        finisher=_serialize_streams_once,
    )


# Nothing in the document is fetched from anywhere: the only resources are data: URLs we build (drawn signatures).
BASE_URL = "about:blank"
# Stylesheets kept per worker thread, by their text: the DPA's, the public copy's, and those of older sources (a public
# copy is made from the HTML stored at execution, with the CSS of that day). A handful in practice.
MAX_STYLESHEETS = 16
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


class _WeasyPrintResources(threading.local):
    """What every render needs and WeasyPrint would otherwise build again each time, kept for the life of the worker:
    the font configuration (fontconfig's configuration and font list, and Pango's font map with what it has loaded),
    the parsed stylesheets and the URL fetcher. Per thread, because Pango's font map is not safe to share between
    threads; a Celery prefork worker is one thread, so one of each per process. Nothing in them depends on the
    document: the stylesheets have no @font-face and no url()."""

    def __init__(self):
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        self.font_config = FontConfiguration()
        # Refusing every scheme but data: means no text, even if it ever escaped, can make the server fetch.
        self.fetcher = URLFetcher(allowed_protocols=["data"], fail_on_errors=False)
        self.stylesheets: dict[str, object] = {}
        self.parses = 0  # stylesheets parsed by this thread (tests/test_render_speed.py)

    def stylesheet(self, text: str):
        sheet = self.stylesheets.get(text)
        if sheet is None:
            from weasyprint import CSS

            if len(self.stylesheets) >= MAX_STYLESHEETS:
                self.stylesheets.pop(next(iter(self.stylesheets)))
            sheet = CSS(string=text, base_url=BASE_URL, url_fetcher=self.fetcher, font_config=self.font_config)
            self.stylesheets[text] = sheet
            self.parses += 1
        return sheet


_resources: _WeasyPrintResources | None = None
_resources_lock = threading.Lock()


def _weasyprint_resources() -> _WeasyPrintResources:
    """This thread's resources, made on its first render (never at import: a web process that never renders, or a
    Celery parent before it forks, loads no fonts)."""
    global _resources
    if _resources is None:
        with _resources_lock:
            if _resources is None:
                _resources = _WeasyPrintResources()
    return _resources


def _without_head_styles(html: str) -> tuple[str, tuple[str, ...]]:
    """The document without the <style> elements of its head, and their text in document order.

    Laid out with the same text as WeasyPrint stylesheets, the document prints the same bytes
    (tests/test_render_speed.py): a sheet given to write_pdf has the user origin instead of the author's, which
    differs only for !important declarations, and the print CSS has none. A <style> with attributes stays in the
    document, parsed each time."""
    body = html.find("<body")
    if body < 0:
        return html, ()
    head = html[:body]
    styles = tuple(_STYLE.findall(head))
    if not styles:
        return html, ()
    return _STYLE.sub("", head) + html[body:], styles


def _serialize_streams_once(_document, pdf) -> None:
    """pydyf writes the trailer's /ID from a digest of every object, serialized a second time for it: each stream
    compressed again, about 40 ms of a 16-page DPA. Called by WeasyPrint once the PDF is complete, before it is
    written, this makes each stream serialize once and keep its bytes (same output, byte for byte)."""
    import pydyf

    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream):
            obj.__class__ = _serialized_once(type(obj))


@functools.cache
def _serialized_once(cls: type) -> type:
    serialize = cls.data.fget

    def data(self):
        cached = self.__dict__.get("_serialized")
        if cached is None:
            cached = self.__dict__["_serialized"] = serialize(self)
        return cached

    return type(cls.__name__, (cls,), {"data": property(data), "__module__": cls.__module__})


# --- the data behind the template ------------------------------------------------------------------------------


def dpa_context(agreement, *, signatures=(), audit=(), document_id="", draft=False) -> dict:
    """Everything the template shows: the parties, Exhibits A, B, C and C.1, the signature page (Article IV.2) and
    the audit trail, each gathered by a step below. Queries: the agreement with its one-to-one rows (1), the
    subcontractors (1), the latest Bill of Rights (1) only when the vendor acknowledged none, the framework's
    categories with their functions (1), and the C.1 responses (1)."""
    agreement = _agreement_with_exhibits(agreement)
    info = _one_to_one(agreement, "supplemental_information")
    acknowledgement = _one_to_one(agreement, "bill_of_rights_acknowledgement")
    blocks = _signature_blocks(signatures, agency=agreement.agency.name, contractor=agreement.contractor.legal_name)
    return {
        "agreement": agreement,
        "agency": agreement.agency,
        "contractor": agreement.contractor,
        "info": info,
        "subcontractors": _subcontractors(info),
        "plan_rows": _security_plan_rows(agreement),
        "bill": _bill_of_rights(agreement, acknowledgement),
        "acknowledgement": acknowledgement,
        "acknowledged_on": _new_york(acknowledgement.acknowledged_at).date() if acknowledgement else None,
        "csf_groups": _csf_groups(agreement),
        "district_signature": blocks["district"],
        "vendor_signature": blocks["vendor"],
        "signers": [_signature_view(s) for s in signatures],
        "events": _audit_rows(audit),
        "show_audit": bool(signatures or audit),
        "document_id": document_id,
        "draft": draft,
        "draft_mark": DRAFT_MARK,
    }


def _agreement_with_exhibits(agreement):
    """The agreement read again with its parties, framework and one-to-one exhibits in one query: the document
    shows what is stored now, not what the caller's instance holds."""
    from agreements.models import Agreement

    return Agreement.objects.select_related(
        "agency",
        "contractor",
        "framework",
        "supplemental_information",
        "security_plan",
        "bill_of_rights_acknowledgement__bill_of_rights",
    ).get(pk=agreement.pk)


def _subcontractors(info) -> list:
    """Exhibit B's subcontractors (121.3(c)(2)), by name; none before Exhibit B exists."""
    return list(info.subcontractors.order_by("name")) if info else []


def _security_plan_rows(agreement) -> list[tuple[int, str, str, str]]:
    """Exhibit C's nine questions with the vendor's answers, or unanswered before the plan exists; question 9 names
    the agreement's NIST CSF version either way, as the model DPA does."""
    from exhibits.models import SECURITY_PLAN_QUESTIONS, security_plan_question

    plan = _one_to_one(agreement, "security_plan")
    if plan is not None:
        return plan.answers()
    version = agreement.framework.version
    return [
        (n, field, security_plan_question(field, version), "")
        for n, (field, _) in enumerate(SECURITY_PLAN_QUESTIONS, 1)
    ]


def _bill_of_rights(agreement, acknowledgement):
    """Exhibit A: the version of the district's Parents' Bill of Rights the vendor acknowledged, else its latest."""
    from exhibits.models import BillOfRights

    if acknowledgement:
        return acknowledgement.bill_of_rights
    return BillOfRights.objects.filter(agency=agreement.agency).order_by("-version").first()


def _csf_groups(agreement) -> list:
    """Exhibit C.1: each function of the agreement's NIST CSF version with its categories and the vendor's response
    to each (None where unanswered), in the framework's order."""
    from exhibits.models import CsfResponse, FrameworkCategory

    categories = FrameworkCategory.objects.filter(framework=agreement.framework_id).select_related("function")
    categories = categories.order_by("function__position", "position")
    responses = {r.category_id: r for r in CsfResponse.objects.filter(agreement=agreement)}
    return [
        (function, [(category, responses.get(category.pk)) for category in rows])
        for function, rows in groupby(categories, key=lambda c: c.function)
    ]


def _audit_rows(audit: Sequence[AuditEvent]) -> list[dict]:
    """The audit trail printed after the signatures: each event in New York time, machine- and human-readable."""
    return [
        {
            "iso": _new_york(e.at).isoformat(),
            "when": format_new_york(e.at),
            "actor": e.actor,
            "description": e.description,
        }
        for e in audit
    ]


def _one_to_one(obj, name):
    """A reverse one-to-one fetched by select_related, or None if the row does not exist (no extra query)."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def _new_york(value: datetime) -> datetime:
    # A naive time is read as the portal's own time (Django's convention for naive values with USE_TZ).
    if timezone.is_naive(value):
        value = timezone.make_aware(value, NEW_YORK)
    return value.astimezone(NEW_YORK)


def format_new_york(value: datetime) -> str:
    """E.g. "2026-05-04 14:03:22 EDT (UTC-04:00)": unambiguous on paper, in New York time."""
    local = _new_york(value)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def _signature_view(block: SignatureBlock) -> dict:
    image = ""
    if block.image_png:
        image = "data:image/png;base64," + base64.b64encode(block.image_png).decode("ascii")
    return {
        "signed": True,
        "side": block.side,
        "side_label": "Educational Agency" if block.side == "district" else "Contractor",
        "organisation": block.organisation,
        "name": block.name,
        "title": block.title,
        "date": _new_york(block.signed_at).date() if block.signed_at else None,
        "when": format_new_york(block.signed_at) if block.signed_at else "",
        "method": block.method,
        "image": image,
        "sha256": block.document_sha256,
    }


def _signature_blocks(signatures, *, agency: str, contractor: str) -> dict:
    """The signature page (DPA Article IV.2, "BY: ... Date:" for each party): each party's first signature, or an
    empty block to sign on paper."""
    blocks = {
        "district": {"signed": False, "organisation": agency},
        "vendor": {"signed": False, "organisation": contractor},
    }
    for side in blocks:
        first = next((s for s in signatures if s.side == side), None)
        if first is not None:
            blocks[side] = _signature_view(first)
    return blocks
