"""The sealed record of an early termination (issue 11, point 2): rendered and sealed by a worker once the termination
commits, offered to both parties, recognised by /verify/, redone by the documents sweep if lost. One render."""

import io
import re
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from agreements import tasks
from agreements.deadlines import services as deadlines
from agreements.deadlines.calendar import long_date
from agreements.deadlines.services.ending import agreement_terminate
from agreements.documents.seal import portal_certificate
from agreements.models import AgreementDocument, Obligation
from agreements.signing import termination_records_due
from agreements.verification import document_verify

from .public_helpers import make_agreement

RECORD = AgreementDocument.Kind.TERMINATION_RECORD
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def pdftotext(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


@pytest.fixture
def executed(catalogues, district, vendor, people):
    agreement = make_agreement(agency=district, contractor=vendor)
    deadlines.term_end_obligation(agreement).save()
    return agreement


def terminate(agreement, people, monkeypatch, django_capture_on_commit_callbacks):
    """Terminate, and run the commit callbacks with the broker replaced: the task ids that were queued."""
    queued = []
    monkeypatch.setattr(tasks.prepare_termination_record, "delay", lambda pk: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        termination = agreement_terminate(
            agreement=agreement,
            actor=people["district_admin"],
            effective_on=timezone.localdate(),
            basis="notice",
            reason="The district ends the reading service at the end of the semester.",
        )
    return termination, queued


def test_the_termination_is_sealed_in_a_record_for_the_parties(
    client, people, executed, monkeypatch, django_capture_on_commit_callbacks
):
    termination, queued = terminate(executed, people, monkeypatch, django_capture_on_commit_callbacks)
    assert queued == [executed.pk]  # the task is queued once, after the commit
    client.force_login(people["district_admin"])
    page = client.get(reverse("agreement_detail", args=[executed.pk])).text
    assert "The portal is sealing the record of the early termination." in page
    assert termination_records_due() == [executed.pk]  # a lost task: the sweep would queue it

    assert tasks.prepare_termination_record.apply(args=[executed.pk]).get()  # the worker, in process
    record = AgreementDocument.objects.get(agreement=executed, kind=RECORD)
    # Running again (a duplicate, the sweep) stores nothing more.
    assert tasks.prepare_termination_record.apply(args=[executed.pk]).get() == record.sha256
    assert AgreementDocument.objects.filter(agreement=executed, kind=RECORD).count() == 1
    assert termination_records_due() == []
    assert not executed.render_jobs.exists()

    pdf = bytes(record.pdf)
    text = pdftotext(pdf)
    executed_dpa = AgreementDocument.objects.get(agreement=executed, kind=AgreementDocument.Kind.EXECUTED)
    destroy = Obligation.objects.get(agreement=executed, kind=Obligation.Kind.RETURN_DESTROY)
    recorder = people["district_admin"]
    for expected in (
        "RECORD OF EARLY TERMINATION",
        executed.agency.name,
        executed.contractor.legal_name,
        executed_dpa.document_id,
        executed_dpa.sha256,
        record.document_id,
        long_date(termination.effective_on),
        "By notice, as the Service Agreement allows",
        "The district ends the reading service at the end of the semester.",
        recorder.get_full_name(),
        f"district administrator of {executed.agency.name}",
        f"by {long_date(destroy.due_on)}",
        "Article II.9",
    ):
        assert expected in text, expected
    assert not EMAIL.search(text) and recorder.email not in text

    # The portal's seal covers the whole file and verifies against the portal's certificate (pyHanko).
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1]
    context = ValidationContext(trust_roots=[portal_certificate()], allow_fetching=False)
    status = validate_pdf_signature(embedded, context, skip_diff=True)
    assert status.bottom_line and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert record.document_id in str(embedded.sig_object["/Reason"])

    # /verify/ names it; a changed copy is refused as such.
    name = f"the record of the early termination of agreement {executed.pk}"
    outcome = document_verify(pdf)
    assert outcome.intact and outcome.document.pk == record.pk
    page = client.post(reverse("verify"), {"document": io.BytesIO(pdf)}).text
    assert "Intact." in page and name in page
    assert document_verify(pdf + b"\n%% appended\n").verdict == "altered"

    # Offered to both parties on the agreement page; downloaded by them only.
    url = reverse("agreement_document", args=[executed.pk, "termination-record"])
    for persona, allowed in (
        ("district_admin", True),
        ("district_viewer", True),
        ("vendor_editor", True),
        ("vendor_admin", True),
        ("other_district", False),
        ("other_vendor", False),
        ("anonymous", False),
    ):
        client.logout()
        if people[persona]:
            client.force_login(people[persona])
        response = client.get(url)
        if allowed:
            assert response.status_code == 200 and response.content == pdf, persona
            assert "termination-record.pdf" in response["Content-Disposition"]
            page = client.get(reverse("agreement_detail", args=[executed.pk])).text
            assert url in page and record.document_id in page, persona
        else:
            assert response.status_code in (302, 404), persona


def test_the_sweep_queues_a_lost_record_once_and_not_while_it_is_being_rendered(
    people, executed, monkeypatch, django_capture_on_commit_callbacks
):
    terminate(executed, people, monkeypatch, django_capture_on_commit_callbacks)
    queued = []
    monkeypatch.setattr(tasks.prepare_termination_record, "delay", lambda pk: queued.append(pk))
    tasks.documents_sweep()
    assert queued == [executed.pk]
    from agreements.render_jobs import job_begin

    job_begin(agreement_id=executed.pk, kind=RECORD)  # an attempt is running
    assert termination_records_due() == []
