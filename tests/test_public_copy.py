"""The public copy of an executed DPA (issue 10.3): made and sealed on execution beside the full executed DPA, it holds
the agreement, the Bill of Rights and Exhibit B with the signers' names and titles, and none of the audit trail, the
drawn signatures, the withheld parts of Exhibit B, nor Exhibit C unless the district posts it. The public URL, the
page and the open data give it and never the full copy; /verify/ names each.

Real documents: rendered by WeasyPrint, sealed by pyHanko, read back with pdftotext and pypdf, seals verified with
pyHanko. The executed agreement and its two public copies (one per district choice) are made once for the module.
"""

import csv
import hashlib
import io
import json
import subprocess
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from agreements.consent import CURRENT_CONSENT_VERSION
from agreements.documents.public_copy import public_copy_html
from agreements.documents.seal import verify_pdf
from agreements.models import Agreement, AgreementDocument, DistrictMembership, PublicScope, RenderJob
from agreements.services import (
    agreement_approve,
    agreement_create,
    agreement_request_changes,
    agreement_send_to_vendor,
    agreement_submit,
    district_posting_update,
)
from agreements.signing import (
    SignatureRequest,
    agreement_execute,
    agreement_sign,
    public_copies_due,
    public_copy_prepare,
    signing_copy_prepare,
)
from agreements.verification import document_verify
from exhibits.catalogues import load_all_catalogues
from exhibits.models import Redaction
from exhibits.public.services import redaction_add
from exhibits.services import review_comment_add
from vendors.models import ContractorMembership

from . import factories, personas
from .helpers import TERM, activate_totp, fill_complete
from .shared import SharedRows

S = Agreement.Status
PUBLIC = AgreementDocument.Kind.PUBLIC_COPY

# What each party typed, and what the portal recorded about them; the public copy may show only the first group.
VENDOR_SIGNER = ("Jordan Ellis", "Chief Privacy Officer")
DISTRICT_SIGNER = ("Dana Whitfield", "Director of Technology")
VENDOR_IP, DISTRICT_IP = "203.0.113.77", "198.51.100.23"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) SignerBrowser/99.7"
INTERNAL_NOTE = "Internal: legal flagged clause 7 retention, ask Pat before approving"
APPROVAL_NOTE = "Approved after the call with the superintendent"
REVIEW_COMMENT = "Reviewer thinks the encryption answer is vague"
BREACH_EMAIL = "pat.breach-officer@hometown.example"
# Each answer is unique, so its presence or absence in a copy is unambiguous. The purposes end with the mark that
# closes them in the public copy's source: escaped by the template, it cannot end the cut early.
PURPOSES = "Reading lessons for grades K-5 PURPOSESMARK <!--public-copy:end:purposes--> AFTERTHEMARK"
STORAGE_OTHER = "A vault in Poughkeepsie STORAGEMARK"
SECURITY = "Quarterly penetration tests SECURITYMARK"

SHARED_ROWS = SharedRows(before_each=cache.clear)


def drawing() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (240, 80), (20, 20, 120, 255)).save(out, format="PNG")
    return out.getvalue()


@SHARED_ROWS.layer()
def executed_rows(rows):
    """An agreement through every step (with a note on a status change and a reviewer's comment), signed by both
    parties (the vendor with a drawn signature) from known addresses, executed: the full DPA and its public copy."""
    load_all_catalogues()
    district, vendor = personas.district(), personas.vendor()
    district.breach_notice_email = BREACH_EMAIL  # Article II.12(b): often a person's own address
    district.save()
    district_admin = personas.district_user(district, DistrictMembership.Role.ADMIN)
    reviewer = personas.district_user(district, DistrictMembership.Role.REVIEWER)
    vendor_admin = personas.vendor_user(vendor, ContractorMembership.Role.ADMIN)
    secrets = {district_admin.pk: activate_totp(district_admin), vendor_admin.pk: activate_totp(vendor_admin)}
    agreement = agreement_create(
        agency=district,
        contractor=vendor,
        products=[personas.product(vendor)],
        framework=factories.csf("2.0"),
        actor=district_admin,
        **TERM,
    )
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    fill_complete(agreement, actor=vendor_admin, text="EXHIBITTEXT")
    info = agreement.supplemental_information
    info.purposes, info.security_measures = PURPOSES, SECURITY
    info.storage_other, info.storage_other_description = True, STORAGE_OTHER
    info.save()
    agreement_submit(agreement=agreement, actor=vendor_admin)
    review_comment_add(agreement=agreement, author=reviewer, section="exhibit_b", body=REVIEW_COMMENT)
    agreement_request_changes(agreement=agreement, actor=district_admin, note=INTERNAL_NOTE)
    agreement_submit(agreement=agreement, actor=vendor_admin)
    agreement_approve(agreement=agreement, actor=district_admin, note=APPROVAL_NOTE)
    signing_copy_prepare(agreement_id=agreement.pk)
    for user, (name, title), ip, drawn in [
        (vendor_admin, VENDOR_SIGNER, VENDOR_IP, drawing()),
        (district_admin, DISTRICT_SIGNER, DISTRICT_IP, None),
    ]:
        copy = AgreementDocument.objects.get(agreement=agreement, kind=AgreementDocument.Kind.SIGNING_COPY)
        request = SignatureRequest(
            typed_name=name,
            title=title,
            consent_version=CURRENT_CONSENT_VERSION,
            otp_code=personas.totp_code(secrets[user.pk]),
            document_sha256=copy.sha256,
            drawing_png=drawn,
        )
        agreement_sign(agreement=agreement, user=user, request=request, ip=ip, user_agent=USER_AGENT)
    executed = agreement_execute(agreement_id=agreement.pk)
    agreement.refresh_from_db()
    return {
        "agreement": agreement,
        "executed": executed,
        "public": AgreementDocument.objects.get(agreement=agreement, kind=PUBLIC),
        "district_admin": district_admin,
        "reviewer": reviewer,
        "vendor_admin": vendor_admin,
        "emails": [district_admin.email, vendor_admin.email],
    }


@SHARED_ROWS.layer(on="executed_rows")
def posting_changed(rows):
    """Later, the district posts Exhibit C and withholds two parts of Exhibit B: a second public copy is made."""
    agreement, admin = rows["agreement"], rows["district_admin"]
    district_posting_update(agency=agreement.agency, actor=admin, post_exhibit_c=True)
    redaction_add(agreement=agreement, field="purposes", reason="Names a pilot school", actor=admin)
    redaction_add(agreement=agreement, field="storage", reason="Physical security", actor=admin)
    due = public_copies_due()
    changed = public_copy_prepare(agreement_id=agreement.pk)
    return {"changed": changed, "due_before": due}


district = SHARED_ROWS.fixture("district", "executed_rows", lambda rows: rows["agreement"].agency)
vendor = SHARED_ROWS.fixture("vendor", "executed_rows", lambda rows: rows["agreement"].contractor)
agreement = SHARED_ROWS.fixture("agreement", "executed_rows", lambda rows: rows["agreement"])
documents = SHARED_ROWS.fixture("documents", "executed_rows", lambda rows: (rows["executed"], rows["public"]))
signers = SHARED_ROWS.fixture("signers", "executed_rows", lambda rows: rows)
changed = SHARED_ROWS.fixture("changed", "posting_changed", lambda rows: rows)


def pdftotext(pdf: bytes) -> str:
    """The text as a reader copies it, on one line per run of whitespace."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def squeezed(text: str) -> str:
    """Without any whitespace: a value that a table cell wrapped (an e-mail address, say) is still found."""
    return "".join(text.split())


def images_in(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def sealed_and_intact(pdf: bytes, document_id: str) -> bool:
    seal = verify_pdf(pdf)
    return seal.trusted and seal.intact and seal.document_id == document_id and not seal.problem


# --- what each copy holds -----------------------------------------------------------------------------------------


def test_execution_seals_the_full_dpa_and_a_public_copy(agreement, documents):
    executed, public = documents
    assert agreement.status == S.EXECUTED and not agreement.public_copy_due
    assert (executed.kind, public.kind) == ("executed", "public_copy") and executed.document_id != public.document_id
    for document in (executed, public):
        pdf = bytes(document.pdf)
        assert hashlib.sha256(pdf).hexdigest() == document.sha256 and len(pdf) == document.size
        assert sealed_and_intact(pdf, document.document_id)
    assert public.public_scope == PublicScope.make(exhibit_c=False).key
    assert AgreementDocument.objects.filter(agreement=agreement, kind=PUBLIC).count() == 1
    # A second run (a retried task) stores nothing more.
    assert agreement_execute(agreement_id=agreement.pk).pk == executed.pk
    assert public_copy_prepare(agreement_id=agreement.pk).pk == public.pk


def test_the_public_copy_has_the_agreement_bill_of_rights_exhibit_b_and_the_signers(agreement, documents):
    _, public = documents
    text = pdftotext(bytes(public.pdf))
    for expected in [
        "ARTICLE I: DEFINITIONS",
        "ARTICLE IV: MISCELLANEOUS",
        "EXHIBIT A - Education Law §2-d Bill of Rights",
        "Parents' Bill of Rights",
        "EXHIBIT B",
        "SUPPLEMENTAL INFORMATION FOR CONTRACTS",
        "PURPOSESMARK",
        STORAGE_OTHER,
        SECURITY,
        "Public copy of the executed agreement",
        f"/s/ {VENDOR_SIGNER[0]}",
        f"/s/ {DISTRICT_SIGNER[0]}",
        *VENDOR_SIGNER,
        *DISTRICT_SIGNER,
        public.document_id,
        "Left out of this copy",
        "Exhibits C and C.1, which the Educational Agency does not post.",
    ]:
        assert expected in text, expected
    # The mark a vendor typed is text, shown as typed.
    assert "end:purposes--> AFTERTHEMARK" in text  # (pdftotext joins "public-" at a line's end to "copy")


def test_the_public_copy_has_no_personal_data_no_audit_trail_and_no_exhibit_c(documents, signers):
    executed, public = documents
    full, shown = pdftotext(bytes(executed.pdf)), pdftotext(bytes(public.pdf))
    private = [*signers["emails"], BREACH_EMAIL, VENDOR_IP, DISTRICT_IP, INTERNAL_NOTE, APPROVAL_NOTE]
    exhibit_c = ["EXHIBIT C - CONTRACTOR'S DATA PRIVACY AND SECURITY PLAN", "EXHIBITTEXT: ", "EXHIBIT C.1 - NIST CSF"]
    for leak in [*private, *exhibit_c, "Audit trail"]:
        assert squeezed(leak) in squeezed(full), leak  # the full copy has them, so this test can fail
        assert squeezed(leak) not in squeezed(shown), leak
    for leak in [USER_AGENT, "SignerBrowser", REVIEW_COMMENT, "203.0.113", "198.51.100"]:
        assert squeezed(leak) not in squeezed(shown), leak
    # The vendor signed with a drawing: the executed DPA shows it, the public copy does not.
    assert images_in(bytes(executed.pdf)) >= 1 and images_in(bytes(public.pdf)) == 0


def test_a_district_that_posts_exhibit_c_and_withholds_parts_gets_a_new_public_copy(agreement, documents, changed):
    executed, first = documents
    new = changed["changed"]
    assert agreement.pk in changed["due_before"]
    agreement.refresh_from_db()
    assert not agreement.public_copy_due
    assert new.pk != first.pk and new.public_scope == "exhibit-c=yes withheld=purposes,storage"
    assert sealed_and_intact(bytes(new.pdf), new.document_id)
    text = pdftotext(bytes(new.pdf))
    for expected in [
        "EXHIBIT C - CONTRACTOR'S DATA PRIVACY AND SECURITY PLAN",
        "EXHIBITTEXT: ",
        "EXHIBIT C.1 - NIST CSF",
        SECURITY,
        "Withheld by the Educational Agency under 8 NYCRR 121.3(e)",
        "Exhibit B, exclusive purposes: withheld",
        "Exhibit B, where the data is stored: withheld",
        f"/s/ {DISTRICT_SIGNER[0]}",
    ]:
        assert expected in text, expected
    for leak in ["PURPOSESMARK", "AFTERTHEMARK", STORAGE_OTHER, "Names a pilot school", INTERNAL_NOTE, VENDOR_IP]:
        assert squeezed(leak) not in squeezed(text), leak
    # The new copy is made from the source stored with the first: the district's later name is not in it.
    agreement.agency.name = "Renamed Central School District"
    agreement.agency.save()
    Redaction.objects.filter(agreement=agreement, field="storage").delete()
    again = public_copy_prepare(agreement_id=agreement.pk)
    assert "Hometown Central School District" in pdftotext(bytes(again.pdf))
    assert "Renamed" not in pdftotext(bytes(again.pdf)) and STORAGE_OTHER in pdftotext(bytes(again.pdf))
    # The executed DPA is never made again, and every earlier public copy stays.
    assert AgreementDocument.objects.get(agreement=agreement, kind="executed").sha256 == executed.sha256
    assert AgreementDocument.objects.filter(agreement=agreement, kind=PUBLIC).count() == 3


def test_a_scope_that_comes_back_is_served_by_its_earlier_copy(agreement, documents, changed, signers):
    _, first = documents
    district_posting_update(agency=agreement.agency, actor=signers["district_admin"], post_exhibit_c=False)
    Redaction.objects.filter(agreement=agreement).delete()
    assert public_copy_prepare(agreement_id=agreement.pk).pk == first.pk


# --- the public pages, files and the verification page ------------------------------------------------------------


def test_the_public_url_serves_the_public_copy_and_never_the_full_one(client, agreement, documents):
    executed, public = documents
    url = f"/public/{agreement.agency.slug}/agreements/{agreement.pk}/dpa.pdf"
    response = client.get(url)
    assert response.status_code == 200 and response.getvalue() == bytes(public.pdf) != bytes(executed.pdf)
    assert response["Content-Disposition"] == f'inline; filename="{public.filename}"'
    assert public.filename.endswith("-public-copy.pdf")
    page = client.get(f"/public/{agreement.agency.slug}/agreements/{agreement.pk}/").text
    assert public.sha256 in page and public.document_id in page and url in page
    assert executed.sha256 not in page and executed.document_id not in page
    data = json.loads(client.get(f"/public/{agreement.agency.slug}/agreements.json").getvalue())["agreements"][0]
    assert data["sealed_pdf"] == {
        "url": f"http://testserver{url}",
        "document_id": public.document_id,
        "sha256": public.sha256,
        "size": public.size,
        "exhibit_c": False,
    }
    table = client.get(f"/public/{agreement.agency.slug}/agreements.csv").getvalue().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(table)))
    assert (rows[0]["sealed_pdf_url"], rows[0]["sealed_pdf_sha256"]) == (f"http://testserver{url}", public.sha256)
    for feed in [
        f"/public/{agreement.agency.slug}/feed.atom",
        "/public/feed.atom",
        f"/public/{agreement.agency.slug}/",
        f"/public/{agreement.agency.slug}/embed/",
    ]:
        assert executed.sha256 not in client.get(feed).text


def test_the_public_url_follows_what_the_district_posts(client, agreement, documents, changed, signers):
    url = f"/public/{agreement.agency.slug}/agreements/{agreement.pk}/dpa.pdf"
    assert client.get(url).getvalue() == bytes(changed["changed"].pdf)
    page = client.get(f"/public/{agreement.agency.slug}/agreements/{agreement.pk}/").text
    assert "Exhibits C and C.1" in page and "left out of it too" in page
    # A part withheld now, whose copy is not made yet: no PDF rather than one that shows it.
    redaction_add(
        agreement=agreement, field="security_measures", reason="Too detailed", actor=signers["district_admin"]
    )
    assert client.get(url).status_code == 404
    assert "not available here yet" in client.get(f"/public/{agreement.agency.slug}/agreements/{agreement.pk}/").text
    data = json.loads(client.get(f"/public/{agreement.agency.slug}/agreements.json").getvalue())
    assert data["agreements"][0]["sealed_pdf"] is None
    assert agreement.pk in public_copies_due()
    made = public_copy_prepare(agreement_id=agreement.pk)
    assert client.get(url).getvalue() == bytes(made.pdf)
    assert SECURITY not in pdftotext(bytes(made.pdf))


def test_verify_names_the_executed_dpa_and_the_public_copy(client, agreement, documents):
    executed, public = documents
    for document, name in [(executed, "the executed DPA"), (public, "the public copy")]:
        outcome = document_verify(bytes(document.pdf))
        assert outcome.intact and outcome.document.pk == document.pk
        assert outcome.message == f"This is {name} of agreement {agreement.pk}, exactly as the portal sealed it."
        page = client.post(reverse("verify"), {"document": io.BytesIO(bytes(document.pdf))}).text
        assert "Intact." in page and f"{name} of agreement {agreement.pk}" in page and document.document_id in page
    tampered = document_verify(bytes(public.pdf) + b"\n%% appended\n")
    assert tampered.verdict == "altered" and tampered.document.pk == public.pk
    assert f"claims to be the public copy of agreement {agreement.pk}" in tampered.message


# --- who gets which copy ------------------------------------------------------------------------------------------


def test_only_the_parties_get_the_full_copy(
    client, agreement, documents, signers, other_vendor_admin, other_district_admin, with_totp
):
    executed, public = documents
    full_url = reverse("agreement_document", args=[agreement.pk, "executed"])
    public_url = reverse("agreement_document", args=[agreement.pk, "public-copy"])
    response = client.get(full_url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]  # anonymous
    for outsider in (other_vendor_admin, other_district_admin):
        with_totp(outsider)
        client.force_login(outsider)
        assert client.get(full_url).status_code == 404 and client.get(public_url).status_code == 404
    # The public URL gives the public copy to everyone, signed in or not, never the full copy.
    for person in (None, signers["reviewer"], signers["vendor_admin"]):
        client.logout()
        if person:
            client.force_login(person)
        pdf = client.get(f"/public/{agreement.agency.slug}/agreements/{agreement.pk}/dpa.pdf").getvalue()
        assert pdf == bytes(public.pdf) != bytes(executed.pdf)


def test_the_parties_page_offers_both_copies(client, agreement, documents, signers):
    executed, public = documents
    for person in (signers["district_admin"], signers["vendor_admin"], signers["reviewer"]):
        client.force_login(person)
        page = client.get(reverse("agreement_detail", args=[agreement.pk])).text
        assert reverse("agreement_document", args=[agreement.pk, "executed"]) in page
        assert reverse("agreement_document", args=[agreement.pk, "public-copy"]) in page
        assert public.document_id in page and executed.document_id in page
        got = client.get(reverse("agreement_document", args=[agreement.pk, "public-copy"]))
        assert got.getvalue() == bytes(public.pdf)


# --- the district's choice and the sweep --------------------------------------------------------------------------


def test_the_district_admin_chooses_to_post_exhibit_c(client, agreement, signers, people):
    url = reverse("district_contacts", args=[agreement.agency.slug])
    for persona in ["anonymous", "district_reviewer", "district_viewer", "vendor_admin", "other_district"]:
        client.logout()
        if people[persona]:
            client.force_login(people[persona])
        response = client.post(url, {"form": "posting", "post_exhibit_c": "on"})
        assert response.status_code in (302, 403, 404), persona
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), persona
        agreement.agency.refresh_from_db()
        assert not agreement.agency.post_exhibit_c, persona
    client.force_login(signers["district_admin"])
    page = client.get(url).text
    assert "Post Exhibit C publicly" in page
    response = client.post(url, {"form": "posting", "post_exhibit_c": "on"}, follow=True)
    assert "now posts Exhibit C" in response.text
    agreement.refresh_from_db()
    agreement.agency.refresh_from_db()
    assert agreement.agency.post_exhibit_c and agreement.public_copy_due


def test_the_documents_sweep_makes_the_due_public_copies(agreement, documents, monkeypatch):
    from agreements import tasks

    queued = []
    monkeypatch.setattr(tasks.prepare_public_copy, "delay", queued.append)
    assert tasks.documents_sweep() == 0 and queued == []
    # As the migration leaves every agreement posted before public copies existed:
    AgreementDocument.objects.filter(agreement=agreement, kind=PUBLIC).delete()
    Agreement.objects.filter(pk=agreement.pk).update(public_copy_due=True)
    assert tasks.documents_sweep() == 1 and queued == [agreement.pk]
    # What the sweep must not queue now (a render running or given up) does not take a place in the limit.
    job = RenderJob.objects.create(
        agreement=agreement, kind=PUBLIC, attempts=1, retry_after=timezone.now() + timedelta(hours=1)
    )
    assert public_copies_due() == [] and tasks.documents_sweep() == 0
    job.delete()
    made = public_copy_prepare(agreement_id=agreement.pk)
    assert made.kind == PUBLIC and sealed_and_intact(bytes(made.pdf), made.document_id)
    assert public_copies_due() == []


# --- cutting the source -------------------------------------------------------------------------------------------


def marked(part, text):
    return f"<!--public-copy:begin:{part}-->{text}<!--public-copy:end:{part}-->"


SOURCE = (
    "".join(
        marked(part, f"[{part}]")
        for part in [
            "purposes",
            "subcontractors",
            "data_transition_details",
            "storage",
            "security_measures",
            "encryption_details",
            "exhibit_c",
            "breach_notice_email",
        ]
    )
    + "<!--public-copy:omissions--> id=<!--public-copy:document-id-->"
)


def test_the_source_is_cut_by_its_marks_only():
    html = public_copy_html(SOURCE, exhibit_c=False, withheld={"purposes"}, document_id="DPA-TEST")
    assert "[purposes]" not in html and "[exhibit_c]" not in html and "[storage]" in html
    assert "[breach_notice_email]" not in html
    assert "<!--" not in html and "id=DPA-TEST" in html and "EXHIBITS C AND C.1" in html
    everything = public_copy_html(SOURCE, exhibit_c=True, withheld=(), document_id="DPA-TEST")
    assert "[exhibit_c]" in everything and "[purposes]" in everything and "Withheld" not in everything
    assert "[breach_notice_email]" not in everything  # left out of every copy


@pytest.mark.parametrize(
    ("source", "withheld"),
    [
        (SOURCE, {"exhibit_c"}),  # not a part of Exhibit B
        (SOURCE, {"students_names"}),
        (SOURCE.replace("<!--public-copy:end:storage-->", ""), set()),  # a mark lost: refuse, never leave it in
        (SOURCE + "<!--public-copy:begin:new_part-->", set()),
    ],
)
def test_a_source_or_scope_it_cannot_cut_safely_is_refused(source, withheld):
    with pytest.raises(ValueError):
        public_copy_html(source, exhibit_c=False, withheld=withheld, document_id="DPA-TEST")
