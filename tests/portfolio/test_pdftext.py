"""Reading a signed DPA's PDF (issue 12.4): the portal's own layout, the model DPA filled in by hand, the reference DPA
as signed (blank Exhibit B), a scan, and files that are no PDF, cut short, encrypted or hostile."""

import html
import io
import time
import zlib
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from agreements.documents.render import render_dpa_pdf
from agreements.models import DistrictMembership
from agreements.services import agreement_create
from exhibits.catalogues import load_all_catalogues
from exhibits.models import SupplementalInformation
from portfolio.pdftext import MAX_PAGES, PdfReading, pdf_read
from vendors.models import ContractorMembership

from .. import factories, personas
from ..helpers import HOSTILE, TERM, fill_complete
from ..shared import SharedRows

REFERENCE = Path("/work/shared/reference/nys-model-dpa-example.txt")
if not REFERENCE.exists():  # the reference DPA as the repository keeps it
    REFERENCE = Path(__file__).parents[2] / "reference" / "nys-model-dpa-example.txt"


def weasyprint_pdf(body: str) -> bytes:
    return HTML(string=f"<html lang='en'><body>{body}</body></html>", base_url="about:blank").write_pdf()


# --- (a) the portal's own rendered DPA ------------------------------------------------------------------------------

SHARED_ROWS = SharedRows()


@SHARED_ROWS.layer()
def portal(rows):
    """One executed-style DPA rendered by the portal, with an answer in every Exhibit B row (rendered once)."""
    load_all_catalogues()  # the frameworks: this module must not count on one that ran before it to have loaded them
    district, vendor = personas.district(), personas.vendor()
    admin = factories.DistrictMembershipFactory(agency=district, role=DistrictMembership.Role.ADMIN).user
    agreement = agreement_create(
        agency=district,
        contractor=vendor,
        products=[personas.product(vendor)],
        framework=factories.csf("1.1"),
        actor=admin,
        **TERM,
    )
    editor = factories.ContractorMembershipFactory(contractor=vendor, role=ContractorMembership.Role.EDITOR).user
    fill_complete(agreement, actor=editor)
    agreement.service_agreement_date = date(2026, 3, 15)
    agreement.contract_start = date(2026, 7, 1)
    agreement.contract_end = date(2029, 6, 30)
    agreement.save()
    info = agreement.supplemental_information
    info.purposes = f"Reading practice for grades 3-5.\nProgress reports for teachers. {HOSTILE}"
    info.receives_student_pii = True
    info.receives_appr_data = False
    info.subcontractor_use = SupplementalInformation.SubcontractorUse.WILL_USE
    info.storage_third_party_cloud = False
    info.storage_contractor_hosted = True
    info.storage_other = True
    info.storage_other_description = "Encrypted backups in a second region"
    info.data_transition_details = "Exports in CSV within 30 days of the end of the term"
    info.correction_days = 14
    info.security_measures = "Role-based access; annual penetration tests"
    info.encryption_details = "TLS 1.3 in transit and AES-256 at rest"
    info.save()
    return {"pdf": render_dpa_pdf(agreement), "subcontractor": info.subcontractors.get().name}


portal_pdf = SHARED_ROWS.fixture("portal_pdf", "portal")


def test_the_portals_own_dpa_is_read_row_by_row(portal_pdf):
    reading = pdf_read(portal_pdf["pdf"])

    assert (reading.problem, reading.has_text, reading.model_dpa) == ("", True, True)
    assert reading.pages == len(PdfReader(io.BytesIO(portal_pdf["pdf"])).pages)
    assert reading.proposals == {
        "vendor": "Learning Tools, Inc.",
        "service_agreement_date": date(2026, 3, 15),
        "contract_start": date(2026, 7, 1),
        "contract_end": date(2029, 6, 30),
        "purposes": f"Reading practice for grades 3-5. Progress reports for teachers. {HOSTILE}",
        "student_pii": True,
        "appr_data": False,
        "subcontractors": [portal_pdf["subcontractor"]],
        "subcontractor_terms": (
            "Contractor will not utilize subcontractors without a written contract that requires the subcontractors "
            "to adhere to, at a minimum, materially similar data protection obligations imposed on the contractor by "
            "state and federal laws and regulations, and the Contract. Contractor will utilize subcontractors."
        ),
        "data_transition": (
            "Upon expiration or termination of the Contract, Contractor shall: Securely transfer data to EA, or a "
            "successor contractor at the EA\u2019s option and written discretion, in a format agreed to by the "
            "parties. Securely delete and destroy data. Contractor\u2019s details: Exports in CSV within 30 days of "
            "the end of the term"
        ),
        "accuracy_challenges": (
            "Parents, teachers or principals who seek to challenge the accuracy of PII will do so by contacting the "
            "EA. If a correction to data is deemed necessary, the EA will notify Contractor. Contractor agrees to "
            "facilitate such corrections within 14 days of receiving the EA\u2019s written request."
        ),
        "storage_and_security": (
            "Using Contractor owned and hosted solution Other: Encrypted backups in a second region "
            "Role-based access; annual penetration tests"
        ),
        "encryption": (
            "Data will be encrypted while in motion and at rest. Contractor\u2019s details: TLS 1.3 in transit "
            "and AES-256 at rest"
        ),
    }


# --- (b) the model DPA filled in by hand or in Word ------------------------------------------------------------------

HAND_FILLED = """
<h1>NEW YORK STATE MODEL DATA PRIVACY AGREEMENT FOR EDUCATIONAL AGENCIES</h1>
<p>This Data Privacy Agreement ("DPA") is by and between the Example Central School District ("EA"), an Educational
Agency, and Brightpath Learning, LLC ("Contractor"), collectively, the “Parties”.</p>
<p>In order for Contractor to provide certain services ("Services") to the EA pursuant to a contract dated
July 1, 2025 ("Service Agreement"); Contractor may receive PII regulated by several New York and federal laws.</p>
<p>As required by Education Law Section 2-d, the Parents Bill of Rights for Data Privacy and Security and the
supplemental information for the Service Agreement are included as Exhibit A and Exhibit B.</p>
<h2>EXHIBIT B</h2>
<p>BILL OF RIGHTS FOR DATA PRIVACY AND SECURITY</p>
<p>SUPPLEMENTAL INFORMATION FOR CONTRACTS THAT UTILIZE PERSONALLY IDENTIFIABLE INFORMATION</p>
<table style="width: 100%">
<tr><th style="width: 30%">Name of Contractor</th><td>Brightpath Learning, LLC</td></tr>
<tr><th>Description of the purpose(s) for which Contractor will receive/access PII</th>
  <td>Phonics lessons and reading assessments for grades K-2.</td></tr>
<tr><th>Type of PII that Contractor will receive/access</th>
  <td>Check all that apply:<br>☒ Student PII<br>☐ APPR Data</td></tr>
<tr><th>Contract Term</th><td>Contract Start Date 2025-07-01<br>Contract End Date 06/30/2028</td></tr>
<tr><th>Subcontractor Written Agreement Requirement</th>
  <td>Contractor will not utilize subcontractors without a written contract that requires the subcontractors to
  adhere to, at a minimum, materially similar data protection obligations. (check applicable option)<br>
  ☐ Contractor will not utilize subcontractors.<br>☒ Contractor will utilize subcontractors.<br>
  Subcontractors: Amazon Web Services; Clever Inc.</td></tr>
<tr><th>Data Transition and Secure Destruction</th>
  <td>Upon expiration or termination of the Contract, Contractor shall:<br>• Securely delete and destroy data.<br>
  Student data is returned as CSV files within 30 days.</td></tr>
<tr><th>Challenges to Data Accuracy</th>
  <td>Contractor agrees to facilitate such corrections within 10 days of receiving the EA\u2019s written
  request.</td></tr>
<tr><th>Secure Storage and Data Security</th>
  <td>Please describe where PII will be stored and the protections taken to ensure PII will be protected: (check all
  that apply)<br>☒ Using a cloud or infrastructure owned and hosted by a third party.<br>☐ Using Contractor owned and
  hosted solution<br>☐ Other:<br>Please describe how data security and privacy risks will be mitigated in a manner
  that does not compromise the security of the data:<br>Single sign-on and yearly audits.</td></tr>
<tr><th>Encryption</th><td>Data will be encrypted while in motion and at rest. AES-256 at rest.</td></tr>
</table>
<p>CONTRACTOR</p>
<p>Signed: Jane Doe, September 9, 2025</p>
"""


def test_a_model_dpa_filled_in_by_hand_is_read():
    reading = pdf_read(weasyprint_pdf(HAND_FILLED))

    assert (reading.problem, reading.has_text, reading.model_dpa) == ("", True, True)
    assert reading.proposals == {
        "vendor": "Brightpath Learning, LLC",
        "service_agreement_date": date(2025, 7, 1),
        "contract_start": date(2025, 7, 1),
        "contract_end": date(2028, 6, 30),
        "purposes": "Phonics lessons and reading assessments for grades K-2.",
        "student_pii": True,
        "appr_data": False,
        "subcontractors": ["Amazon Web Services", "Clever Inc."],
        "subcontractor_terms": "Contractor will not utilize subcontractors without a written contract that requires "
        "the subcontractors to adhere to, at a minimum, materially similar data protection obligations. Contractor "
        "will utilize subcontractors.",
        "data_transition": "Upon expiration or termination of the Contract, Contractor shall: Securely delete and "
        "destroy data. Student data is returned as CSV files within 30 days.",
        "accuracy_challenges": (
            "Contractor agrees to facilitate such corrections within 10 days of receiving the EA\u2019s written "
            "request."
        ),
        "storage_and_security": "Using a cloud or infrastructure owned and hosted by a third party. Single sign-on and "
        "yearly audits.",
        "encryption": "Data will be encrypted while in motion and at rest. AES-256 at rest.",
    }


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("07/01/2025", date(2025, 7, 1)),
        ("July 1, 2025", date(2025, 7, 1)),
        ("Jul. 1st 2025", date(2025, 7, 1)),
        ("2025-07-01", date(2025, 7, 1)),
        ("7/1/25", date(2025, 7, 1)),
        ("13/45/2025", None),
    ],
)
def test_dates_are_read_as_districts_write_them(written, expected):
    body = HAND_FILLED.replace("Contract Start Date 2025-07-01", f"Contract Start Date {written}")
    assert pdf_read(weasyprint_pdf(body)).proposals.get("contract_start") == expected


def test_the_reference_dpa_as_signed_proposes_only_what_it_says():
    """Its Exhibit B is blank: the model's fixed wording there is no answer. The preamble names the Contractor and
    Article II.1 dates the Service Agreement, so those two are proposed."""
    text = REFERENCE.read_text(encoding="utf-8")
    reading = pdf_read(weasyprint_pdf(f"<pre style='white-space: pre-wrap; font-size: 9pt'>{html.escape(text)}</pre>"))

    assert (reading.problem, reading.has_text, reading.model_dpa) == ("", True, True)
    assert reading.proposals == {"vendor": "CodeHS", "service_agreement_date": date(2020, 11, 2)}


def test_a_pdf_with_text_that_is_no_dpa_proposes_nothing():
    letter = "<p>Dear district, please find our invoice for the school year attached. Payment is due.</p>" * 5
    reading = pdf_read(weasyprint_pdf(letter))

    assert (reading.problem, reading.has_text, reading.model_dpa, reading.proposals) == ("", True, False, {})


# --- scans and bad files ------------------------------------------------------------------------------------------


def test_a_scanned_pdf_is_accepted_and_said_to_have_no_text():
    pages = []
    for n in range(2):
        page = Image.new("L", (850, 1100), 255)
        ImageDraw.Draw(page).text((100, 100), f"EXHIBIT B Name of Contractor CodeHS page {n}", fill=0)
        pages.append(page)
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:])

    reading = pdf_read(out.getvalue())

    assert (reading.pages, reading.has_text, reading.model_dpa, reading.problem, reading.proposals) == (
        2, False, False, "", {}
    )  # fmt: skip


def encrypted(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(weasyprint_pdf(HAND_FILLED)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_encrypted_pdf_is_a_problem_not_an_exception():
    reading = pdf_read(encrypted("open-sesame"))
    assert (reading.problem, reading.proposals) == ("the PDF is encrypted and cannot be read", {})


def test_a_pdf_locked_only_against_printing_is_read():
    """An owner password alone (a common "no printing" setting) leaves the file readable with the empty password."""
    reading = pdf_read(encrypted(""))
    assert (reading.problem, reading.proposals["vendor"]) == ("", "Brightpath Learning, LLC")


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04 a ZIP file renamed to .pdf",
        b"",
        b"<html>" + b" " * 2000 + b"%PDF-1.7</html>",  # "%PDF-" only past the first kilobyte
    ],
)
def test_a_file_that_is_no_pdf_is_said_to_be_so(data):
    assert pdf_read(data) == PdfReading(problem="not a PDF")


def test_a_truncated_pdf_is_damaged():
    data = weasyprint_pdf(HAND_FILLED)
    reading = pdf_read(data[: len(data) // 2])
    assert reading.problem.startswith("the PDF is damaged: ")
    assert (reading.has_text, reading.proposals) == (False, {})


def raw_pdf(*objects: bytes) -> bytes:
    """A PDF written by hand: numbered objects (1 is the catalogue) and a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def one_page(content: bytes) -> bytes:
    """A one-page PDF whose page draws `content` (compressed) in Helvetica."""
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
        % (len(zlib.compress(content)), zlib.compress(content)),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    )


def test_the_hand_written_pdf_helper_makes_a_readable_pdf():
    """So that the hostile files below fail for what they contain, not for a broken helper."""
    reading = pdf_read(one_page(b"BT /F1 12 Tf 72 700 Td (" + b"Readable words. " * 20 + b") Tj ET"))
    assert (reading.pages, reading.has_text, reading.problem) == (1, True, "")


def test_hostile_pdfs_are_damaged_or_skipped_quickly_without_an_exception():
    catalogue = b"<< /Type /Catalog /Pages 2 0 R >>"
    started = time.monotonic()

    # A page tree that contains itself, and one whose pages are counted a billion times.
    for pages in [
        b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>",
        b"<< /Type /Pages /Kids [2 0 R 2 0 R] /Count 999999999 >>",
    ]:
        assert pdf_read(raw_pdf(catalogue, pages)).problem.startswith("the PDF is damaged: ")
    # Structure nested 50,000 levels deep.
    deep = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * 50_000 + b"]" * 50_000 + b" >>", b"<< /Type /Pages >>"
    )
    assert pdf_read(deep).problem.startswith("the PDF is damaged: ")
    # A compression bomb: 120 MB of drawing instructions in 170 kB; pypdf refuses to inflate it past 75 MB.
    assert pdf_read(one_page(b"0 0 m " * 20_000_000)).problem.startswith("the PDF is damaged: ")
    # 26 MB of instructions inflate within pypdf's limit but would take it half a minute to read: the page is skipped.
    assert pdf_read(one_page(b"BT (x) Tj ET " * 2_000_000)) == PdfReading(pages=1)

    # About a second on an idle machine; the bound leaves room for a busy one, not for reading the page above.
    assert time.monotonic() - started < 15


@pytest.mark.parametrize(("exhibit_b_on_page", "read"), [(MAX_PAGES, True), (MAX_PAGES + 1, False)])
def test_work_is_bounded_to_the_first_pages(exhibit_b_on_page, read):
    """A 71-page PDF (the hand-filled DPA takes two): every page is counted, text is read from the first MAX_PAGES."""
    pages = [f"<p>Page {n} of a long contract. " + "Words of the contract. " * 20 + "</p>" for n in range(1, 71)]
    pages[exhibit_b_on_page - 1] = HAND_FILLED
    reading = pdf_read(weasyprint_pdf("".join(f"<div style='page-break-after: always'>{p}</div>" for p in pages)))

    assert (reading.pages, reading.has_text, reading.model_dpa) == (71, True, read)
    assert reading.proposals.get("vendor") == ("Brightpath Learning, LLC" if read else None)
