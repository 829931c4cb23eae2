"""/verify/ and a copy a district uploaded of an agreement signed outside the portal (issue 12): the same file, byte
for byte, is named as the copy uploaded on its date, never as sealed; a changed copy matches nothing (there is no
seal to check)."""

import hashlib
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.outside import OutsideTerms, outside_agreement_record
from agreements.verification import document_verify


@pytest.fixture(scope="module")
def signed_pdf():
    """A small real PDF, rendered once for the module."""
    import weasyprint

    return weasyprint.HTML(string="<h1>Data Privacy Agreement</h1><p>Signed on paper in 2025.</p>").write_pdf()


@pytest.fixture
def uploaded(catalogues, district, district_admin, vendor, signed_pdf):
    agreement = outside_agreement_record(
        agency=district,
        actor=district_admin,
        terms=OutsideTerms(
            contractor=vendor,
            products=["Reading Coach"],
            service_agreement_date=None,
            contract_start=None,
            contract_end=None,
        ),
        pdf=signed_pdf,
        pdf_filename="signed.pdf",
        source_key=hashlib.sha256(b"verify row").hexdigest(),
    )
    return agreement.outside_signing.document


def expected_message(document) -> str:
    today = timezone.localdate()
    return (
        "This is the copy of the agreement between Hometown Central School District and Learning Tools, Inc. that the "
        f"district uploaded on {today:%B} {today.day}, {today.year}. It was signed outside the portal and is not "
        "sealed by it."
    )


def test_the_uploaded_copy_is_named_as_uploaded_and_not_sealed(uploaded, signed_pdf):
    outcome = document_verify(signed_pdf)
    assert outcome.verdict == "uploaded" and outcome.uploaded and not outcome.intact
    assert outcome.document.pk == uploaded.pk
    assert outcome.message == expected_message(uploaded)
    assert outcome.sha256 == hashlib.sha256(signed_pdf).hexdigest()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda pdf: pdf + b"\n% appended after the end\n", id="appended"),
        pytest.param(lambda pdf: pdf[:200] + bytes([pdf[200] ^ 1]) + pdf[201:], id="one-byte-changed"),
    ],
)
def test_a_changed_copy_of_an_uploaded_pdf_matches_nothing(uploaded, signed_pdf, change):
    outcome = document_verify(change(signed_pdf))
    assert outcome.verdict == "unknown" and outcome.document is None
    assert "byte for byte, a copy a district uploaded" in outcome.message
    assert "uploaded on" not in outcome.message


def test_the_verification_page_says_so_and_never_sealed(client, uploaded, signed_pdf):
    url = reverse("verify")
    page = client.post(url, {"document": io.BytesIO(signed_pdf)}).content.decode()
    message = expected_message(uploaded).replace("'", "&#x27;")
    assert message in page
    assert "Known copy, signed outside the portal." in page
    assert uploaded.document_id in page and uploaded.sha256 in page
    result = page[page.index('id="result-heading"') : page.index("</section>", page.index('id="result-heading"'))]
    assert "Intact." not in result and "intact seal" not in result.lower()
    assert "sealed" not in result.replace("not sealed by it", "").replace("no seal of the portal", "")

    changed = client.post(url, {"document": io.BytesIO(signed_pdf + b"\n%junk\n")}).content.decode()
    assert "Not verified." in changed and "Known copy" not in changed
    assert uploaded.document_id not in changed
