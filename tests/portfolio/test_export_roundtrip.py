"""The round trip of issue 12.6: exporting a district and importing the archive into an empty portal gives the same
public pages.

The district's executed and expired agreements (Exhibit B with subcontractors, every storage option, both kinds of
data, an agreement that runs until terminated, one that uses no subcontractors, a part withheld from the public) are
exported; then the portal is emptied in the test's transaction (TRUNCATE of districts, contractors and agreements,
with everything that hangs on them; the users and the NIST catalogues stay, as on a new portal); the district is set
up again from the archive's owner (its details and Bills of Rights), and each agreement is imported as the import
does it: agreements.outside.outside_agreement_record with portfolio.archive_schema.archive_terms and the signed PDF
from the ZIP, then the parts withheld (archive_redactions) in the same transaction. The district's public list and
each agreement's public page are compared, text only, before and after.

What differs, by design, and is normalised here (each is asserted, so that nothing else may differ):
- the agreements' numbers, in links and in the pages;
- the provenance: an imported agreement says "Signed outside the portal. The district uploaded it on DATE." (on its
  page and in the list), as every agreement the portal did not seal must (issue 12.3);
- "The signed agreement" section: the portal's own agreement links its sealed public copy (document number and
  SHA-256); the imported one has no public copy (the portal sealed nothing; the uploaded PDF is the parties' copy,
  agreements.outside) and says so.

What this district does not have, and would differ after an import (OutsideTerms has no place for it):
- an agreement terminated early or closed (its data destruction certified) comes back executed or expired, as its
  dates say: its page would say "In effect" or "Expired" rather than "Terminated" or "Ended, data destroyed";
- an amendment or a renewal comes back as a new agreement, without the link to the one it followed (the notice
  "This agreement renews an earlier one" and the history list);
- "Posted on" is the day of the import, not the day the agreement was executed (here both are today).
"""

import hashlib
import io
import re
import zipfile
from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from agreements.models import Agreement, DistrictMembership, EducationalAgency
from agreements.outside import outside_agreement_record
from agreements.services import agreement_transition
from exhibits.models import BillOfRights, SupplementalInformation
from exhibits.public.services import redaction_add
from exhibits.services import bill_of_rights_publish
from portfolio import exports
from portfolio.archive_schema import archive_importable, archive_redactions, archive_signed_document, archive_terms
from portfolio.models import ExportJob
from vendors.models import Contractor, Subcontractor

from .. import factories
from ..helpers import with_totp
from ..public_helpers import make_agreement, store_public_copy

S = Agreement.Status
W = SupplementalInformation.SubcontractorUse


@pytest.fixture
def portfolio(catalogues, district, district_admin, vendor, other_vendor, product, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    district.complaint_contact_name = "Office of the Data Protection Officer"
    district.complaint_email = "privacy@hometown.example.org"
    district.save()
    bill_of_rights_publish(agency=district)
    hosting = Subcontractor.objects.create(
        contractor=vendor,
        name="Cloud Host Co",
        purpose="Hosting & <backups>",
        receives_pii=True,
        written_agreement=True,
    )
    mailer = Subcontractor.objects.create(
        contractor=vendor, name="Mail Relay Ltd", purpose="Sends e-mail", receives_pii=False, written_agreement=True
    )
    made = [
        make_agreement(
            agency=district,
            contractor=vendor,
            products=[product, factories.ProductFactory(contractor=vendor, name="Math Coach", slug="math-coach")],
            subcontractor=hosting,
            storage_contractor_hosted=True,
            storage_other=True,
            storage_other_description="Backups on tape in a vault",
            receives_appr_data=True,
            correction_days=10,
        ),
        make_agreement(
            agency=district,
            contractor=other_vendor,
            subcontractor=False,
            subcontractor_use=W.WILL_NOT_USE,
            purposes="Quizzes.\n\nAnd grading.",
            storage_third_party_cloud=False,
            storage_contractor_hosted=True,
        ),
    ]
    made[0].supplemental_information.subcontractors.add(mailer)
    # A part the district withholds from the public (121.3(e)), with its reason: withheld again after the import.
    redaction_add(
        agreement=made[1],
        field="security_measures",
        reason="It would describe our network.",
        actor=district_admin,
    )
    store_public_copy(made[1])  # the public copy for what the district now posts, as the documents sweep makes it
    # An agreement whose term ended: expired in the portal, and expired again when imported (the import reads it
    # from the dates).
    ended = make_agreement(agency=district, contractor=factories.ContractorFactory(legal_name="Old Tools LLC"))
    Agreement.objects.filter(pk=ended.pk).update(contract_start=date(2024, 7, 1), contract_end=date(2025, 6, 30))
    ended.refresh_from_db()
    agreement_transition(agreement=ended, to_status=S.EXPIRED)
    made.append(ended)
    # One that runs until terminated, with the date the district next reviews it.
    running = make_agreement(agency=district, contractor=factories.ContractorFactory(legal_name="Forever Apps"))
    Agreement.objects.filter(pk=running.pk).update(
        contract_end=None, runs_until_terminated=True, review_on=date(2027, 3, 1)
    )
    made.append(running)
    return made


def public_text(url: str, client) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    main = re.search(r"<main\b.*?</main>", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", main.group(0) if main else html)
    return " ".join(text.split())


def links(url: str, client) -> list[str]:
    """The links of the page's main part; of an agreement's page, those before "The signed agreement" section."""
    html = client.get(url).content.decode()
    main = re.search(r"<main\b.*?</main>", html, flags=re.S).group(0)
    main = main.split('<section id="signed"', 1)[0]
    return re.findall(r'href="([^"]+)"', main)


def pages(client, slug: str, pks: list[int]) -> dict:
    cache.clear()
    district_url = reverse("public_district", args=[slug])
    found = {"district": public_text(district_url, client), "district_links": links(district_url, client)}
    for n, pk in enumerate(pks):
        url = reverse("public_agreement", args=[slug, pk])
        found[f"agreement {n}"] = public_text(url, client)
        found[f"{n}_links"] = links(url, client)
    return found


def empty_the_portal():
    """What a new portal holds: no district, contractor or agreement, nor anything hanging on them (in the test's
    transaction, rolled back after it). Pending checks of deferred constraints are run first: PostgreSQL refuses to
    truncate a table with pending trigger events."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        tables = [m._meta.db_table for m in (Agreement, Contractor, EducationalAgency)]
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert not Agreement.objects.exists() and not Contractor.objects.exists()


def district_from(owner: dict, admin) -> EducationalAgency:
    agency = EducationalAgency.objects.create(
        name=owner["name"], slug=owner["slug"], website=owner["website"], **owner["details"]
    )
    for bill in owner["bills_of_rights"]:
        BillOfRights.objects.create(agency=agency, **bill)
    DistrictMembership.objects.create(agency=agency, user=admin, role=DistrictMembership.Role.ADMIN)
    return agency


def contractor_for(vendor: dict) -> Contractor:
    """The import matches or creates the vendor by its name (portfolio.matching); on an empty portal: created."""
    found = Contractor.objects.filter(legal_name=vendor["legal_name"]).first()
    return found or Contractor.objects.create(
        legal_name=vendor["legal_name"], slug=vendor["slug"], website=vendor["website"]
    )


def test_exporting_a_district_and_importing_the_archive_into_an_empty_portal_gives_the_same_public_pages(
    client, portfolio, district, people
):
    slug = district.slug
    before = pages(client, slug, [a.pk for a in portfolio])
    copies = [a.documents.filter(kind="public_copy").latest("pk") for a in portfolio]

    job = ExportJob.objects.create(agency=district)
    assert exports.export_build(job.pk)
    job.refresh_from_db()
    data = job.file.open("rb").read()
    archive = zipfile.ZipFile(io.BytesIO(data))
    import json

    exported = json.loads(archive.read("portfolio.json"))
    records = {r["id"]: r for r in exported["agreements"]}
    assert all(archive_importable(r) for r in records.values())

    admin = with_totp(factories.UserFactory(first_name="Ada", last_name="Archivist"))
    empty_the_portal()
    agency = district_from(exported["owner"], admin)
    imported = []
    for old in portfolio:
        record = records[old.pk]
        signed = archive_signed_document(record)
        pdf = archive.read(signed["file"])
        assert hashlib.sha256(pdf).hexdigest() == signed["sha256"]
        agreement = outside_agreement_record(
            agency=agency,
            actor=admin,
            terms=archive_terms(record, contractor=contractor_for(record["vendor"])),
            pdf=pdf,
            pdf_filename=signed["file"].rsplit("/", 1)[-1],
            source_key=hashlib.sha256(f"{slug}:{record['id']}".encode()).hexdigest(),
        )
        for field, reason in archive_redactions(record):
            redaction_add(agreement=agreement, field=field, reason=reason, actor=admin)
        imported.append(agreement)
    assert [a.status for a in imported] == [a.status for a in portfolio]  # executed, executed, expired, executed
    after = pages(client, slug, [a.pk for a in imported])

    # Exhibit B came across whole: every field, and the subcontractors with their purposes and flags.
    for old, new in zip(portfolio, imported, strict=True):
        assert exports._exhibit_b(_loaded(new)) == records[old.pk]["exhibit_b"]

    # The pages say what was built above (so that equal pages mean something)...
    assert set(before) == set(after) and len(before) == 2 + 2 * len(portfolio)
    first = before["agreement 0"]
    for said in ("Cloud Host Co", "Mail Relay Ltd", "Backups on tape in a vault", "within 10 days", "Math Coach"):
        assert said in first and said in after["agreement 0"], said
    assert "Contractor will not utilize subcontractors." in before["agreement 1"]
    assert "It would describe our network." in before["agreement 1"]
    assert "It would describe our network." in after["agreement 1"]
    assert "Expired" in before["agreement 2"] and "Expired" in after["agreement 2"]
    # ... and the signed agreement: the portal's sealed public copy before, the provenance after.
    for n, copy in enumerate(copies):
        assert copy.document_id in before[f"agreement {n}"] and copy.sha256 in before[f"agreement {n}"]
        assert "The portal has no copy of it to publish" in after[f"agreement {n}"]

    # The pages, with the agreements' numbers and the provenance set aside (see the module's docstring).
    numbers = {str(old.pk): "N" for old in portfolio} | {str(new.pk): "N" for new in imported}
    outside = "Signed outside the portal. The district uploaded it on "
    for key in before:
        if key.endswith("links"):
            assert _unnumbered(before[key], numbers) == _unnumbered(after[key], numbers), key
            continue
        old_text, new_text = before[key], after[key]
        assert outside not in old_text
        if key == "district":
            assert new_text.count("Signed outside the portal.") == len(portfolio)
            new_text = new_text.replace(" Signed outside the portal.", "")
        else:
            assert new_text.count(outside) == 2  # beside the status, and as the signed agreement's provenance
            old_text, new_text = _without_signed_section(old_text), _without_signed_section(new_text)
            new_text = re.sub(r" Signed " + re.escape(outside) + r"[A-Z][a-z]+\.? \d{1,2}, \d{4}\.", "", new_text)
        assert _unnumbered(old_text, numbers) == _unnumbered(new_text, numbers), (key, _diff(old_text, new_text))


def _diff(old: str, new: str) -> list[str]:
    import difflib

    return [d for d in difflib.ndiff(old.split(" "), new.split(" ")) if d[:1] in "+-"]


def _loaded(agreement):
    return Agreement.objects.select_related("supplemental_information").get(pk=agreement.pk)


def _unnumbered(value, numbers: dict):
    if isinstance(value, list):
        return [_unnumbered(v, numbers) for v in value]
    return re.sub(r"/(\d+)/", lambda m: f"/{numbers.get(m.group(1), m.group(1))}/", value)


def _without_signed_section(text: str) -> str:
    """The page up to "The signed agreement" section's heading (the last section of the page): see the docstring."""
    head, _, _ = text.rpartition("The signed agreement")
    assert head, text
    return head
