"""The export of a portfolio (issue 12.6): what the ZIP holds for a district and for a vendor, that portfolio.json
follows its schema, and that the worker's memory does not grow with the number of agreements."""

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tracemalloc
import zipfile
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.deadlines import services as deadlines
from agreements.deadlines.models import BreachReport
from agreements.deadlines.services.ending import agreement_terminate
from agreements.models import Agreement, AgreementDocument, Signature, StatusChange
from exhibits.models import ReviewComment, SupplementalInformation
from exhibits.services import review_comment_add
from portfolio import archive_schema, exports
from portfolio.models import ExportJob
from portfolio.sheet import KEYS
from vendors.models import Subcontractor

from ..public_helpers import make_agreement, small_pdf
from ..test_deadlines import breach_facts, certificate_facts

S = Agreement.Status
HOSTILE = '<script>alert("x")</script>, "quoted"; =1+1'


# --- a small validator for the subset of JSON Schema that archive_schema uses (jsonschema is not installed) --------

_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _is(value, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def schema_errors(value, schema: dict, path: str = "$") -> list[str]:
    """type (one or a list), properties, required, additionalProperties: false, items, enum, const, pattern, and the
    formats date and date-time: every keyword that archive_schema.SCHEMA uses (checked by test_the_validator_...)."""
    errors = []
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, k) for k in kinds):
            return [f"{path}: {value!r} is not of type {kinds}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, str) and schema.get("format") == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            errors.append(f"{path}: {value!r} is not a date")
    if isinstance(value, str) and schema.get("format") == "date-time":
        try:
            assert datetime.fromisoformat(value).tzinfo is not None
        except (ValueError, AssertionError):
            errors.append(f"{path}: {value!r} is not a date-time with its offset")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{path}: {key} is missing" for key in schema.get("required", []) if key not in value]
        if schema.get("additionalProperties") is False:
            errors += [f"{path}: {key} is not in the schema" for key in value if key not in properties]
        for key, sub in properties.items():
            if key in value:
                errors += schema_errors(value[key], sub, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{path}[{n}]")
    return errors


def _keywords(schema) -> set[str]:
    if isinstance(schema, dict):
        found = set(schema)
        for key, sub in schema.items():
            if key == "properties":
                for each in sub.values():
                    found |= _keywords(each)
            elif isinstance(sub, dict):
                found |= _keywords(sub)
        return found
    return set()


def test_the_validator_knows_every_keyword_of_the_schema():
    known = {"$schema", "$id", "title", "type", "properties", "required", "additionalProperties", "items", "enum"}
    known |= {"const", "pattern", "format"}
    assert _keywords(archive_schema.SCHEMA) <= known
    assert schema_errors({"schema": "x"}, archive_schema.SCHEMA)  # and it can fail


# --- the world: a district with agreements of two vendors, a draft, signatures, breaches, requests, comments --------


PNG = b"\x89PNG\r\n\x1a\n" + b"a drawn signature"


def sign(agreement, user, side: str, ip: str, drawn: bool = False):
    document = agreement.documents.get(kind=AgreementDocument.Kind.EXECUTED)
    return Signature.objects.create(
        agreement=agreement,
        side=side,
        signer=user,
        signer_email=user.email,
        organisation=str(agreement.agency if side == "district" else agreement.contractor),
        role="admin",
        typed_name=f"{side.title()} Signer",
        title="Director",
        method=Signature.Method.DRAWN if drawn else Signature.Method.TYPED,
        drawn_image=PNG if drawn else None,
        consent_version=1,
        mfa_confirmed=True,
        ip_address=ip,
        user_agent=f"Browser of the {side}",
        document=document,
        document_sha256=document.sha256,
        signed_at=timezone.now(),
    )


@pytest.fixture
def world(media, catalogues, district, other_district, vendor, other_vendor, product, people):
    admin, vendor_admin = people["district_admin"], people["vendor_admin"]
    hosted = Subcontractor.objects.create(
        contractor=vendor, name="Zeta Hosting", purpose=HOSTILE, receives_pii=True, written_agreement=True
    )
    mail = Subcontractor.objects.create(
        contractor=vendor, name="Alpha Mail", purpose="E-mail", receives_pii=False, written_agreement=True
    )
    executed = make_agreement(
        agency=district,
        contractor=vendor,
        products=[product],
        subcontractor=hosted,
        purposes=HOSTILE,
        storage_contractor_hosted=True,
        storage_other=True,
        storage_other_description="A vault",
        correction_days=14,
    )
    executed.supplemental_information.subcontractors.add(mail)
    sign(executed, vendor_admin, "vendor", "198.51.100.7")
    sign(executed, admin, "district", "203.0.113.9", drawn=True)
    today = timezone.localdate()
    reported = deadlines.breach_report_file(
        contractor=vendor, actor=vendor_admin, agreements=[executed], **breach_facts(today)
    )
    recorded = deadlines.breach_record(
        agency=district,
        actor=admin,
        agreement=executed,
        source=BreachReport.Source.VENDOR_LETTER,
        letter=SimpleUploadedFile("letter.pdf", small_pdf(), content_type="application/pdf"),
        learned_on=today,
        incident_date=today,
        pii_kinds="Names",
        investigation="Found by our own audit.",
    )
    request = deadlines.parent_request_record(
        agency=district,
        actor=admin,
        kind="access",
        requester="parent",
        agreement=executed,
        received_on=today,
        details="A copy of the records.",
    )
    complaint = deadlines.parent_request_record(
        agency=district, actor=admin, kind="complaint", requester="parent", received_on=today, details="Unhappy."
    )
    review_comment_add(
        agreement=executed,
        author=people["district_reviewer"],
        section="exhibit_b",
        field="purposes",
        body="Internal: ask about the vault.",
        recommendation=ReviewComment.Recommendation.CHANGES,
    )
    others = make_agreement(agency=district, contractor=other_vendor, subcontractor=False)
    agreement_terminate(agreement=others, actor=admin, effective_on=today, basis="notice", reason="The pilot ended.")
    deadlines.destruction_certificate_file(agreement=others, actor=people["other_vendor"], **certificate_facts(today))
    draft = make_agreement(agency=district, contractor=vendor, products=[product], status=S.DRAFT)
    elsewhere = make_agreement(agency=other_district, contractor=vendor)
    return {
        "executed": executed,
        "others": others,
        "draft": draft,
        "elsewhere": elsewhere,
        "reported": reported,
        "recorded": recorded,
        "request": request,
        "complaint": complaint,
    }


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def build(**owner) -> ExportJob:
    job = ExportJob.objects.create(**owner)
    assert exports.export_build(job.pk) is not None
    job.refresh_from_db()
    assert job.status == ExportJob.Status.READY, job.error
    return job


def read(job) -> tuple[zipfile.ZipFile, dict]:
    archive = zipfile.ZipFile(job.file.path)
    return archive, json.loads(archive.read("portfolio.json"))


def test_a_district_archive_holds_every_agreement_with_all_it_holds(world, district, media):
    job = build(agency=district)
    assert job.items_done == job.items_total == 3
    assert job.file.name.startswith("portfolio/exports/hometown-csd-")
    assert job.size == job.file.size
    assert job.sha256 == hashlib.sha256(job.file.open("rb").read()).hexdigest()
    assert job.expires_at - job.finished_at == exports.EXPIRES_AFTER
    archive, portfolio = read(job)

    assert schema_errors(portfolio, archive_schema.SCHEMA) == []
    assert (portfolio["schema"], portfolio["version"]) == ("dpa-portal/portfolio", 1)
    assert portfolio["owner"]["slug"] == "hometown-csd"
    assert portfolio["owner"]["details"]["kind"] == "school_district"
    records = {r["id"]: r for r in portfolio["agreements"]}
    assert set(records) == {world["executed"].pk, world["others"].pk, world["draft"].pk}  # not the other district's
    record = records[world["executed"].pk]
    assert (record["status"], record["kind"], record["previous"]) == ("executed", "new", None)
    info = record["exhibit_b"]
    assert info["purposes"] == HOSTILE and info["correction_days"] == 14
    assert (info["storage_third_party_cloud"], info["storage_contractor_hosted"], info["storage_other"]) == (
        True,
        True,
        True,
    )
    assert [s["name"] for s in info["subcontractors"]] == ["Alpha Mail", "Zeta Hosting"]
    assert info["subcontractors"][1] == {
        "name": "Zeta Hosting",
        "purpose": HOSTILE,
        "receives_pii": True,
        "written_agreement": True,
    }
    assert [c["to_status"] for c in record["timeline"]][-5:] == [
        "with_vendor",
        "submitted",
        "approved",
        "vendor_signed",
        "executed",
    ]
    assert {s["side"]: s["ip_address"] for s in record["signatures"]} == {
        "vendor": "198.51.100.7",
        "district": "203.0.113.9",
    }
    assert {s["user_agent"] for s in record["signatures"]} == {"Browser of the vendor", "Browser of the district"}
    assert {b["source"] for b in record["breach_reports"]} == {"portal", "vendor_letter"}
    letter = next(b["letter"] for b in record["breach_reports"] if b["source"] == "vendor_letter")
    assert letter.startswith(f"breach-letters/{world['recorded'].pk}/") and archive.read(letter) == small_pdf()
    drawings = {s["side"]: s["drawing"] for s in record["signatures"]}
    assert drawings == {"vendor": None, "district": f"signatures/{world['executed'].pk}/district.png"}
    assert archive.read(drawings["district"]) == PNG
    assert [r["kind"] for r in record["parent_requests"]] == ["access"]
    assert [(c["body"], c["field"], c["subcontractor"]) for c in record["review_comments"]] == [
        ("Internal: ask about the vault.", "purposes", None)
    ]
    assert {d["kind"] for d in record["deadlines"]} >= {"breach_nysed", "access"}
    assert [r["kind"] for r in portfolio["parent_requests_without_agreement"]] == ["complaint"]
    ended = records[world["others"].pk]
    assert ended["status"] == "terminated" and ended["termination"]["reason"] == "The pilot ended."
    assert ended["termination"]["basis"] == "notice"
    assert ended["termination"]["effective_on"] == timezone.localdate().isoformat()
    certificate = ended["destruction_certificates"][0]
    assert (certificate["method"], certificate["status"], certificate["signer_name"]) == (
        "crypto_erase",
        "submitted",
        "Pat Lee",
    )
    assert "return_destroy" in {d["kind"] for d in ended["deadlines"]}
    assert [b["version"] for b in portfolio["owner"]["bills_of_rights"]] == list(
        district.bills_of_rights.order_by("-version").values_list("version", flat=True)
    )

    # Every stored PDF is in the ZIP, byte for byte, where the JSON says.
    stored = AgreementDocument.objects.filter(agreement__agency=district)
    assert sum(len(r["documents"]) for r in records.values()) == stored.count() == 4
    for r in records.values():
        for document in r["documents"]:
            data = archive.read(document["file"])
            assert document["file"].startswith(f"pdfs/{r['id']}/")
            assert hashlib.sha256(data).hexdigest() == document["sha256"] and len(data) == document["size"]
    assert archive.read(records[world["executed"].pk]["documents"][0]["file"]) == small_pdf()

    # The CSV: the import template's columns, one row per agreement, the six items as text, the PDF named.
    text = archive.read("agreements.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == KEYS and len(rows) == 3
    row = next(r for r in rows if r["vendor"] == "Learning Tools, Inc." and r["contract_start"] and r["pdf_file"])
    assert row["subcontractors"] == "Alpha Mail; Zeta Hosting"
    assert row["purposes"] == HOSTILE
    assert "within 14 days" in row["accuracy_challenges"]
    assert "Contractor will utilize subcontractors." in row["subcontractor_terms"]
    assert row["storage_and_security"].startswith("Using a cloud or infrastructure")
    assert "Other: A vault" in row["storage_and_security"]
    assert row["pii_kinds"] == "Student PII" and row["contract_end"] == "2027-06-30"
    assert row["pdf_file"] in archive.namelist() and row["pdf_file"].endswith("-executed.pdf")
    draft_row = next(r for r in rows if not r["pdf_file"])
    assert draft_row["vendor"] == "Learning Tools, Inc."

    readme = archive.read("README.txt").decode()
    assert '"dpa-portal/portfolio",\n                 version 1' in readme and "pdfs/<id>/" in readme
    assert archive.testzip() is None


def test_a_vendor_archive_holds_only_its_own_agreements_and_never_the_districts_records(world, vendor, media):
    job = build(contractor=vendor)
    archive, portfolio = read(job)
    assert schema_errors(portfolio, archive_schema.SCHEMA) == []
    records = {r["id"]: r for r in portfolio["agreements"]}
    # Its agreements with both districts; not the draft, not another vendor's agreement.
    assert set(records) == {world["executed"].pk, world["elsewhere"].pk}
    record = records[world["executed"].pk]
    assert record["review_comments"] is None and record["parent_requests"] is None
    assert portfolio["parent_requests_without_agreement"] is None
    assert portfolio["owner"]["bills_of_rights"] is None and portfolio["owner"]["details"] is None
    assert [b["id"] for b in record["breach_reports"]] == [world["reported"].pk]  # not the district's own record
    evidence = {s["side"]: (s["ip_address"], s["user_agent"], s["email"]) for s in record["signatures"]}
    assert evidence["district"] == (None, None, None)
    assert evidence["vendor"][0] == "198.51.100.7"
    kinds = {d["kind"] for d in record["deadlines"]}
    assert kinds and not kinds & {"breach_nysed", "breach_parents"}  # the district's duties
    body = archive.read("portfolio.json").decode() + archive.read("agreements.csv").decode("utf-8-sig")
    for secret in ("203.0.113.9", "Browser of the district", "Internal: ask about the vault", "Unhappy.", "Found by"):
        assert secret not in body
    assert "Other Edtech" not in body
    names = archive.namelist()
    assert not [n for n in names if n.startswith(f"pdfs/{world['others'].pk}/")]
    assert [n for n in names if n.startswith(f"pdfs/{world['elsewhere'].pk}/")]


def test_an_archive_is_built_once_and_a_second_click_gets_the_same_job(world, district, people, media):
    admin = people["district_admin"]
    first = exports.export_request(actor=admin, agency=district)
    assert exports.export_request(actor=admin, agency=district) == first
    assert exports.export_build(first.pk) is not None
    assert exports.export_build(first.pk) is None  # done: a second delivery of the task changes nothing
    assert exports.export_request(actor=admin, agency=district) != first  # done, so a new one
    # The database holds to one archive in the making per owner, whoever creates it.
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportJob.objects.create(agency=district)
    ExportJob.objects.create(contractor=world["executed"].contractor)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportJob.objects.create(contractor=world["executed"].contractor, status=ExportJob.Status.BUILDING)


def test_only_admins_of_the_owner_may_ask_for_an_archive(world, district, vendor, people):
    from dpa_portal.errors import ApplicationError

    for persona in ("district_reviewer", "district_viewer", "other_district"):
        with pytest.raises(ApplicationError):
            exports.export_request(actor=people[persona], agency=district)
    for persona in ("vendor_editor", "other_vendor"):
        with pytest.raises(ApplicationError):
            exports.export_request(actor=people[persona], contractor=vendor)
    assert not ExportJob.objects.exists()


def test_the_sweep_deletes_expired_archives_and_queues_dead_builds_again(world, district, media, monkeypatch):
    job = build(agency=district)
    path = job.file.path
    queued = []
    monkeypatch.setattr(exports.export_build_task, "delay", queued.append)
    assert exports.exports_sweep() == {"expired": 0, "requeued": 0}
    later = job.expires_at + exports.STALE_AFTER
    dead = ExportJob.objects.create(agency=district, status=ExportJob.Status.BUILDING, heartbeat_at=job.created_at)
    assert exports.exports_sweep(now=later) == {"expired": 1, "requeued": 1}
    job.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED and not job.file.name
    assert not (media / "portfolio" / "exports" / path.rsplit("/", 1)[-1]).exists()
    assert queued == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == ExportJob.Status.QUEUED
    assert exports.exports_sweep(now=later) == {"expired": 0, "requeued": 0}  # each thing once


def test_a_failed_build_says_so_and_leaves_no_file(world, district, media, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "_write_pdf", broken)
    job = ExportJob.objects.create(agency=district)
    assert exports.export_build(job.pk) is None
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and "could not be built" in job.error
    assert not list((media / "portfolio" / "exports").iterdir())


def test_the_export_task_is_registered_with_the_worker():
    """In a fresh process, as the worker starts: Celery autodiscovers portfolio.tasks, which imports the export."""
    code = (
        "import django; django.setup(); from dpa_portal.celery import app; app.loader.import_default_modules(); "
        "print(sorted(n for n in app.tasks if n.startswith('portfolio.')))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dpa_portal.settings"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert "'portfolio.export_build'" in out and "'portfolio.exports_sweep'" in out, out


# --- memory: the worker holds a chunk of agreements, never the portfolio ---------------------------------------------


def clone(template: Agreement, n: int) -> None:
    """n copies of an executed agreement with its Exhibit B and subcontractors, timeline and two PDFs, in a few
    queries (bulk_create): the export reads them as it reads any agreement."""
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Agreement._meta.concrete_fields
        if f.attname not in ("id", "created_at", "updated_at")
    }
    made = Agreement.objects.bulk_create([Agreement(**fields) for _ in range(n)])
    info = template.supplemental_information
    info_fields = {
        f.attname: getattr(info, f.attname)
        for f in SupplementalInformation._meta.concrete_fields
        if f.attname not in ("id", "agreement_id", "updated_at")
    }
    infos = SupplementalInformation.objects.bulk_create(
        [SupplementalInformation(agreement=a, **info_fields) for a in made]
    )
    subs = list(info.subcontractors.all())
    Through = SupplementalInformation.subcontractors.through
    Through.objects.bulk_create([Through(supplementalinformation=i, subcontractor=s) for i in infos for s in subs])
    Products = Agreement.products.through
    Products.objects.bulk_create([Products(agreement=a, product=p) for a in made for p in template.products.all()])
    changes = list(template.status_changes.all())
    StatusChange.objects.bulk_create(
        [
            StatusChange(agreement=a, from_status=c.from_status, to_status=c.to_status, note=c.note)
            for a in made
            for c in changes
        ]
    )
    pdf = small_pdf()
    digest = hashlib.sha256(pdf).hexdigest()
    AgreementDocument.objects.bulk_create(
        [
            AgreementDocument(
                agreement=a,
                kind=kind,
                public_scope=scope,
                pdf=pdf,
                sha256=digest,
                size=len(pdf),
                document_id=f"DPA-MEM{a.pk:06d}{kind[:2].upper()}",
            )
            for a in made
            for kind, scope in (("executed", ""), ("public_copy", "exhibit-c=no withheld="))
        ]
    )


def peak_of_export(agency) -> int:
    job = ExportJob.objects.create(agency=agency)
    tracemalloc.start()
    try:
        exports.export_build(job.pk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.READY, job.error
    return peak


def test_worker_memory_does_not_grow_with_the_number_of_agreements(catalogues, district, vendor, product, media):
    template = make_agreement(agency=district, contractor=vendor, products=[product])
    clone(template, 49)
    small = peak_of_export(district)
    clone(template, 150)
    large = peak_of_export(district)
    job = ExportJob.objects.latest("pk")
    assert job.items_total == 200
    with zipfile.ZipFile(job.file.path) as archive:
        assert len(json.loads(archive.read("portfolio.json"))["agreements"]) == 200
        assert len([n for n in archive.namelist() if n.startswith("pdfs/")]) == 400
    # Four times the agreements (and the PDFs): the peak stays within a small margin of the first one's (it would
    # grow about fourfold if the worker held the portfolio).
    assert large < small * 1.25, (small, large)


def test_the_export_makes_no_query_per_agreement_but_one_per_file(catalogues, district, vendor, product, media):
    """Queries come per chunk of agreements (the prefetches), per file (each PDF alone) and per progress update."""
    template = make_agreement(agency=district, contractor=vendor, products=[product])

    def queries_of_an_export() -> int:
        job = ExportJob.objects.create(agency=district)
        with CaptureQueriesContext(connection) as queries:
            exports.export_build(job.pk)
        return len(queries)

    one = queries_of_an_export()  # 1 agreement, 2 PDFs
    clone(template, 29)
    thirty = queries_of_an_export()  # 30 agreements, 60 PDFs: one chunk
    assert thirty - one == 29 * 2 + 30 // exports.PROGRESS_EVERY
