"""The complete DPA as HTML and PDF (issue 4): the model wording, every answer, escaping, signatures, audit trail.

The PDF is read back with pypdf. The model paragraphs are kept in tests/data/model_dpa_articles.txt, written from the
reference DPA and not from the template, so dropping or changing a paragraph in the template fails here.
"""

import io
import logging
import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from pypdf import PdfReader

from agreements.documents.render import (
    DRAFT_MARK,
    AuditEvent,
    SignatureBlock,
    render_dpa_html,
    render_dpa_pdf,
)
from agreements.models import Agreement
from agreements.services import agreement_create
from exhibits.answers import EXHIBIT_C_FIELDS
from exhibits.models import (
    SECURITY_PLAN_ANSWER_LENGTH,
    SECURITY_PLAN_QUESTIONS,
    BillOfRights,
    CsfResponse,
    SupplementalInformation,
    security_plan_question,
)
from exhibits.services import bill_of_rights_acknowledge, bill_of_rights_publish

from . import factories
from .helpers import fill_complete
from .shared import SharedRows

MODEL_PARAGRAPHS = Path(__file__).parent / "data" / "model_dpa_articles.txt"
HOSTILE = "<script>alert(1)</script>"


# --- reading the PDF back ---------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """One space between words."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def loose(expected: str) -> re.Pattern:
    """`expected` as a pattern that also matches where the PDF wrapped a line after a hyphen or a slash (pypdf then
    gives a line break, so "pre-kindergarten" reads "pre- kindergarten" once whitespace is normalised)."""
    pattern = []
    for char in normalise(expected):
        if char == " ":
            pattern.append(r"\s+")
        elif char in "-/":
            pattern.append(re.escape(char) + r"\s?")
        else:
            pattern.append(re.escape(char))
    return re.compile("".join(pattern))


def contains(text: str, expected: str) -> bool:
    return loose(expected).search(text) is not None


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def body_text(pdf: bytes, agreement) -> str:
    """The text of every page without the running header and footer, so that a paragraph split across two pages
    reads as one, normalised."""
    header = f"{agreement.agency.name} and {agreement.contractor.legal_name} — Data Privacy Agreement"
    footer = re.compile(rf"^(Document ID: \S+\s*)?({re.escape(DRAFT_MARK)}\s*)?Page \d+ of \d+\s*$", re.M)
    pages = []
    for text in page_texts(pdf):
        text = footer.sub("", text.replace(header + "\n", "").replace(header, ""))
        pages.append(text.strip("\n"))
    return normalise("\n".join(pages))


def model_paragraphs() -> list[str]:
    lines = MODEL_PARAGRAPHS.read_text(encoding="utf-8").splitlines()
    return [normalise(line) for line in lines if line.strip() and not line.startswith("#")]


def missing_in_order(text: str, paragraphs: list[str]) -> list[str]:
    """The paragraphs not found in `text` after the previous one (so a paragraph moved out of order is missing)."""
    missing, position = [], 0
    for paragraph in paragraphs:
        found = loose(paragraph).search(text, position)
        if found is None:
            missing.append(paragraph)
        else:
            position = found.end()
    return missing


def png(width=240, height=80) -> bytes:
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    for x in range(20, width - 20):
        image.putpixel((x, height // 2 + (x % 17) - 8), (0, 0, 120, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def image_xobjects(page) -> list:
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources else None
    if not xobjects:
        return []
    xobjects = xobjects.get_object()
    return [name for name in xobjects if xobjects[name].get_object().get("/Subtype") == "/Image"]


SHARED_ROWS = SharedRows()


@SHARED_ROWS.layer()
def demo_rows(rows):
    """The demo, loaded once for the tests of this module that render its agreement (tests/shared.py)."""
    call_command("load_demo", stdout=io.StringIO())
    agreement = Agreement.objects.select_related("agency", "contractor").get(
        agency__slug="liverpool-csd", contractor__slug="codehs"
    )
    return {"agreement": agreement}


demo = SHARED_ROWS.fixture("demo", "demo_rows", lambda rows: rows["agreement"])


# --- (a) the wording of the model DPA ------------------------------------------------------------------------------


def test_the_model_paragraph_list_is_complete():
    """The data file itself: title, preamble, 16 definitions, the 15 + 2 + 2 numbered sections of Articles II-IV."""
    paragraphs = model_paragraphs()
    definitions = [p for p in paragraphs if re.match(r"\d+\. [A-Z][^.]*: ", p)]
    assert len(definitions) == 16
    for article in ["ARTICLE I: DEFINITIONS", "ARTICLE II: PRIVACY AND SECURITY OF PII",
                    "ARTICLE III: PARENT AND ELIGIBLE STUDENT PROVISIONS", "ARTICLE IV: MISCELLANEOUS"]:  # fmt: skip
        assert article in paragraphs
    sub_paragraphs = [p[:3] for p in paragraphs if re.match(r"\([a-e]\) ", p)]
    assert sub_paragraphs == ["(a)", "(b)", "(c)", "(d)", "(e)", "(a)", "(b)", "(c)", "(d)", "(a)", "(b)"]


def test_pdf_has_every_paragraph_of_articles_i_to_iv_in_order(demo):
    pdf = render_dpa_pdf(demo, document_id="DPA-TESTWORDING")
    text = body_text(pdf, demo)

    assert missing_in_order(text, model_paragraphs()) == []
    # Things the template must not carry over from the reference: the executed copy's typo and its names.
    assert "Contactor" not in text
    assert "Farsaci" not in text


def test_the_paragraph_check_fails_when_a_paragraph_is_dropped(demo):
    """The check above can fail: remove one paragraph (II.7) from the rendered text and it is reported."""
    text = body_text(render_dpa_pdf(demo), demo)
    training = next(p for p in model_paragraphs() if p.startswith("Contractor shall ensure that all its employees"))
    assert missing_in_order(loose(training).sub("", text, count=1), model_paragraphs()) == [training]


# --- (b) every answer of the agreement -------------------------------------------------------------------------------


@pytest.fixture
def answered(agreement, vendor_editor):
    """An agreement with every answer filled, each distinct, so that each can be found in the PDF."""
    fill_complete(agreement, actor=vendor_editor, text="Answer")
    agreement.service_agreement_date = date(2026, 3, 15)
    agreement.contract_start = date(2026, 7, 1)
    agreement.contract_end = date(2029, 6, 30)
    agreement.save()
    info = agreement.supplemental_information
    info.purposes = "Reading practice for grades 3-5.\nProgress reports for teachers."
    info.receives_student_pii = True
    info.receives_appr_data = False
    info.storage_other = True
    info.storage_other_description = "Encrypted backups in a second region"
    info.storage_contractor_hosted = False
    info.data_transition_details = "Exports in CSV within 30 days of the end of the term"
    info.correction_days = 14
    info.security_measures = "Role-based access; annual penetration tests"
    info.encryption_details = "TLS 1.3 in transit and AES-256 at rest"
    info.save()
    plan = agreement.security_plan
    for n, field in enumerate(EXHIBIT_C_FIELDS, 1):
        setattr(plan, field, f"Plan answer number {n} about {field.replace('_', ' ')}")
    plan.save()
    for i, response in enumerate(CsfResponse.objects.filter(agreement=agreement).select_related("category"), 1):
        response.narrative = f"Control narrative for {response.category.identifier} (row {i})"
        response.tier = 1 + i % 4
        response.save()
    return agreement


def test_pdf_has_every_answer(answered):
    pdf = render_dpa_pdf(answered)
    text = body_text(pdf, answered)
    info = answered.supplemental_information

    # Exhibit B, field by field, and the checkboxes as the model DPA prints them.
    for expected in [
        "Name of Contractor Learning Tools, Inc.",
        "Reading practice for grades 3-5. Progress reports for teachers.",
        "☒ Student PII",
        "☐ APPR Data",
        "Contract Start Date 7/1/2026",
        "Contract End Date 6/30/2029",
        "☐ Contractor will not utilize subcontractors.",
        "☒ Contractor will utilize subcontractors.",
        info.subcontractors.get().name,
        "Exports in CSV within 30 days of the end of the term",
        "Contractor agrees to facilitate such corrections within 14 days of receiving the EA\u2019s written request.",
        "☒ Using a cloud or infrastructure owned and hosted by a third party.",
        "☐ Using Contractor owned and hosted solution",
        "☒ Other: Encrypted backups in a second region",
        "Role-based access; annual penetration tests",
        "Data will be encrypted while in motion and at rest.",
        "TLS 1.3 in transit and AES-256 at rest",
    ]:
        assert contains(text, expected), expected

    # Exhibit C: each of the nine questions, followed by its answer.
    for n, (field, _) in enumerate(SECURITY_PLAN_QUESTIONS, 1):
        question = security_plan_question(field, answered.framework.version)  # question 9 names "NIST CSF v1.1"
        answer = f"Plan answer number {n} about {field.replace('_', ' ')}"
        # A row may continue on the next page, so the question and its answer are checked in order, not adjacent.
        assert missing_in_order(text, [f"{n} {question}", answer]) == [], field

    # Exhibit C.1: every category of the framework with its description, narrative and tier.
    responses = CsfResponse.objects.filter(agreement=answered).select_related("category__function")
    assert responses.count() == 23
    for r in responses:
        row = f"{r.category.identifier} {r.category.name} {r.category.description} {r.narrative}"
        assert contains(text, f"{row} {r.get_tier_display()}"), r.category.identifier
        assert contains(text, f"Function: {r.category.function.name} ({r.category.function.identifier})")

    # Exhibit A: the acknowledged Bill of Rights, item by item.
    bill = answered.bill_of_rights_acknowledgement.bill_of_rights
    assert contains(text, bill.preamble)
    for n, item in enumerate(bill.items, 1):
        assert contains(text, f"{n}. {item}"), n


def test_exhibit_a_is_the_acknowledged_version_not_a_later_one(answered):
    acknowledged = answered.bill_of_rights_acknowledgement.bill_of_rights
    later = BillOfRights.objects.create(
        agency=answered.agency, version=acknowledged.version + 1, preamble="A later preamble.",
        items=["A later item."], effective_date=date(2027, 1, 1),
    )  # fmt: skip
    html = render_dpa_html(answered)
    assert f"version {acknowledged.version}," in html
    assert later.preamble not in html

    answered.bill_of_rights_acknowledgement.delete()
    html = render_dpa_html(Agreement.objects.get(pk=answered.pk))
    assert "A later preamble." in html  # without an acknowledgement: the district's latest version


# --- (c) the district's breach-notice recipient and the Service Agreement date -------------------------------------


def test_breach_notice_recipient_and_service_agreement_date(answered):
    agency = answered.agency
    agency.breach_notice_name = "Robin Castellano"
    agency.breach_notice_title = "Data Protection Officer"
    agency.breach_notice_street_address = "40 Maple Avenue"
    agency.breach_notice_city = "Hometown"
    agency.breach_notice_state = "NY"
    agency.breach_notice_postal_code = "12345"
    agency.breach_notice_email = "dpo@hometown.example.org"
    agency.save()

    text = body_text(render_dpa_pdf(answered), answered)

    section = text.split("(b) Notifications required under this paragraph must be provided to the EA at the "
                         "following address:", 1)[1].split("13. Cooperation with Investigations.", 1)[0]  # fmt: skip
    assert loose(
        "Robin Castellano Title: Data Protection Officer Address: 40 Maple Avenue Hometown, NY 12345 "
        "Email: dpo@hometown.example.org"
    ).fullmatch(section.strip())
    assert contains(text, 'to the EA pursuant to a contract dated 3/15/2026 ("Service Agreement");')


def test_missing_service_agreement_date_is_a_blank_to_fill_in(agreement):
    # Only a draft made before the term was required (issue 11.1) lacks it; none is sent without it.
    Agreement.objects.filter(pk=agreement.pk).update(service_agreement_date=None)
    html = render_dpa_html(agreement)
    assert 'pursuant to a contract dated <span class="blank"></span> ("Service Agreement")' in html
    assert "None" not in html


# --- (d) hostile text ------------------------------------------------------------------------------------------------


def test_hostile_text_is_printed_literally_and_never_becomes_html(answered):
    vendor = answered.contractor
    vendor.legal_name = f'{HOSTILE} "Tools" & Co'
    vendor.save()
    info = answered.supplemental_information
    info.purposes = f"{HOSTILE}<img src=x onerror=alert(2)>"
    info.save()
    CsfResponse.objects.filter(agreement=answered).update(narrative=f"</td></tr></table>{HOSTILE}")

    html = render_dpa_html(answered)
    assert "<script" not in html
    assert "<img src=x" not in html
    assert "</table><" not in html.replace("</table>\n<", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;Tools&quot; &amp; Co" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html

    pdf = render_dpa_pdf(answered)
    pages = page_texts(pdf)
    text = normalise("\n".join(pages))
    assert contains(text, f'{HOSTILE} "Tools" & Co ("Contractor")')
    assert contains(text, f"{HOSTILE}<img src=x onerror=alert(2)>")
    assert len(loose(f"</td></tr></table>{HOSTILE}").findall(text)) == 23
    # The running header shows the name as text too (it is taken from the document, never written into CSS).
    assert f'and {HOSTILE} "Tools" & Co — Data Privacy Agreement' in pages[1]


# --- (e) page numbers, size, tagged structure ------------------------------------------------------------------------


def test_pages_are_numbered_letter_size_and_tagged(answered, caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")
    pdf = render_dpa_pdf(answered, document_id="DPA-PAGES12345")
    # WeasyPrint warns about CSS it ignores and resources it cannot load: the document has neither.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() for page in reader.pages]
    total = len(pages)
    assert total >= 10
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {total}" in text
        assert "Document ID: DPA-PAGES12345" in text
    assert "Page 1 of" in pages[0]
    assert all((float(p.mediabox.width), float(p.mediabox.height)) == (612, 792) for p in reader.pages)

    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    assert reader.metadata.title == "Data Privacy Agreement: Hometown Central School District and Learning Tools, Inc."
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()

    html = render_dpa_html(answered)
    assert '<html lang="en">' in html
    assert '<th scope="row"' in html and '<th scope="col"' in html
    assert "<h1>" in html and "<h2" in html


def test_an_answer_longer_than_a_page_is_printed_whole(answered):
    plan = answered.security_plan
    # As long as an answer may be (issue 10): about two pages of the plan's table.
    words = [f"word{n:04d}" for n in range(SECURITY_PLAN_ANSWER_LENGTH // len("word0000 "))]
    half = len(words) // 2
    plan.safeguards = " ".join(words[:half]) + "\n\n" + " ".join(words[half:])
    plan.full_clean()
    plan.save()
    pdf = render_dpa_pdf(answered)
    text = body_text(pdf, answered)
    # Every word, in order, across the page breaks (where the table's header row is repeated).
    assert re.findall(r"word\d{4}", text) == words
    assert len([page for page in page_texts(pdf) if re.search(r"word\d{4}", page)]) >= 2


# --- (f) signatures and the audit trail ------------------------------------------------------------------------------


def test_signatures_and_audit_trail(answered):
    district_hash, vendor_hash = "a" * 64, "0123456789abcdef" * 4
    signatures = [
        SignatureBlock(
            side="vendor", organisation="Learning Tools, Inc.", name="Jordan Ellis", title="Chief Privacy Officer",
            signed_at=datetime(2026, 5, 4, 14, 3, 22, tzinfo=UTC), method="Typed name and drawn signature",
            image_png=png(), document_sha256=vendor_hash,
        ),
        SignatureBlock(
            side="district", organisation="Hometown Central School District", name="Dana Whitfield",
            title="Director of Technology", signed_at=datetime(2026, 1, 6, 15, 0, 0, tzinfo=UTC),
            method="Typed name", document_sha256=district_hash,
        ),
    ]  # fmt: skip
    audit = [
        AuditEvent(at=datetime(2026, 5, 4, 14, 3, 22, tzinfo=UTC), actor="Jordan Ellis", description="Signed."),
        AuditEvent(at=datetime(2026, 1, 6, 15, 0, 0, tzinfo=UTC), actor="Dana Whitfield", description="Countersigned."),
    ]
    pdf = render_dpa_pdf(answered, signatures=signatures, audit=audit, document_id="DPA-SIGNED0001")
    reader = PdfReader(io.BytesIO(pdf))
    pages = [normalise(page.extract_text()) for page in reader.pages]
    text = " ".join(pages)

    # Article IV: both blocks, with the typed names, titles and dates.
    for expected in ["Jordan Ellis", "Chief Privacy Officer", "Date: 5/4/2026", "Dana Whitfield",
                     "Director of Technology", "Date: 1/6/2026"]:  # fmt: skip
        assert contains(text, expected), expected

    # The audit trail: parties, document id, each event in New York time (EDT in May, EST in January), each signer.
    audit_page = next(p for p in pages if "Audit trail" in p)
    for expected in [
        "Educational Agency Hometown Central School District",
        "Contractor Learning Tools, Inc.",
        "Document ID DPA-SIGNED0001",
        "2026-05-04 10:03:22 EDT (UTC-04:00) Jordan Ellis Signed.",
        "2026-01-06 10:00:00 EST (UTC-05:00) Dana Whitfield Countersigned.",
        "Contractor: Learning Tools, Inc. Jordan Ellis Chief Privacy Officer Typed name and drawn signature",
        "Educational Agency: Hometown Central School District Dana Whitfield Director of Technology Typed name",
        vendor_hash,
        district_hash,
    ]:
        assert contains(audit_page, expected), expected

    # The drawn signature is an image on the signature page; the typed one is text in the script-like style.
    signature_page = next(i for i, p in enumerate(pages) if "ARTICLE IV: MISCELLANEOUS" in p or "2. Execution." in p)
    signature_pages = [i for i in range(signature_page, signature_page + 2) if "EDUCATIONAL AGENCY" in pages[i]]
    assert any(image_xobjects(reader.pages[i]) for i in signature_pages)
    html = render_dpa_html(answered, signatures=signatures, audit=audit)
    assert '<span class="typed">Dana Whitfield</span>' in html
    assert 'alt="Drawn signature of Jordan Ellis"' in html


def test_without_signatures_there_are_blank_blocks_no_images_and_no_audit_trail(answered):
    pdf = render_dpa_pdf(answered)
    reader = PdfReader(io.BytesIO(pdf))
    assert not any(image_xobjects(page) for page in reader.pages)
    text = normalise(" ".join(page.extract_text() for page in reader.pages))
    assert "Audit trail" not in text
    assert contains(text, "EDUCATIONAL AGENCY Hometown Central School District")
    assert contains(text, "Signature Printed Name Title Date:")


def test_audit_trail_appears_with_events_alone(answered):
    html = render_dpa_html(answered, audit=[AuditEvent(datetime(2026, 7, 1, 4, 0, tzinfo=UTC), "DPA Portal", "Sent.")])
    assert "Audit trail" in html
    assert "2026-07-01 00:00:00 EDT (UTC-04:00)" in html


# --- (g) a fixed number of queries -----------------------------------------------------------------------------------


def _queries(agreement) -> int:
    with CaptureQueriesContext(connection) as context:
        render_dpa_html(agreement)
    return len(context.captured_queries)


def test_query_count_does_not_grow_with_categories_or_answers(
    agreement, district, vendor, product, district_admin, django_assert_max_num_queries
):
    bill_of_rights_publish(agency=district)
    csf_20 = agreement_create(
        agency=district, contractor=vendor, products=[product], framework=factories.csf("2.0"), actor=district_admin
    )
    for a in (agreement, csf_20):
        bill_of_rights_acknowledge(agreement=a, actor=district_admin)
    assert agreement.csf_responses.count() == 23 and csf_20.csf_responses.count() == 22

    empty_11, empty_20 = _queries(agreement), _queries(csf_20)
    for a in (agreement, csf_20):
        CsfResponse.objects.filter(agreement=a).update(narrative="Filled", tier=3)
        a.supplemental_information.subcontractors.add(
            factories.SubcontractorFactory(contractor=vendor), factories.SubcontractorFactory(contractor=vendor)
        )
    filled_11, filled_20 = _queries(agreement), _queries(csf_20)
    assert empty_11 == empty_20 == filled_11 == filled_20

    with django_assert_max_num_queries(5):
        render_dpa_html(agreement)


# --- (h) the draft mark ----------------------------------------------------------------------------------------------


def test_draft_mark_only_on_drafts(answered):
    draft = page_texts(render_dpa_pdf(answered, draft=True))
    assert all(DRAFT_MARK in text for text in draft)
    final = render_dpa_pdf(answered)
    assert not any(DRAFT_MARK in text for text in page_texts(final))
    assert DRAFT_MARK not in render_dpa_html(answered)
    # Without the mark the same input gives the same bytes, so the hash a signer saw can be recomputed.
    assert render_dpa_pdf(answered) == final


def test_exhibit_b_when_nothing_is_answered_yet(agreement):
    """A fresh agreement renders: no answers, every box unchecked, blanks for the dates."""
    SupplementalInformation.objects.filter(agreement=agreement).update(correction_days=21)
    Agreement.objects.filter(pk=agreement.pk).update(contract_start=None, contract_end=None)  # made before 11.1
    html = render_dpa_html(agreement)
    assert html.count("☒") == 0
    assert 'Contract Start Date <span class="blank"></span>' in html
    assert "within 21 days" in html


def test_question_9_names_the_framework_version_as_the_model_does(agreement):
    assert "materially align with the NIST CSF v1.1 using the Framework chart below." in " ".join(
        render_dpa_html(agreement).split()
    )
