"""The public copy of an executed DPA (DESIGN.md, "What is public"; README, "Open data").

What it holds: Articles I-IV, Exhibit A (the Bill of Rights) and Exhibit B, with the parties and each signer's
name, title and date, signed "/s/" as a conformed copy. What it never holds: the audit trail (the signers' e-mail and
IP addresses, the history of the review with the district's notes), the drawn signature images, the e-mail address
for breach notices of Article II.12(b) (a person's, often), the parts of Exhibit B the district withholds (8 NYCRR
121.3(e)), and Exhibits C and C.1 unless the district posts them. The Bill of Rights keeps the district's address
for complaints: it is there for parents, and public on the district's page already.

It is made in two steps, so that every copy shows the agreement as it was executed:

1. `render_source` renders it once, right after the executed DPA, with all of Exhibit B and with Exhibits C and
   C.1, each part that a copy may leave out between marks, and the document id as a mark too. The marks are HTML
   comments, which no text a person wrote can contain: the template escapes every "<" of it.
2. `public_copy_pdf` cuts from that source the parts the scope leaves out, writes the id and makes the PDF.

A copy for another scope (a part withheld later, Exhibit C posted later) is made from the source stored with the
first copy, so a district's new name or breach-notice contact never reaches the copy of an agreement executed before.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .render import NEW_YORK, SignatureBlock, dpa_context, html_to_pdf, render_context

EXHIBIT_C = "exhibit_c"
# Marked in the source and left out of every public copy, whatever the scope, with what stands in their place.
ALWAYS_LEFT_OUT = {
    "breach_notice_email": "<p>Email: given to the Contractor; not in the public copy.</p>",
}
_MARK = "<!--public-copy:"
_ID_MARK = "<!--public-copy:document-id-->"
_OMISSIONS_MARK = "<!--public-copy:omissions-->"

WITHHELD_HTML = (
    '<p class="withheld">Withheld by the Educational Agency under 8 NYCRR 121.3(e); '
    "its public page for this agreement gives the reason.</p>"
)
EXHIBIT_C_HTML = (
    '<section class="exhibit" id="exhibit-c"><h2 class="exhibit-title">EXHIBITS C AND C.1</h2>'
    "<p>Exhibit C (the Contractor's Data Privacy and Security Plan) and Exhibit C.1 (its NIST Cybersecurity "
    "Framework table) are part of the executed agreement. The plan need not be posted (8 NYCRR 121.6), and the "
    "Educational Agency does not post it: this copy leaves both out.</p></section>"
)


def parts() -> tuple[str, ...]:
    """The parts a public copy may leave out: each part of Exhibit B a district may withhold, and Exhibit C."""
    from exhibits.models import RedactionField

    return (*RedactionField.values, EXHIBIT_C)


def _begin(part: str) -> str:
    return f"{_MARK}begin:{part}-->"


def _end(part: str) -> str:
    return f"{_MARK}end:{part}-->"


def render_source(agreement, *, signatures: Sequence[SignatureBlock], executed_document_id: str) -> str:
    """The public copy's HTML with every part marked, from the agreement as stored now (call it on execution)."""
    context = dpa_context(agreement, signatures=signatures, document_id=mark_safe(_ID_MARK))  # noqa: S308 -- ours
    for key in ("district_signature", "vendor_signature"):
        context[key] = _conformed(context[key])
    context["signers"] = [_conformed(s) for s in context["signers"]]
    signed = [s.signed_at for s in signatures if s.signed_at]
    context.update(
        public=True,
        show_audit=False,  # the audit trail stays with the parties
        events=[],
        begin={part: mark_safe(_begin(part)) for part in (*parts(), *ALWAYS_LEFT_OUT)},  # noqa: S308 -- fixed text
        end={part: mark_safe(_end(part)) for part in (*parts(), *ALWAYS_LEFT_OUT)},  # noqa: S308 -- fixed text
        omissions=mark_safe(_OMISSIONS_MARK),  # noqa: S308 -- fixed text
        executed_document_id=executed_document_id,
        executed_on=_new_york_date(max(signed)) if signed else None,
        verify_url=f"{settings.SITE_URL}/verify/",
    )
    return render_context(context)


def _conformed(view: dict) -> dict:
    """A signature block as a conformed copy shows it: "/s/" and the typed name, without the drawn image."""
    if not view.get("signed"):
        return view
    return {**view, "image": "", "conformed": True}


def _new_york_date(value: datetime):
    return timezone.localtime(value, NEW_YORK).date()


def public_copy_html(source: str, *, exhibit_c: bool, withheld: Collection[str], document_id: str) -> str:
    """The source with the parts this scope leaves out cut, the others unmarked, and the document id written.

    Refuses (ValueError) a withheld part it does not know or cannot find: a part is never left in by mistake.
    """
    known = parts()
    unknown = set(withheld) - (set(known) - {EXHIBIT_C})
    if unknown:
        raise ValueError(f"not a part of Exhibit B that can be withheld: {sorted(unknown)}")
    html = source
    for part in (*known, *ALWAYS_LEFT_OUT):
        pattern = re.compile(re.escape(_begin(part)) + "(.*?)" + re.escape(_end(part)), re.DOTALL)
        if not pattern.search(html):
            raise ValueError(f"the public copy's source has no marks around {part}")
        if part in ALWAYS_LEFT_OUT:
            replacement = ALWAYS_LEFT_OUT[part]
        elif part in withheld or (part == EXHIBIT_C and not exhibit_c):
            replacement = EXHIBIT_C_HTML if part == EXHIBIT_C else WITHHELD_HTML
        else:
            replacement = None
        html = pattern.sub(lambda match, text=replacement: match.group(1) if text is None else text, html)
    html = html.replace(_OMISSIONS_MARK, _omissions(exhibit_c=exhibit_c, withheld=withheld))
    html = html.replace(_ID_MARK, document_id)
    if _MARK in html:
        raise ValueError("the public copy's source has a mark this code does not know")
    return html


def _omissions(*, exhibit_c: bool, withheld: Collection[str]) -> str:
    from exhibits.models import RedactionField

    items = [
        "The audit trail of the executed original (the signers' e-mail and IP addresses and the history of the "
        "agreement's review), which the parties keep.",
        "The signatures as drawn: each signer is shown by name, title and date.",
        "The e-mail address for breach notices (Article II.12(b)), which the Contractor has.",
    ]
    if not exhibit_c:
        items.append("Exhibits C and C.1, which the Educational Agency does not post.")
    items += [
        f"Exhibit B, {RedactionField(field).label.lower()}: withheld by the Educational Agency under 8 NYCRR 121.3(e)."
        for field in RedactionField.values
        if field in withheld
    ]
    return format_html(
        "<h3>Left out of this copy</h3><ul>{}</ul>", format_html_join("", "<li>{}</li>", ((i,) for i in items))
    )


def public_copy_pdf(source: str, *, exhibit_c: bool, withheld: Collection[str], document_id: str) -> bytes:
    """The public copy as a PDF/UA file (to be sealed). The same source, scope and id give the same bytes."""
    html = public_copy_html(source, exhibit_c=exhibit_c, withheld=withheld, document_id=document_id)
    return html_to_pdf(html, document_id=document_id)
