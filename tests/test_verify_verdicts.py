"""/verify/ (issue 14, point 8): a page of the public site in English and Spanish, with a verdict for each kind of
file, and for a copy changed after it was sealed, the agreement it claims to be, named by what is public of it.

Real sealed PDFs: made with the portal's renderer (html_to_pdf, which writes the document number into the trailer's
/ID) and sealed by pyHanko with the document number in the seal's /Reason, as signing.py seals every document. A
"flipped byte" is one byte changed inside the seal's /ByteRange, in each of the places the number is written and
elsewhere.
"""

import hashlib
import io
import re

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from agreements.documents.render import html_to_pdf
from agreements.documents.seal import seal_pdf
from agreements.models import Agreement, AgreementDocument
from agreements.signing import PUBLIC_COPY_REASON, TERMINATION_RECORD_REASON
from agreements.verification import document_verify
from exhibits.catalogues import load_all_catalogues

from . import personas
from .public_helpers import make_agreement
from .shared import SharedRows
from .test_outside_verify import signed_pdf, uploaded  # noqa: F401 (fixtures)

K = AgreementDocument.Kind
REASONS = {
    K.EXECUTED: "Executed Data Privacy Agreement",
    K.PUBLIC_COPY: PUBLIC_COPY_REASON,
    K.TERMINATION_RECORD: TERMINATION_RECORD_REASON,
}
UNKNOWN = (
    "This PDF is not an executed Data Privacy Agreement, nor the public copy of one, sealed by this portal; "
    "nor, byte for byte, a copy a district uploaded of an agreement signed outside the portal."
)
UNKNOWN_ES = (
    "Este PDF no es un Acuerdo de Privacidad de Datos firmado y sellado por este portal, ni la copia pública de uno; "
    "ni, byte a byte, una copia que un distrito subió de un acuerdo firmado fuera del portal."
)
MONTHS_ES = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


@pytest.fixture(autouse=True)
def english():
    """A request with ?language=es activates Spanish for the thread, as LocaleMiddleware does for each request: the
    verdicts read here directly are in English, and the next module starts in English too."""
    translation.activate("en")
    yield
    translation.activate("en")


def sealed(document_id: str, kind=K.EXECUTED, *, seal=True) -> bytes:
    html = (
        "<!DOCTYPE html><html lang='en'><head><title>Data Privacy Agreement</title></head><body>"
        f"<h1>Data Privacy Agreement</h1><p>Document ID: {document_id}</p></body></html>"
    )
    pdf = html_to_pdf(html, document_id=document_id)
    return seal_pdf(pdf, document_id=document_id, reason=REASONS[kind]) if seal else pdf


def store(document: AgreementDocument, pdf: bytes) -> AgreementDocument:
    AgreementDocument.objects.filter(pk=document.pk).update(
        pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf)
    )
    document.refresh_from_db()
    return document


def signed_range(pdf: bytes) -> tuple[int, int, int, int]:
    start1, length1, start2, length2 = map(int, re.search(rb"/ByteRange\s*\[\s*([\d\s]+)\]", pdf).group(1).split())
    return start1, length1, start2, length2


def flip(pdf: bytes, position: int) -> bytes:
    start1, length1, start2, length2 = signed_range(pdf)
    assert start1 <= position < start1 + length1 or start2 <= position < start2 + length2, "outside the signed range"
    changed = bytearray(pdf)
    changed[position] ^= 0x01
    return bytes(changed)


def places(pdf: bytes, document_id: str) -> dict[str, int]:
    """Where to flip a byte: in each place the number is written, in the page's content, and near the end."""
    reason = pdf.index(b"/Reason")
    hex_id = document_id.encode().hex().encode()
    _, length1, start2, length2 = signed_range(pdf)
    return {
        "number in the seal's reason": pdf.index(b"document", reason) + 18,
        "number in the first trailer": pdf.index(b"(" + document_id.encode() + b")") + 6,
        "number in the seal's trailer": pdf.index(b"<" + hex_id + b">") + 9,
        "page content": length1 // 3,
        "cross-reference at the end": start2 + length2 - 40,
    }


def post(client, pdf: bytes, language: str = "en"):
    url = reverse("verify") + ("?language=es" if language == "es" else "")
    response = client.post(url, {"document": io.BytesIO(pdf)})
    assert response.status_code == 200
    return response, " ".join(response.content.decode().split())


SHARED_ROWS = SharedRows(before_each=cache.clear)  # the public pages' cache, keyed by slugs every test reuses


@SHARED_ROWS.layer()
def sealed_rows(rows):
    """An executed, posted agreement with its executed DPA, public copy and termination record, each sealed."""
    load_all_catalogues()
    district, vendor = personas.district(), personas.vendor()
    agreement = make_agreement(agency=district, contractor=vendor)
    documents = {kind: agreement.documents.get(kind=kind) for kind in (K.EXECUTED, K.PUBLIC_COPY)}
    for kind, document in documents.items():
        documents[kind] = store(document, sealed(document.document_id, kind))
    record = sealed("DPA-TRM2345678", K.TERMINATION_RECORD)  # in the form of the portal's numbers
    documents[K.TERMINATION_RECORD] = AgreementDocument.objects.create(
        agreement=agreement,
        kind=K.TERMINATION_RECORD,
        pdf=record,
        sha256=hashlib.sha256(record).hexdigest(),
        size=len(record),
        document_id="DPA-TRM2345678",
    )
    return {"agreement": agreement, "documents": documents}


agreement = SHARED_ROWS.fixture("agreement", "sealed_rows", lambda rows: rows["agreement"])
documents = SHARED_ROWS.fixture("documents", "sealed_rows", lambda rows: rows["documents"])


def named(document, agreement) -> str:
    kind = {
        K.EXECUTED: "This copy of the agreement",
        K.PUBLIC_COPY: "This public copy of the agreement",
        K.TERMINATION_RECORD: "This record of the early termination of the agreement",
    }[document.kind]
    what = {
        K.EXECUTED: "it is not the agreement as executed.",
        K.PUBLIC_COPY: "it is not the copy the district posted.",
        K.TERMINATION_RECORD: "it is not the record as sealed.",
    }[document.kind]
    return (
        f"{kind} {agreement.contractor.legal_name} \u2013 {agreement.agency.name} (document number "
        f"{document.document_id}) was altered after it was sealed: {what}"
    )


# --- the verdicts -------------------------------------------------------------------------------------------------


def test_intact_in_english_and_spanish_on_a_page_of_the_public_site(client, agreement, documents):
    executed = documents[K.EXECUTED]
    outcome = document_verify(bytes(executed.pdf))
    assert outcome.intact and outcome.document == executed
    assert outcome.message == f"This is the executed DPA of agreement {agreement.pk}, exactly as the portal sealed it."
    response, page = post(client, bytes(executed.pdf))
    assert "Intact." in page and outcome.message in page and executed.document_id in page
    # The public site's frame: its name, the language switch, its footer; not the signed-in navigation.
    assert '<html lang="en">' in page and "Student Data Privacy" in page
    assert 'action="/i18n/setlang/"' in page and 'name="language" value="es"' in page
    assert '<body class="public">' in page
    assert response["Cache-Control"] == "private, no-store"  # an answer to an upload, with a CSRF token

    response, page = post(client, bytes(executed.pdf), "es")
    assert '<html lang="es">' in page and "Privacidad de los Datos Estudiantiles" in page
    assert "Intacto." in page
    assert f"Es el ejemplar firmado del acuerdo {agreement.pk}, exactamente como lo selló el portal." in page
    assert "Comprobar un Acuerdo de Privacidad de Datos firmado" in page and "Comprobar el PDF" in page
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "es"  # kept, as the public pages do


def test_a_public_copy_and_a_termination_record_intact_in_spanish(client, agreement, documents):
    for kind, expected in [
        (K.PUBLIC_COPY, f"Es la copia pública del acuerdo {agreement.pk}, exactamente como la selló el portal."),
        (
            K.TERMINATION_RECORD,
            f"Es el registro de la terminación anticipada del acuerdo {agreement.pk}, exactamente como lo selló el "
            "portal.",
        ),
    ]:
        with translation.override("es"):
            assert document_verify(bytes(documents[kind].pdf)).message == expected
        _, page = post(client, bytes(documents[kind].pdf), "es")
        assert expected in page and documents[kind].document_id in page


def test_something_appended_after_the_seal_is_altered_with_the_original_named(client, agreement, documents):
    public = documents[K.PUBLIC_COPY]
    outcome = document_verify(bytes(public.pdf) + b"\n% appended\n")
    assert outcome.verdict == "altered" and outcome.document == public and not outcome.named
    assert outcome.message.startswith(f"This PDF claims to be the public copy of agreement {agreement.pk} below")
    _, page = post(client, bytes(public.pdf) + b"\n% appended\n", "es")
    assert "No está intacto." in page and public.sha256 in page
    assert f"Este PDF dice ser la copia pública del acuerdo {agreement.pk}" in page


@pytest.mark.parametrize(
    "where",
    [
        "number in the seal's reason",
        "number in the first trailer",
        "number in the seal's trailer",
        "page content",
        "cross-reference at the end",
    ],
)
def test_one_flipped_byte_names_the_posted_agreement_it_claims_to_be(client, agreement, documents, where):
    executed = documents[K.EXECUTED]
    pdf = bytes(executed.pdf)
    changed = flip(pdf, places(pdf, executed.document_id)[where])
    outcome = document_verify(changed)
    assert outcome.verdict == "altered" and outcome.named and not outcome.intact
    assert outcome.document == executed
    assert outcome.message == named(executed, agreement)
    assert outcome.sha256 == hashlib.sha256(changed).hexdigest()


def test_the_page_says_so_with_the_posted_agreement_in_english_and_spanish(client, agreement, documents):
    executed = documents[K.EXECUTED]
    pdf = bytes(executed.pdf)
    changed = flip(pdf, places(pdf, executed.document_id)["page content"])
    public_page = f"http://testserver/public/{agreement.agency.slug}/agreements/{agreement.pk}/"

    _, page = post(client, changed)
    assert "Not intact." in page and named(executed, agreement) in page
    link = f'<a class="alert-link text-break" href="{public_page}">{public_page}</a>'
    assert f"The executed agreement is posted at {link}." in page
    # Only what is public: no hash of the executed original, no date of its execution.
    assert executed.sha256 not in page and "SHA-256 of the original" not in page
    assert client.get(public_page).status_code == 200

    _, page = post(client, changed, "es")
    assert "No está intacto." in page
    assert (
        f"Esta copia del acuerdo {agreement.contractor.legal_name} \u2013 {agreement.agency.name} (número de "
        f"documento {executed.document_id}) fue modificada después de ser sellada: no es el acuerdo tal como se "
        "firmó." in page
    )
    assert f"El acuerdo firmado está publicado en {link}." in page


@pytest.mark.parametrize("kind", [K.PUBLIC_COPY, K.TERMINATION_RECORD])
def test_a_flipped_byte_in_a_public_copy_or_a_termination_record(client, agreement, documents, kind):
    document = documents[kind]
    pdf = bytes(document.pdf)
    outcome = document_verify(flip(pdf, places(pdf, document.document_id)["page content"]))
    assert outcome.verdict == "altered" and outcome.named and outcome.document == document
    assert outcome.message == named(document, agreement)


def test_a_copy_without_its_seal_but_with_its_number_is_named_as_unsealed(client, agreement, documents):
    """Saved again without the seal (the trailer keeps the document's number): not the agreement, and said why."""
    executed = documents[K.EXECUTED]
    outcome = document_verify(sealed(executed.document_id, seal=False))
    assert outcome.verdict == "altered" and outcome.named and outcome.document == executed
    assert outcome.message == (
        f"This copy of the agreement {agreement.contractor.legal_name} \u2013 {agreement.agency.name} (document "
        f"number {executed.document_id}) carries no seal of this portal: it was changed or saved again after it was "
        "sealed, so it is not the agreement as executed."
    )


def test_a_copy_saved_again_elsewhere_is_named_by_the_number_on_its_first_page(client, agreement, documents):
    """Another program's copy keeps neither the seal nor the trailer's /ID: the number printed under the title."""
    record = documents[K.TERMINATION_RECORD]
    html = f"<h1>Record of early termination</h1><p class='document-id'>Document ID: {record.document_id}</p>"
    copy = html_to_pdf(html)  # no document id given: the trailer's /ID is a hash of the content
    assert record.document_id.encode() not in copy
    outcome = document_verify(copy)
    assert outcome.verdict == "altered" and outcome.named and outcome.document == record
    assert outcome.message == (
        f"This record of the early termination of the agreement {agreement.contractor.legal_name} \u2013 "
        f"{agreement.agency.name} (document number {record.document_id}) carries no seal of this portal: it was "
        "changed or saved again after it was sealed, so it is not the record as sealed."
    )


def test_an_agreement_not_posted_is_never_named(client, agreement, documents):
    """A number read from bytes no seal vouches for names an agreement only if it is posted; otherwise the answer
    is the one for a number that exists nowhere, so that the two cannot be told apart."""
    executed = documents[K.EXECUTED]
    pdf = bytes(executed.pdf)
    changed = flip(pdf, places(pdf, executed.document_id)["page content"])
    Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.WITHDRAWN)
    outcome = document_verify(changed)
    assert outcome.verdict == "unknown" and outcome.document is None and not outcome.named
    assert outcome.message == (
        f"{UNKNOWN} The document number it carries, {executed.document_id}, belongs to no posted agreement."
    )
    _, page = post(client, changed)
    assert "Not verified." in page and outcome.message in page
    assert agreement.contractor.legal_name not in page and agreement.agency.name not in page
    assert f"/public/{agreement.agency.slug}/" not in page

    nowhere = flip(sealed("DPA-NQWHERE234"), 400)
    other = document_verify(nowhere)
    assert other.verdict == "unknown"
    assert other.message.replace("DPA-NQWHERE234", "#") == outcome.message.replace(executed.document_id, "#")
    _, page = post(client, changed, "es")
    assert (
        f"{UNKNOWN_ES} El número de documento que lleva, {executed.document_id}, no corresponde a ningún acuerdo "
        "publicado." in page
    )
    assert "No verificado." in page


def test_a_pdf_the_portal_never_sealed(client, documents):
    import weasyprint

    other = weasyprint.HTML(string="<p>Another PDF</p>").write_pdf()
    outcome = document_verify(other)
    assert (outcome.verdict, outcome.message, outcome.document) == ("unknown", UNKNOWN, None)
    _, page = post(client, other, "es")
    assert "No verificado." in page and UNKNOWN_ES in page and "número de documento" not in page


def test_not_a_pdf_in_english_and_spanish(client):
    _, page = post(client, b"GIF89a not a pdf")
    assert "This file is not a PDF." in page
    _, page = post(client, b"GIF89a not a pdf", "es")
    assert "Este archivo no es un PDF." in page and "Un PDF de 20 MB como máximo." in page


def test_an_uploaded_copy_signed_outside_the_portal_in_english_and_spanish(
    client,
    district,
    vendor,
    uploaded,  # noqa: F811 (the fixtures imported above)
    signed_pdf,  # noqa: F811
):
    pdf = signed_pdf  # the district uploaded it (test_outside_verify's fixtures)
    today = timezone.localdate()
    outcome = document_verify(pdf)
    assert outcome.verdict == "uploaded"
    assert outcome.message == (
        f"This is the copy of the agreement between {district.name} and {vendor.legal_name} that the district "
        f"uploaded on {today:%B} {today.day}, {today.year}. It was signed outside the portal and is not sealed by it."
    )
    _, page = post(client, pdf, "es")
    assert "Copia conocida, firmada fuera del portal." in page
    assert (
        f"Es la copia del acuerdo entre {district.name} y {vendor.legal_name} que el distrito subió el {today.day} "
        f"de {MONTHS_ES[today.month - 1]} de {today.year}. Se firmó fuera del portal y no lleva su sello." in page
    )


def test_the_rate_limit_still_counts_every_upload(client, settings, documents):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify": "2/h"}
    executed = documents[K.EXECUTED]
    pdf = bytes(executed.pdf)
    changed = flip(pdf, places(pdf, executed.document_id)["page content"])
    for _ in range(2):
        assert client.post(reverse("verify") + "?language=es", {"document": io.BytesIO(changed)}).status_code == 200
    refused = client.post(reverse("verify") + "?language=es", {"document": io.BytesIO(changed)})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert client.get(reverse("verify")).status_code == 200  # reading the page is not an upload


# --- /favicon.ico -------------------------------------------------------------------------------------------------


def test_favicon_ico_leads_to_the_portal_icon(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg") and "max-age=86400" in response["Cache-Control"]
    assert finders.find("favicon.svg") is not None
    assert client.post("/favicon.ico").status_code == 405
