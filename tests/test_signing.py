"""Signing and execution: the signature record, MFA re-confirmation, the sealed executed DPA, verification,
amendments and renewals. Real PDFs: rendered by WeasyPrint, sealed by pyHanko, read back with pypdf."""

import hashlib
import io
from datetime import date

import pytest
from django.core.cache import cache
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from agreements.consent import CURRENT_CONSENT_VERSION
from agreements.models import Agreement, AgreementDocument, DistrictMembership, OutboundEmail, Signature
from agreements.services import (
    agreement_amend,
    agreement_approve,
    agreement_create,
    agreement_send_to_vendor,
    agreement_submit,
)
from agreements.signing import SignatureRequest, agreement_execute, agreement_sign, signing_copy_prepare
from agreements.verification import document_verify
from dpa_portal.errors import ApplicationError
from exhibits.catalogues import load_all_catalogues
from vendors.models import ContractorMembership

from . import factories, personas
from .helpers import TERM, activate_totp, fill_complete
from .shared import SharedRows

S = Agreement.Status


# The parties, the approved agreement with its rendered signing copy, and the executed one with its sealed PDF are
# built once for the tests of this module that use them (tests/shared.py): each test still gets them as they were
# built, and what it changes is rolled back. The cache forgets the signers' used authenticator codes between tests,
# as it did when each test had signers of its own.
SHARED_ROWS = SharedRows(before_each=cache.clear)


@SHARED_ROWS.layer()
def signing_parties(rows):
    load_all_catalogues()
    district = personas.district()
    vendor = personas.vendor()
    district_admin = personas.district_user(district, DistrictMembership.Role.ADMIN)
    vendor_admin = personas.vendor_user(vendor, ContractorMembership.Role.ADMIN)
    return {
        "district": district,
        "vendor": vendor,
        "product": personas.product(vendor),
        "district_admin": district_admin,
        "parties": {
            "vendor_admin": (vendor_admin, activate_totp(vendor_admin)),
            "district_admin": (district_admin, activate_totp(district_admin)),
        },
    }


@SHARED_ROWS.layer(on="signing_parties")
def approved_agreement(rows):
    vendor_admin, _ = rows["parties"]["vendor_admin"]
    district_admin, _ = rows["parties"]["district_admin"]
    agreement = agreement_create(
        agency=rows["district"],
        contractor=rows["vendor"],
        products=[rows["product"]],
        framework=factories.csf("1.1"),
        actor=district_admin,
        **TERM,
    )
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    fill_complete(agreement, actor=vendor_admin, text="Answer <b>bold</b>")
    agreement_submit(agreement=agreement, actor=vendor_admin)
    agreement_approve(agreement=agreement, actor=district_admin)
    signing_copy_prepare(agreement_id=agreement.pk)  # the task that approval schedules after commit
    return {"agreement": agreement}


@SHARED_ROWS.layer(on="approved_agreement")
def executed_agreement(rows):
    agreement, parties = rows["agreement"], rows["parties"]
    sign(agreement, "vendor_admin", parties, personas.totp_code)
    sign(
        agreement,
        "district_admin",
        parties,
        personas.totp_code,
        typed_name="Dana Whitfield",
        title="Director of Technology",
    )
    document = agreement_execute(agreement_id=agreement.pk)  # the task countersigning schedules after commit
    agreement.refresh_from_db()
    return {"agreement": agreement, "document": document}


district = SHARED_ROWS.fixture("district", "signing_parties", lambda rows: rows["district"])
vendor = SHARED_ROWS.fixture("vendor", "signing_parties", lambda rows: rows["vendor"])
product = SHARED_ROWS.fixture("product", "signing_parties", lambda rows: rows["product"])
district_admin = SHARED_ROWS.fixture("district_admin", "signing_parties", lambda rows: rows["district_admin"])
parties = SHARED_ROWS.fixture("parties", "signing_parties", lambda rows: rows["parties"])
approved = SHARED_ROWS.fixture("approved", "approved_agreement", lambda rows: rows["agreement"])
executed = SHARED_ROWS.fixture("executed", "executed_agreement", lambda rows: (rows["agreement"], rows["document"]))


def request_for(agreement, secret, totp_code, **overrides):
    copy = AgreementDocument.objects.get(agreement=agreement, kind=AgreementDocument.Kind.SIGNING_COPY)
    fields = {
        "typed_name": "Jordan Ellis",
        "title": "Chief Privacy Officer",
        "consent_version": CURRENT_CONSENT_VERSION,
        "otp_code": totp_code(secret),
        "document_sha256": copy.sha256,
    }
    return SignatureRequest(**{**fields, **overrides})


def sign(agreement, party, parties, totp_code, **overrides):
    user, secret = parties[party]
    return agreement_sign(
        agreement=agreement,
        user=user,
        request=request_for(agreement, secret, totp_code, **overrides),
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 test",
    )


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_signing_copy_is_rendered_once(approved):
    first = signing_copy_prepare(agreement_id=approved.pk)
    again = signing_copy_prepare(agreement_id=approved.pk)
    assert first.pk == again.pk
    assert hashlib.sha256(bytes(first.pdf)).hexdigest() == first.sha256
    assert "Answer <b>bold</b>: purposes" in text_of(bytes(first.pdf))


def test_a_worker_that_renders_second_returns_the_copy_stored_first(approved, monkeypatch):
    """Two workers render at once: the one that loses the race to store (one document per kind) returns the winner's
    copy, and stores nothing of its own."""
    from agreements.documents import render

    real = render.render_dpa_pdf
    first = {}

    def render_while_another_worker_stores(agreement, **kwargs):
        monkeypatch.setattr(render, "render_dpa_pdf", real)
        first["copy"] = signing_copy_prepare(agreement_id=agreement.pk)  # the other worker, finishing first
        return real(agreement, **kwargs)

    monkeypatch.setattr(render, "render_dpa_pdf", render_while_another_worker_stores)
    AgreementDocument.objects.filter(agreement=approved, kind="signing_copy").delete()  # none rendered yet
    second = signing_copy_prepare(agreement_id=approved.pk)
    assert second.pk == first["copy"].pk and second.document_id == first["copy"].document_id
    assert AgreementDocument.objects.filter(agreement=approved, kind="signing_copy").count() == 1


def test_vendor_signature_records_the_evidence(approved, parties, totp_code):
    signature = sign(approved, "vendor_admin", parties, totp_code)
    approved.refresh_from_db()
    assert approved.status == S.VENDOR_SIGNED
    copy = AgreementDocument.objects.get(agreement=approved, kind=AgreementDocument.Kind.SIGNING_COPY)
    assert (signature.side, signature.signer, signature.organisation) == (
        "vendor",
        parties["vendor_admin"][0],
        str(approved.contractor),
    )
    assert signature.role == "admin" and signature.method == Signature.Method.TYPED
    assert signature.consent_version == CURRENT_CONSENT_VERSION and signature.mfa_confirmed
    assert (signature.ip_address, signature.user_agent) == ("203.0.113.7", "Mozilla/5.0 test")
    assert signature.document_sha256 == copy.sha256 and signature.signed_at
    assert OutboundEmail.objects.filter(template="vendor_signed", agreement=approved).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"otp_code": "000000"}, "authenticator app is not correct"),
        ({"consent_version": 0}, "consent text has changed"),
        ({"document_sha256": "0" * 64}, "not the current one"),
        ({"typed_name": "  "}, "Type your full name"),
        ({"drawing_png": b"not a png"}, "could not be read"),
    ],
)
def test_a_bad_signature_request_is_refused_and_nothing_stored(approved, parties, totp_code, overrides, message):
    with pytest.raises(ApplicationError, match=message):
        sign(approved, "vendor_admin", parties, totp_code, **overrides)
    approved.refresh_from_db()
    assert approved.status == S.APPROVED and not Signature.objects.exists()


def test_a_code_cannot_be_used_twice(approved, parties, totp_code):
    user, secret = parties["vendor_admin"]
    code = totp_code(secret)
    sign(approved, "vendor_admin", parties, totp_code, otp_code=code)
    # A replayed code is refused: allauth records each code as used for its whole window.
    from agreements.signing import _otp_valid

    assert not _otp_valid(user, code)


def test_the_wrong_people_cannot_sign(approved, parties, totp_code, vendor_editor, other_vendor_admin, with_totp):
    for user in (vendor_editor, other_vendor_admin, parties["district_admin"][0]):  # the district signs second
        secret = with_totp(user) if user != parties["district_admin"][0] else parties["district_admin"][1]
        with pytest.raises(ApplicationError, match="cannot sign"):
            agreement_sign(
                agreement=approved, user=user, request=request_for(approved, secret, totp_code), ip=None, user_agent=""
            )
    assert not Signature.objects.exists()


def test_a_drawn_signature_is_kept_as_a_clean_png(approved, parties, totp_code):
    drawing = io.BytesIO()
    Image.new("RGBA", (300, 100), (11, 42, 74, 255)).save(drawing, format="PNG")
    signature = sign(approved, "vendor_admin", parties, totp_code, drawing_png=drawing.getvalue())
    assert signature.method == Signature.Method.DRAWN
    assert Image.open(io.BytesIO(bytes(signature.drawn_image))).format == "PNG"


def test_countersigning_executes_a_sealed_dpa(executed):
    agreement, document = executed
    assert agreement.status == S.EXECUTED
    pdf = bytes(document.pdf)
    assert hashlib.sha256(pdf).hexdigest() == document.sha256
    text = text_of(pdf)
    for expected in [
        "Jordan Ellis",
        "Chief Privacy Officer",
        "Dana Whitfield",
        "Director of Technology",
        document.document_id,
        "Audit trail",
    ]:
        assert expected in text, expected
    copy = AgreementDocument.objects.get(agreement=agreement, kind=AgreementDocument.Kind.SIGNING_COPY)
    assert copy.sha256 in text.replace(" ", "")  # the hash both parties signed is in the audit trail
    assert document_verify(pdf).intact
    assert OutboundEmail.objects.filter(template="executed", agreement=agreement).exists()
    assert [c.to_status for c in agreement.status_changes.all()][-2:] == [S.VENDOR_SIGNED, S.EXECUTED]


def test_execution_runs_once(executed):
    agreement, document = executed
    again = agreement_execute(agreement_id=agreement.pk)
    assert again.pk == document.pk and bytes(again.pdf) == bytes(document.pdf)
    assert AgreementDocument.objects.filter(agreement=agreement, kind="executed").count() == 1
    assert agreement.status_changes.filter(to_status=S.EXECUTED).count() == 1


def test_verification_catches_tampering(executed):
    _, document = executed
    pdf = bytes(document.pdf)
    assert document_verify(pdf).verdict == "intact"
    flipped = bytearray(pdf)
    middle = len(flipped) // 3
    flipped[middle] ^= 0x01
    assert document_verify(bytes(flipped)).verdict in ("altered", "unknown")
    assert not document_verify(bytes(flipped)).intact
    appended = document_verify(pdf + b"\n% appended after the seal\n")
    assert appended.verdict == "altered" and appended.document == document
    unreadable = document_verify(pdf + b"\n%%EOF\n")  # an addition that PDF libraries cannot even parse
    assert unreadable.verdict == "altered" and unreadable.document == document
    png = io.BytesIO()
    Image.new("RGB", (2, 2)).save(png, format="PNG")
    assert document_verify(png.getvalue()).verdict == "not_pdf"
    import weasyprint

    assert document_verify(weasyprint.HTML(string="<p>Another PDF</p>").write_pdf()).verdict == "unknown"


def test_documents_are_served_from_the_stored_bytes_to_the_parties_only(
    client, executed, parties, other_vendor_admin, other_district_admin, with_totp
):
    agreement, document = executed
    url = reverse("agreement_document", args=[agreement.pk, "executed"])
    for user in (parties["vendor_admin"][0], parties["district_admin"][0]):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and response.content == bytes(document.pdf)
        assert response["Content-Type"] == "application/pdf" and document.document_id in response["Content-Disposition"]
    for user in (other_vendor_admin, other_district_admin):
        with_totp(user)
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_htmx_loads_only_while_the_sign_page_waits_for_its_document(client, approved, parties):
    """The page polls (htmx) while the worker renders the copy to sign; no other page loads htmx."""
    client.force_login(parties["vendor_admin"][0])
    url = reverse("agreement_sign", args=[approved.pk])
    ready = client.get(url)
    assert ready.status_code == 200 and 'id="document-sha256"' in ready.text and "htmx" not in ready.text
    AgreementDocument.objects.filter(agreement=approved).delete()  # as if the worker had not stored it yet
    waiting = client.get(url)
    assert waiting.status_code == 200 and 'hx-trigger="every 2s"' in waiting.text
    assert waiting.text.count("vendor/htmx/htmx.min.js") == 1
    client.logout()  # signed in, "/" goes on to the dashboard (issue 14.3); the landing page is the one to check
    home = client.get("/")
    assert home.status_code == 200 and "htmx" not in home.text


def test_the_public_verification_page(client, executed, db):
    _, document = executed
    url = reverse("verify")
    assert client.get(url).status_code == 200
    ok = client.post(url, {"document": io.BytesIO(bytes(document.pdf))})
    assert "Intact." in ok.text and document.document_id in ok.text
    tampered = client.post(url, {"document": io.BytesIO(bytes(document.pdf) + b"junk")})
    assert "Not intact." in tampered.text
    not_pdf = client.post(url, {"document": io.BytesIO(b"GIF89a....")})
    assert "This file is not a PDF." in not_pdf.text


def test_amendment_and_renewal_start_from_the_executed_answers(executed, parties):
    agreement, document = executed
    district_admin = parties["district_admin"][0]
    Agreement.objects.filter(pk=agreement.pk).update(contract_start=date(2026, 7, 1), contract_end=date(2027, 6, 30))
    agreement.refresh_from_db()
    renewal = agreement_amend(agreement=agreement, actor=district_admin, kind=Agreement.Kind.RENEWAL)
    assert (renewal.kind, renewal.previous, renewal.status) == ("renewal", agreement, S.DRAFT)
    assert (renewal.contract_start, renewal.contract_end) == (date(2027, 7, 1), date(2028, 6, 30))
    assert renewal.supplemental_information.purposes == agreement.supplemental_information.purposes
    amendment = agreement_amend(agreement=agreement, actor=district_admin, kind=Agreement.Kind.AMENDMENT)
    assert amendment.contract_end == agreement.contract_end
    agreement.refresh_from_db()
    assert agreement.status == S.EXECUTED and bytes(agreement.documents.get(kind="executed").pdf) == bytes(document.pdf)
    with pytest.raises(ApplicationError):
        agreement_amend(agreement=renewal, actor=district_admin, kind=Agreement.Kind.RENEWAL)  # not executed


def test_lost_document_work_is_found_by_the_sweep(approved, parties, totp_code):
    from agreements.signing import documents_due

    AgreementDocument.objects.filter(agreement=approved).delete()  # as if the task after approval was lost
    assert documents_due() == ([approved.pk], [])
    signing_copy_prepare(agreement_id=approved.pk)
    sign(approved, "vendor_admin", parties, totp_code)
    sign(approved, "district_admin", parties, totp_code)  # its execute task is never run here
    assert documents_due() == ([], [approved.pk])
    agreement_execute(agreement_id=approved.pk)
    assert documents_due() == ([], [])


def test_a_failing_task_after_commit_does_not_fail_the_request(transactional_db, agreement, caplog, monkeypatch):
    """Work is enqueued with on_commit(robust=True): a broker that is down is logged, never raised into the request,
    and what committed stays for the sweeps to find (test_lost_document_work_is_found_by_the_sweep, the outbox's)."""
    from django.db import transaction

    from agreements import tasks
    from agreements.mail import email_enqueue
    from agreements.signing import signing_copy_schedule

    class BrokerDown:
        def delay(self, *args):
            raise ConnectionError("broker down")

    monkeypatch.setattr(tasks, "send_outbound_email", BrokerDown())
    monkeypatch.setattr(tasks, "prepare_signing_copy", BrokerDown())
    with transaction.atomic():
        email = email_enqueue(
            to=["vendor@example.org"], template="approved", context={"agreement": agreement}, agreement=agreement
        )
        signing_copy_schedule(agreement)
    assert OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.QUEUED  # committed
    failures = [r for r in caplog.records if "on_commit()" in r.getMessage() and "broker down" in r.getMessage()]
    assert len(failures) == 2 and all(r.exc_info for r in failures)
