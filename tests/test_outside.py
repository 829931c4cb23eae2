"""Agreements signed outside the portal (issue 12): what recording one creates, its deadlines (nothing past at import
is e-mailed), its page for both parties, the district's "Complete this agreement" form, the vendor that joins later,
a renewal from it, and its termination."""

import hashlib
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agreements.deadlines.sweep import sweep_run
from agreements.models import Agreement, AgreementDocument, Obligation, OutboundEmail, OutsideSigning, StatusChange
from agreements.outside import OutsideTerms, outside_agreement_complete, outside_agreement_record, outside_missing
from dpa_portal.errors import EXISTS, FORBIDDEN, ApplicationError
from exhibits.models import SupplementalInformation
from vendors.models import Subcontractor

from .helpers import ESCAPED, HOSTILE

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
    assert duties[K.TERM_END].due_phrase == "met on time"  # it ended on its day; the portal learned of it later
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

    # The day after its term, the sweep expires it as any agreement, and opens its return-or-destroy duty once.
    after = today + timedelta(days=21)
    assert sweep_run(today=after).expired == [ending.pk]
    assert sweep_run(today=after).expired == [] and sweep_run(today=after).opened == 0
    assert Obligation.objects.filter(agreement=ending, kind=K.RETURN_DESTROY).count() == 1
    assert OutboundEmail.objects.filter(template="deadline_expired").count() == 1


def test_the_district_dashboard_lists_duties_past_at_import_for_review(
    client, catalogues, district, district_admin, vendor, signed_pdf, with_totp
):
    today = timezone.localdate()
    ended = record(
        district,
        district_admin,
        vendor,
        signed_pdf,
        contract_start=today - timedelta(days=565),
        contract_end=today - timedelta(days=200),
    )
    with_totp(district_admin)
    client.force_login(district_admin)
    page = client.get(reverse("district_dashboard", args=[district.slug])).content.decode()
    assert 'id="outside-review"' in page
    assert "Return or destroy the data and certify its destruction" in page
    assert reverse("agreement_detail", args=[ended.pk]) in page


def test_the_dashboards_to_complete_panel_costs_the_same_queries_for_more_agreements(
    client, catalogues, district, district_admin, vendor, signed_pdf, with_totp, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(2):
        record(district, district_admin, vendor, None, source=f"few-{n}")
    with_totp(district_admin)
    client.force_login(district_admin)
    url = reverse("district_dashboard", args=[district.slug])
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert "2 agreements signed outside the portal lack something" in page
    for n in range(5):
        record(district, district_admin, vendor, None, source=f"more-{n}")
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "7 agreements signed outside the portal lack something" in page
    assert "the signed PDF" in page and "121.3(c) item 4: challenges to data accuracy" in page


# --- 3. the agreement page for both parties ----------------------------------------------------------------------


@pytest.fixture
def imported(catalogues, district, vendor, signed_pdf, people):
    admin = people["district_admin"]
    admin.first_name, admin.last_name = "Dana", "Admin"
    admin.save()
    return record(district, admin, vendor, signed_pdf, data_transition="", accuracy_challenges="")


def test_the_page_says_signed_outside_the_portal_and_offers_the_pdf_to_both_parties(
    client, imported, people, signed_pdf
):
    today = timezone.localdate()
    for persona in ("district_admin", "district_viewer", "vendor_admin", "vendor_editor"):
        client.force_login(people[persona])
        page = client.get(reverse("agreement_detail", args=[imported.pk])).content.decode()
        assert f"Signed outside the portal, uploaded on {today:%B} {today.day}, {today.year} by Dana Admin." in page
        assert imported.outside_signing.document.sha256 in page
        assert "not provided by the district" in page  # items 3 and 4
        assert "read from the PDF, please confirm" in page  # the end date
        assert 'id="signing"' not in page and "Sign for" not in page and "Exhibit C.1" not in page
        pdf = client.get(reverse("outside_document", args=[imported.pk]))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert b"".join(pdf) == signed_pdf
        assert pdf["X-Content-SHA256"] == hashlib.sha256(signed_pdf).hexdigest()
        assert ("Complete this agreement" in page) == (persona == "district_admin")


# The pages of an agreement signed outside the portal, and who gets past their access check (the others get a 404,
# the anonymous the sign-in page); tests/test_authorization.py reads this table.
PARTIES = {"district_admin", "district_reviewer", "district_viewer", "vendor_admin", "vendor_editor"}
PAGES = [("outside_document", "get", PARTIES), ("outside_complete", "post", {"district_admin"})]
PERSONAS = [
    "anonymous",
    "district_admin",
    "district_reviewer",
    "district_viewer",
    "vendor_admin",
    "vendor_editor",
    "other_district",
    "other_vendor",
]


@pytest.mark.parametrize(("name", "method", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_refuses_every_wrong_persona(client, imported, people, name, method, allowed):
    url = reverse(name, args=[imported.pk])
    for persona in PERSONAS:
        client.logout()
        if people[persona]:
            client.force_login(people[persona])
        response = getattr(client, method)(url, {})
        if persona == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], persona
        elif persona in allowed:
            assert response.status_code in (200, 302), (persona, response.status_code)
        else:
            assert response.status_code == 404, (persona, response.status_code)


@pytest.mark.parametrize("persona", ["anonymous", "other_district", "other_vendor"])
def test_outsiders_get_neither_the_page_nor_the_pdf(client, imported, people, persona):
    if people[persona]:
        client.force_login(people[persona])
    for url in (reverse("agreement_detail", args=[imported.pk]), reverse("outside_document", args=[imported.pk])):
        response = client.get(url)
        assert response.status_code == (302 if persona == "anonymous" else 404)


def test_a_district_admin_completes_what_is_missing_and_confirms_what_was_read(client, imported, people):
    client.force_login(people["district_admin"])
    url = reverse("outside_complete", args=[imported.pk])
    response = client.post(
        url,
        {
            "data_transition": "Returned as CSV within 30 days, then destroyed.",
            "accuracy_challenges": "Through the district's records office.",
            "purposes": "An attempt to overwrite what was given",  # not offered: ignored
            "confirm": "on",
        },
    )
    assert response.status_code == 302
    agreement = Agreement.objects.select_related("outside_signing", "supplemental_information").get(pk=imported.pk)
    assert agreement.supplemental_information.data_transition_details.startswith("Returned as CSV")
    assert agreement.outside_signing.accuracy_challenges == "Through the district's records office."
    assert agreement.supplemental_information.purposes == "Reading practice for grades K-5."
    assert agreement.outside_signing.read_from_pdf == []
    assert outside_missing(agreement) == []
    assert StatusChange.objects.filter(agreement=agreement, note__startswith="Completed by the district:").exists()
    page = client.get(reverse("agreement_detail", args=[imported.pk])).content.decode()
    assert "not provided by the district" not in page
    assert "please confirm</span>" not in page
    assert "Complete this agreement" not in page  # nothing left to give


def test_the_service_fills_only_what_is_missing(catalogues, district, district_admin, vendor):
    agreement = record(district, district_admin, vendor, None, service_agreement_date=None, purposes="")
    filled = outside_agreement_complete(
        agreement=agreement,
        actor=district_admin,
        terms=terms_for(vendor, service_agreement_date=date(2025, 5, 1), purposes="Given now", encryption="Other"),
    )
    assert set(filled) == {"service_agreement_date", "purposes", "data_transition", "accuracy_challenges"} - {
        "data_transition",
        "accuracy_challenges",
    }
    agreement.refresh_from_db()
    assert agreement.service_agreement_date == date(2025, 5, 1)
    assert agreement.supplemental_information.encryption_details == "AES-256 at rest, TLS 1.2 in motion."
    assert outside_agreement_complete(agreement=agreement, actor=district_admin, terms=terms_for(vendor)) == []


@pytest.mark.parametrize(
    "persona", ["anonymous", "district_reviewer", "district_viewer", "vendor_admin", "vendor_editor", "other_district"]
)
def test_only_a_district_admin_may_complete(client, imported, people, persona):
    if people[persona]:
        client.force_login(people[persona])
    response = client.post(reverse("outside_complete", args=[imported.pk]), {"data_transition": "Hijacked"})
    assert response.status_code == (302 if persona == "anonymous" else 404)
    if persona == "anonymous":
        assert "/accounts/login/" in response["Location"]
    assert SupplementalInformation.objects.get(agreement=imported).data_transition_details == ""


def test_a_portal_agreement_is_not_completed_this_way(client, agreement, people, district):
    from agreements.models import DistrictMembership

    admin = people["district_admin"]
    assert DistrictMembership.objects.filter(user=admin, agency=district).exists()
    client.force_login(admin)
    response = client.post(reverse("outside_complete", args=[agreement.pk]), {"purposes": "x"})
    assert response.status_code == 404


# --- 5. the vendor that joins later, and a renewal ---------------------------------------------------------------


def test_a_vendor_that_joins_later_finds_the_imported_agreement(client, imported, people, signed_pdf):
    client.force_login(people["vendor_admin"])
    dashboard = client.get(reverse("vendor_dashboard", args=[imported.contractor.slug])).content.decode()
    assert reverse("agreement_detail", args=[imported.pk]) in dashboard
    assert client.get(reverse("agreement_detail", args=[imported.pk])).status_code == 200
    assert b"".join(client.get(reverse("outside_document", args=[imported.pk]))) == signed_pdf
    client.force_login(people["other_vendor"])
    other = client.get(
        reverse("vendor_dashboard", args=[people["other_vendor"].contractor_memberships.get().contractor.slug])
    )
    assert reverse("agreement_detail", args=[imported.pk]) not in other.content.decode()


def test_a_renewal_starts_from_the_imported_agreement_and_goes_to_its_contact(client, catalogues, district, vendor):
    from accounts.models import Invitation
    from agreements.services import agreement_amend
    from exhibits.models import AnswerReuse

    from . import personas
    from .helpers import with_totp

    admin = with_totp(personas.district_user(district))
    old = record(district, admin, vendor, None, data_transition="Returned, then destroyed.")
    renewal = agreement_amend(agreement=old, actor=admin, kind=Agreement.Kind.RENEWAL)
    assert renewal.status == S.DRAFT and renewal.previous == old and renewal.kind == Agreement.Kind.RENEWAL
    assert renewal.contract_start == old.contract_end + timedelta(days=1)
    info = renewal.supplemental_information
    assert info.purposes == "Reading practice for grades K-5."
    assert info.data_transition_details == "Returned, then destroyed."
    assert info.security_measures == "Encrypted databases in US regions."
    assert [s.name for s in info.subcontractors.all()] == ["Cloud Hosting Co"]
    assert AnswerReuse.objects.get(agreement=renewal).source == old
    # The vendor has nobody here: the page offers the contact recorded with the old agreement, and the send invites it.
    client.force_login(admin)
    page = client.get(reverse("agreement_detail", args=[renewal.pk])).content.decode()
    assert 'value="pat@learning-tools.example"' in page
    client.post(reverse("agreement_send", args=[renewal.pk]), {"contact_email": "pat@learning-tools.example"})
    renewal.refresh_from_db()
    assert renewal.status == S.WITH_VENDOR
    assert Invitation.objects.filter(email="pat@learning-tools.example", agreement=renewal).exists()


# --- 6. termination ------------------------------------------------------------------------------------------------


def test_terminating_an_imported_agreement_names_the_uploaded_copy(
    catalogues, district, district_admin, vendor, signed_pdf
):
    import io

    from pypdf import PdfReader

    from agreements.deadlines.services.ending import agreement_terminate
    from agreements.signing import termination_record_prepare

    agreement = record(district, district_admin, vendor, signed_pdf)
    uploaded = agreement.outside_signing.document
    agreement_terminate(
        agreement=agreement,
        actor=district_admin,
        effective_on=timezone.localdate(),
        basis="notice",
        reason="The service was discontinued.",
    )
    agreement.refresh_from_db()
    assert agreement.status == S.TERMINATED
    assert Obligation.objects.get(agreement=agreement, kind=K.RETURN_DESTROY).is_open
    record_doc = termination_record_prepare(agreement_id=agreement.pk)
    assert record_doc.kind == AgreementDocument.Kind.TERMINATION_RECORD
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(record_doc.pdf))).pages)
    text = " ".join(text.split())
    assert uploaded.document_id in text and uploaded.sha256[:20] in text.replace(" ", "")
    assert "signed outside the portal" in text and "not sealed by the portal" in text
    assert "Executed DPA: document" not in text


def test_no_public_copy_is_scheduled_or_due_for_an_imported_agreement(catalogues, district, district_admin, vendor):
    from agreements.signing import public_copies_due, public_copies_schedule

    agreement = record(district, district_admin, vendor, None)
    assert public_copies_schedule(Agreement.objects.filter(pk=agreement.pk)) == 0
    Agreement.objects.filter(pk=agreement.pk).update(public_copy_due=True)  # as a posting change elsewhere might
    assert agreement.pk not in public_copies_due()


# --- more of recording and completing --------------------------------------------------------------------------------


def test_a_portal_archives_exhibit_b_is_set_exactly(catalogues, district, district_admin, vendor):
    exhibit_b = {
        "purposes": "Archived purposes",
        "receives_student_pii": True,
        "receives_appr_data": True,
        "subcontractor_use": "will_use",
        "data_transition_details": "",
        "correction_days": 14,
        "storage_third_party_cloud": True,
        "storage_contractor_hosted": False,
        "storage_other": True,
        "storage_other_description": "A district data center",
        "security_measures": "Archived security",
        "encryption_details": "",
        "subcontractors": [
            {"name": "Archive Host", "purpose": "Hosting", "receives_pii": True, "written_agreement": True},
        ],
    }
    agreement = record(
        district, district_admin, vendor, None, exhibit_b=exhibit_b, purposes="ignored", read_from_pdf=[]
    )
    info = SupplementalInformation.objects.get(agreement=agreement)
    assert info.purposes == "Archived purposes" and info.correction_days == 14
    assert info.receives_appr_data and info.storage_other and info.storage_other_description == "A district data center"
    sub = info.subcontractors.get()
    assert (sub.name, sub.purpose, sub.receives_pii, sub.written_agreement) == ("Archive Host", "Hosting", True, True)
    assert agreement.outside_signing.accuracy_model_wording
    # The model DPA's wording gives items 3, 4 and 6: only the signed PDF is missing.
    assert outside_missing(Agreement.objects.get(pk=agreement.pk)) == ["the signed PDF"]


def test_the_signed_pdf_given_later_is_kept_as_given(client, catalogues, district, vendor, signed_pdf, people):
    admin = people["district_admin"]
    agreement = record(district, admin, vendor, None)
    assert "the signed PDF" in outside_missing(Agreement.objects.get(pk=agreement.pk))
    client.force_login(admin)
    page = client.get(reverse("agreement_detail", args=[agreement.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="pdf"' in page
    upload = SimpleUploadedFile("signed.pdf", signed_pdf, content_type="application/pdf")
    client.post(reverse("outside_complete", args=[agreement.pk]), {"pdf": upload})
    outside = OutsideSigning.objects.select_related("document").get(agreement=agreement)
    assert bytes(outside.document.pdf) == signed_pdf and outside.source_filename == "signed.pdf"
    assert outside.document.sha256 == hashlib.sha256(signed_pdf).hexdigest()
    # A second PDF never replaces the first.
    assert (
        outside_agreement_complete(agreement=agreement, actor=admin, terms=terms_for(vendor), pdf=b"%PDF-1.7 x") == []
    )
    assert bytes(AgreementDocument.objects.get(agreement=agreement).pdf) == signed_pdf


def test_an_end_date_given_later_that_is_past_expires_the_agreement(catalogues, district, district_admin, vendor):
    agreement = record(district, district_admin, vendor, None, contract_end=None)
    assert not Obligation.objects.filter(agreement=agreement).exists()
    ended = timezone.localdate() - timedelta(days=60)
    filled = outside_agreement_complete(
        agreement=agreement, actor=district_admin, terms=terms_for(vendor, contract_end=ended)
    )
    assert "contract_end" in filled
    agreement.refresh_from_db()
    assert agreement.status == S.EXPIRED and agreement.contract_end == ended
    destroy = Obligation.objects.get(agreement=agreement, kind=K.RETURN_DESTROY)
    assert destroy.due_on == ended + timedelta(days=30) and "review it" in destroy.due_explanation
    assert not OutboundEmail.objects.exists()


def test_what_the_district_typed_is_escaped_on_the_page(client, catalogues, district, vendor, people):
    admin = people["district_admin"]
    agreement = record(district, admin, vendor, None, purposes=HOSTILE, subcontractor_terms=HOSTILE)
    client.force_login(admin)
    page = client.get(reverse("agreement_detail", args=[agreement.pk])).content.decode()
    assert HOSTILE not in page and page.count(ESCAPED) >= 2


def test_a_value_completed_from_the_pdf_waits_for_confirmation(catalogues, district, district_admin, vendor):
    agreement = record(district, district_admin, vendor, None)
    terms = terms_for(vendor, data_transition="Read from the PDF", read_from_pdf=["data_transition", "purposes"])
    assert outside_agreement_complete(agreement=agreement, actor=district_admin, terms=terms) == ["data_transition"]
    outside = OutsideSigning.objects.get(agreement=agreement)
    assert outside.read_from_pdf == ["contract_end", "data_transition"]  # purposes was given before: not filled
