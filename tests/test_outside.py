"""Agreements signed outside the portal (issue 12): what recording one creates, its deadlines (nothing past at import
is e-mailed), its page for both parties, the district's "Complete this agreement" form, the vendor that joins later,
a renewal from it, and its termination."""

import hashlib
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agreements.deadlines.sweep import sweep_run
from agreements.models import Agreement, AgreementDocument, Obligation, OutboundEmail, OutsideSigning, StatusChange
from agreements.outside import OutsideTerms, outside_agreement_record, outside_missing
from dpa_portal.errors import EXISTS, FORBIDDEN, ApplicationError
from exhibits.models import SupplementalInformation
from vendors.models import Subcontractor

S = Agreement.Status
K = Obligation.Kind


@pytest.fixture(scope="module")
def signed_pdf():
    """A small real PDF, rendered once for the module."""
    import weasyprint

    return weasyprint.HTML(
        string="<h1>Data Privacy Agreement</h1><p>Signed on paper by Hometown CSD and Learning Tools, Inc.</p>"
    ).write_pdf()


def key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def terms_for(contractor, **overrides) -> OutsideTerms:
    values = {
        "contractor": contractor,
        "products": ["Reading Coach", "Math Coach"],
        "service_agreement_date": date(2025, 6, 1),
        "contract_start": date(2025, 7, 1),
        "contract_end": timezone.localdate() + timedelta(days=200),
        "purposes": "Reading practice for grades K-5.",
        "subcontractors": ["Cloud Hosting Co"],
        "subcontractor_terms": "Bound by written agreements no less protective than this one.",
        "data_transition": "",
        "accuracy_challenges": "",
        "storage_and_security": "Encrypted databases in US regions.",
        "encryption": "AES-256 at rest, TLS 1.2 in motion.",
        "student_pii": True,
        "vendor_contact_name": "Pat Vendor",
        "vendor_contact_email": "pat@learning-tools.example",
        "read_from_pdf": ["contract_end"],
    }
    values.update(overrides)
    return OutsideTerms(**values)


def record(district, admin, contractor, pdf, source="row-1", **overrides):
    return outside_agreement_record(
        agency=district,
        actor=admin,
        terms=terms_for(contractor, **overrides),
        pdf=pdf,
        pdf_filename="learning-tools.pdf",
        source_key=key(source),
    )


# --- 1. what recording creates ---------------------------------------------------------------------------------


def test_record_creates_an_executed_agreement_with_its_pdf_as_given(
    catalogues, district, district_admin, vendor, signed_pdf
):
    district_admin.first_name, district_admin.last_name = "Dana", "Admin"
    district_admin.save()
    agreement = record(district, district_admin, vendor, signed_pdf)

    assert agreement.status == S.EXECUTED and agreement.kind == Agreement.Kind.NEW
    assert not agreement.public_copy_due
    assert sorted(p.name for p in agreement.products.all()) == ["Math Coach", "Reading Coach"]
    outside = OutsideSigning.objects.get(agreement=agreement)
    assert outside.uploaded_by == district_admin and outside.uploaded_by_name == "Dana Admin"
    assert outside.pdf_text == OutsideSigning.PdfText.TEXT
    assert outside.read_from_pdf == ["contract_end"]
    assert outside.subcontractor_terms.startswith("Bound by written")
    document = outside.document
    assert document.kind == AgreementDocument.Kind.UPLOADED
    assert bytes(document.pdf) == signed_pdf
    assert document.sha256 == hashlib.sha256(signed_pdf).hexdigest() and document.size == len(signed_pdf)
    assert document.document_id.startswith("DPA-")
    info = SupplementalInformation.objects.get(agreement=agreement)
    assert info.purposes == "Reading practice for grades K-5."
    assert info.security_measures == "Encrypted databases in US regions."
    assert info.receives_student_pii and not info.receives_appr_data
    assert info.subcontractor_use == SupplementalInformation.SubcontractorUse.WILL_USE
    assert [s.name for s in info.subcontractors.all()] == ["Cloud Hosting Co"]
    assert Subcontractor.objects.filter(contractor=vendor, name="Cloud Hosting Co").count() == 1
    changes = list(StatusChange.objects.filter(agreement=agreement).values_list("from_status", "to_status", "note"))
    today = timezone.localdate()
    assert changes == [
        ("", S.EXECUTED, f"Signed outside the portal; uploaded on {today:%B} {today.day}, {today.year} by Dana Admin.")
    ]
    # The term-end item opened from its dates; no e-mail to anyone, no public copy.
    assert list(Obligation.objects.filter(agreement=agreement).values_list("kind", "due_on")) == [
        (K.TERM_END, agreement.contract_end)
    ]
    assert not OutboundEmail.objects.exists()
    # What is missing: items 3 and 4, and the value read from the PDF until confirmed.
    assert outside_missing(Agreement.objects.get(pk=agreement.pk)) == [
        "121.3(c) item 3: what happens to the data when the agreement ends",
        "121.3(c) item 4: challenges to data accuracy",
        "read from the PDF, please confirm: contract end date",
    ]


def test_an_agreement_whose_term_ended_before_the_import_is_expired_with_its_duty(
    catalogues, district, district_admin, vendor, signed_pdf
):
    today = timezone.localdate()
    ended = today - timedelta(days=10)
    agreement = record(
        district, district_admin, vendor, signed_pdf, contract_start=date(2024, 7, 1), contract_end=ended
    )
    assert agreement.status == S.EXPIRED
    changes = list(StatusChange.objects.filter(agreement=agreement).values_list("from_status", "to_status"))
    assert changes == [("", S.EXECUTED), (S.EXECUTED, S.EXPIRED)]
    assert StatusChange.objects.filter(
        agreement=agreement,
        to_status=S.EXPIRED,
        note=f"The term ended on {ended:%B} {ended.day}, {ended.year}, before the import.",
    ).exists()
    duties = {o.kind: o for o in Obligation.objects.filter(agreement=agreement)}
    assert duties[K.TERM_END].status == Obligation.Status.MET
    destroy = duties[K.RETURN_DESTROY]
    assert destroy.clock_started_on == ended and destroy.due_on == ended + timedelta(days=30)
    assert destroy.status == Obligation.Status.OPEN


def test_an_agreement_that_runs_until_terminated_reminds_of_its_review(
    catalogues, district, district_admin, vendor, signed_pdf
):
    review = timezone.localdate() + timedelta(days=100)
    agreement = record(
        district, district_admin, vendor, signed_pdf, contract_end=None, runs_until_terminated=True, review_on=review
    )
    assert agreement.status == S.EXECUTED and agreement.runs_until_terminated and agreement.review_on == review
    duty = Obligation.objects.get(agreement=agreement)
    assert duty.kind == K.TERM_END and duty.due_on == review and "runs until terminated" in duty.due_explanation


def test_a_second_record_of_the_same_row_is_refused_and_writes_nothing(
    catalogues, district, district_admin, vendor, signed_pdf
):
    record(district, district_admin, vendor, signed_pdf)
    counts = (Agreement.objects.count(), AgreementDocument.objects.count(), Obligation.objects.count())
    with pytest.raises(ApplicationError) as refused:
        record(district, district_admin, vendor, signed_pdf, products=["Another Product"])
    assert refused.value.code == EXISTS
    assert "already in the portal" in refused.value.message
    assert (Agreement.objects.count(), AgreementDocument.objects.count(), Obligation.objects.count()) == counts
    assert not vendor.products.filter(name="Another Product").exists()


@pytest.mark.parametrize(
    ("overrides", "pdf", "says"),
    [
        ({"contract_start": date(2026, 7, 1), "contract_end": date(2026, 6, 1)}, None, "is before its start date"),
        ({"runs_until_terminated": True, "contract_end": None}, None, "needs the date the district next reviews"),
        ({"products": []}, None, "Name at least one product"),
        ({"purposes": "x" * 2_001}, None, "purposes (item 1) is too long"),
        ({}, b"GIF89a not a pdf", "is not a PDF"),
    ],
)
def test_bad_input_is_refused_with_a_sentence_and_writes_nothing(
    catalogues, district, district_admin, vendor, overrides, pdf, says
):
    with pytest.raises(ApplicationError) as refused:
        record(district, district_admin, vendor, pdf, **overrides)
    assert says in refused.value.message
    assert not Agreement.objects.exists() and not OutsideSigning.objects.exists()


def test_only_a_district_admin_records(catalogues, district, district_reviewer, other_district_admin, vendor):
    for actor in (district_reviewer, other_district_admin):
        with pytest.raises(ApplicationError) as refused:
            record(district, actor, vendor, None)
        assert refused.value.code == FORBIDDEN
    assert not Agreement.objects.exists()


def test_a_scanned_pdf_is_said_to_be_so(catalogues, district, district_admin, vendor, signed_pdf):
    agreement = outside_agreement_record(
        agency=district,
        actor=district_admin,
        terms=terms_for(vendor),
        pdf=signed_pdf,
        pdf_has_text=False,
        source_key=key("scanned"),
    )
    assert agreement.outside_signing.pdf_text == OutsideSigning.PdfText.SCANNED


# --- 2. deadlines: nothing past at import is e-mailed ----------------------------------------------------------


def test_the_sweep_sends_nothing_for_what_was_past_at_import_and_the_7_day_reminder_later(
    catalogues, district, district_admin, vendor, vendor_admin, signed_pdf
):
    today = timezone.localdate()
    long_ended = record(
        district,
        district_admin,
        vendor,
        signed_pdf,
        source="ended",
        contract_start=today - timedelta(days=565),
        contract_end=today - timedelta(days=200),
    )
    ending = record(district, district_admin, vendor, signed_pdf, source="ending", contract_end=today + timedelta(20))
    mail.outbox.clear()

    result = sweep_run(today=today)
    assert result.expired == [] and result.opened == 0  # nothing to expire, nothing opened twice
    assert result.reminders == []
    assert not OutboundEmail.objects.exists()
    # The ended one's return-or-destroy duty is late: marked overdue by the sweep, and listed for review.
    destroy = Obligation.objects.get(agreement=long_ended, kind=K.RETURN_DESTROY)
    assert destroy.status == Obligation.Status.OVERDUE
    assert f"Past when the agreement was imported on {today:%B} {today.day}, {today.year}: review it." in (
        destroy.due_explanation
    )
    term_end = Obligation.objects.get(agreement=ending, kind=K.TERM_END)
    assert "The reminders 30 and 90 days before fell before" in term_end.due_explanation
    assert Obligation.objects.filter(agreement__in=[long_ended, ending]).count() == 3  # no duplicates

    # Thirteen days on, the 7-day reminder of the one ending comes, to both parties; still nothing for the other.
    later = today + timedelta(days=13)
    result = sweep_run(today=later)
    assert result.reminders == [(term_end.pk, "before:7")]
    sent = list(OutboundEmail.objects.values_list("template", "to"))
    assert len(sent) == 1 and sent[0][0] == "deadline_reminder"
    assert set(sent[0][1]) == {district_admin.email, vendor_admin.email}
