"""No table of the DPA breaks a word of its headers (issue 14: Exhibit C.1's "Implementati / on Tier").

The demo's Liverpool CSD - CodeHS agreement, complete, is rendered as the executed DPA (both signatures, the audit
trail: every table the document has) and as its public copy with Exhibit C posted (the page about the copy). Each is
read back with pdftotext, as a reader copies it, and every word of every table header must come out whole: as many
times as the document's text holds it, and never as two pieces on consecutive lines. The same check run on a table
styled as before the fix finds the broken word, so it can fail.
"""

import io
import itertools
import re
import subprocess
from collections import Counter
from datetime import UTC, datetime
from html.parser import HTMLParser

from django.core.management import call_command

from agreements.documents.public_copy import public_copy_html, render_source
from agreements.documents.render import (
    AuditEvent,
    SignatureBlock,
    html_to_pdf,
    render_dpa_html,
)
from agreements.models import Agreement

from .shared import SharedRows

# A word for this check: letters and digits with what may join them inside a word (an apostrophe, a dot, an
# underscore). A line may end after a hyphen or a slash, as typographers allow, so those separate words here.
_WORD = re.compile(r"[\w\u2019'.]*\w")


def words(text: str) -> list[str]:
    return [w.strip(".") for w in _WORD.findall(text) if w.strip(".")]


# Tags inside a word's run of text; every other tag separates words (a cell, a paragraph, a line break).
_INLINE = {"a", "b", "code", "em", "i", "small", "span", "strong", "sub", "sup", "time"}


class _Text(HTMLParser):
    """The text of a document's body, and the text of each of its table headers (without a C.1 category's
    description, which is the framework's prose under the category's name)."""

    def __init__(self):
        super().__init__()
        self.body: list[str] = []
        self.headers: list[str] = []
        self._skip = 0  # inside <head>, <style> or <title>
        self._header: list[str] | None = None
        self._description = 0

    def _boundary(self, tag):
        if tag not in _INLINE:
            self.handle_data(" ")

    def handle_starttag(self, tag, attrs):
        self._boundary(tag)
        if tag in ("head", "style", "title", "script"):
            self._skip += 1
        elif tag == "th":
            self._header = []
        elif tag == "p" and self._header is not None and "description" in (dict(attrs).get("class") or ""):
            self._description += 1

    def handle_endtag(self, tag):
        if tag in ("head", "style", "title", "script"):
            self._skip -= 1
        elif tag == "th" and self._header is not None:
            self.headers.append(" ".join("".join(self._header).split()))
            self._header = None
        elif tag == "p" and self._description:
            self._description -= 1
        self._boundary(tag)

    def handle_data(self, data):
        if self._skip:
            return
        self.body.append(data)
        if self._header is not None and not self._description:
            self._header.append(data)


def html_text(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def broken_header_words(html: str, pdf: bytes) -> list[str]:
    """The header words of `html` that its PDF does not give whole: fewer times whole than the text holds them, or
    cut in two at the end of a line (the two pieces on consecutive lines). The running header and footer only add
    words, so "fewer" stays a sign of a cut."""
    text = html_text(html)
    header_words = {w for header in text.headers for w in words(header)}
    expected = Counter(w for w in words("".join(text.body)) if w in header_words)
    lines = [words(line) for line in pdftotext(pdf).splitlines()]
    found = Counter(w for line in lines for w in line if w in header_words)
    broken = {w for w in header_words if found[w] < expected[w]}
    nonempty = [line for line in lines if line]
    for before, after in itertools.pairwise(nonempty):
        joined = before[-1] + after[0]
        # Of four letters or more: a rotated watermark ("DRAFT - not executed") comes out a letter or two a line.
        if len(joined) >= 4 and joined in header_words and before[-1] not in header_words:
            broken.add(joined)
    return sorted(broken)


SHARED_ROWS = SharedRows()


@SHARED_ROWS.layer()
def demo_rows(rows):
    """The demo, loaded once for this module."""
    call_command("load_demo", stdout=io.StringIO())
    agreement = Agreement.objects.select_related("agency", "contractor").get(
        agency__slug="liverpool-csd", contractor__slug="codehs"
    )
    return {"agreement": agreement}


demo = SHARED_ROWS.fixture("demo", "demo_rows", lambda rows: rows["agreement"])


def signatures(agreement) -> list[SignatureBlock]:
    at = datetime(2026, 8, 3, 15, 4, tzinfo=UTC)
    return [
        SignatureBlock("vendor", agreement.contractor.legal_name, "Jordan Ellis", "Chief Privacy Officer", at, "typed"),
        SignatureBlock("district", agreement.agency.name, "Dana Whitfield", "Director of Technology", at, "typed"),
    ]


def audit() -> list[AuditEvent]:
    at = datetime(2026, 8, 3, 15, 4, tzinfo=UTC)
    return [
        AuditEvent(at, "Dana Whitfield (Liverpool Central School District)", "Sent to the vendor"),
        AuditEvent(at, "Jordan Ellis (CodeHS)", "Submitted Exhibits B, C and C.1"),
    ]


def test_no_table_header_of_the_executed_dpa_or_its_public_copy_breaks_a_word(demo):
    html = render_dpa_html(demo, signatures=signatures(demo), audit=audit(), document_id="DPA-HEADERS234")
    pdf = html_to_pdf(html, document_id="DPA-HEADERS234")
    headers = html_text(html).headers
    # Every table the document has is here: Exhibit B, Exhibit C, C.1, and the audit trail's three.
    for header in ["Name of Contractor", "No.", "Requirement", "Implementation Tier", "Signed (America/New_York)"]:
        assert header in headers, header
    assert broken_header_words(html, pdf) == []
    text = " ".join(pdftotext(pdf).split())
    assert "Implementation Tier" in text
    # A line may end after a slash ("receive/ access"), but not inside the name of a time zone.
    assert "Signed (America/New_York)" in text and "Time (America/New_York)" in text

    source = render_source(demo, signatures=signatures(demo), executed_document_id="DPA-HEADERS234")
    public_html = public_copy_html(source, exhibit_c=True, withheld=(), document_id="DPA-PUBLIC2345")
    public = html_to_pdf(public_html, document_id="DPA-PUBLIC2345")
    assert "Executed agreement" in html_text(public_html).headers
    assert broken_header_words(public_html, public) == []


def test_the_check_finds_a_header_word_cut_as_the_old_style_cut_it():
    """C.1's header as it was before issue 14: a column of 18% and headers wrapping anywhere, as answers do."""
    html = (
        "<html><head><style>@page { size: letter; margin: 0.95in 0.85in }"
        " html { font: 9.5pt 'DejaVu Sans'; overflow-wrap: anywhere }"
        " table { width: 100%; table-layout: fixed; border-collapse: collapse }"
        " th, td { padding: 0.05in 0.07in; border: 0.6pt solid #555 }</style></head><body>"
        '<table><colgroup><col style="width: 35%"><col><col style="width: 18%"></colgroup>'
        "<thead><tr><th>Category</th><th>Contractor Response</th><th>Implementation Tier</th></tr></thead>"
        "<tbody><tr><td>ID.AM</td><td>Inventory kept</td><td>Tier 3: Repeatable</td></tr></tbody></table>"
        "</body></html>"
    )
    assert broken_header_words(html, html_to_pdf(html)) == ["Implementation"]
