"""Breaches a district learns of without a report in the portal (issue 11.5; 8 NYCRR 121.10(d)): discovered by the
district, told by a third party, or the vendor's notice received by letter. Each opens the district's duties from the
day it learned of it, with how it learned shown on the report and on each duty; the letter is served to the district's
breach readers only."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agreements.deadlines import services
from agreements.deadlines.rules import RULES
from agreements.deadlines.services import breaches
from agreements.models import Agreement, BreachReport, Obligation
from dpa_portal.errors import ApplicationError

from .helpers import ESCAPED, HOSTILE
from .public_helpers import make_agreement

K = Obligation.Kind
S = Agreement.Status
PDF = b"%PDF-1.4\n% a scanned letter\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _letter(content=PDF, name="letter.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def executed(catalogues, district, vendor, product):
    return make_agreement(agency=district, contractor=vendor, products=[product])


def _record(agency, actor, agreement, source, learned_on, **changes):
    facts = {
        "incident_date": learned_on - timedelta(days=5),
        "pii_kinds": "Student names",
        "investigation": "What we know so far.",
        "told_by": "A parent, by telephone" if source == "third_party" else "",
        "letter": _letter() if source == "vendor_letter" else None,
    }
    facts.update(changes)
    return services.breach_record(
        agency=agency, actor=actor, agreement=agreement, source=source, learned_on=learned_on, **facts
    )


# source, days ago the district learned of it, days before that the vendor discovered it (letter only)
DATES = [
    ("district", 0, None),
    ("district", 3, None),
    ("district", 12, None),  # the report to NYSED is already late
    ("third_party", 0, None),
    ("third_party", 9, None),
    ("vendor_letter", 0, 2),  # the vendor's notice came in time
    ("vendor_letter", 1, 20),  # and late: more than 7 days after its discovery
    ("vendor_letter", 30, 0),
]


@pytest.mark.parametrize(("source", "ago", "discovered_before"), DATES)
def test_each_source_opens_the_districts_duties_from_the_day_it_learned(
    executed, district, district_admin, source, ago, discovered_before
):
    today = timezone.localdate()
    learned = today - timedelta(days=ago)
    extra = {}
    if discovered_before is not None:
        extra["discovery_date"] = learned - timedelta(days=discovered_before)
        extra["incident_date"] = extra["discovery_date"]
    report = _record(district, district_admin, executed, source, learned, **extra)
    assert report.recorded_by_district and report.district_clock_start == learned
    duties = {o.kind: o for o in report.obligations.all()}
    nysed, parents = duties[K.BREACH_NYSED], duties[K.BREACH_PARENTS]
    assert nysed.due_on == learned + timedelta(days=RULES[K.BREACH_NYSED].days)
    assert parents.due_on == learned + timedelta(days=RULES[K.BREACH_PARENTS].days)
    assert nysed.clock_started_on == parents.clock_started_on == learned
    assert nysed.source == "8 NYCRR 121.10(b), (d)"
    how = BreachReport.DISTRICT_LEARNED[source]
    assert how in nysed.due_explanation and how in parents.due_explanation
    assert nysed.is_late is (ago > RULES[K.BREACH_NYSED].days)
    if source == "vendor_letter":
        notice = duties[K.BREACH_NOTICE]
        assert notice.status == Obligation.Status.MET and timezone.localdate(notice.met_at) == learned
        assert notice.clock_started_on == extra["discovery_date"]
        assert notice.is_late is (discovered_before > RULES[K.BREACH_NOTICE].clocks[0].days)
        assert "outside the portal" in notice.met_note
    else:
        assert K.BREACH_NOTICE not in duties  # the vendor may not know yet: nothing it gave is recorded
    if source == "third_party":
        assert "A parent, by telephone" in report.learned_how


def test_only_the_districts_admins_record_a_breach_and_only_what_holds(
    executed, district, district_admin, district_reviewer, vendor_editor, other_district, other_district_admin
):
    today = timezone.localdate()
    for actor in (district_reviewer, vendor_editor, other_district_admin):
        with pytest.raises(ApplicationError):
            _record(district, actor, executed, "district", today)
    with pytest.raises(ApplicationError):  # another district's agreement
        _record(other_district, other_district_admin, executed, "district", today)
    draft = make_agreement(agency=district, contractor=executed.contractor, status=S.APPROVED)
    bad = [
        {"agreement": draft},  # not in effect: no data held
        {"learned_on": today + timedelta(days=1)},
        {"source": "portal"},  # the vendor's own report is filed by the vendor
        {"source": "third_party", "told_by": "  "},
        {"source": "vendor_letter", "letter": None},
        {"source": "vendor_letter", "letter": _letter(b"MZ\x90\x00 an executable", "letter.pdf")},
        {"incident_date": today + timedelta(days=1)},  # happened after it was discovered
        {"discovery_date": today + timedelta(days=1)},  # discovered after the district learned of it
    ]
    for changes in bad:
        args = {"agreement": executed, "source": "district", "learned_on": today, **changes}
        with pytest.raises(ApplicationError):
            _record(district, district_admin, args.pop("agreement"), args.pop("source"), args.pop("learned_on"), **args)
    assert not BreachReport.objects.exists() and not Obligation.objects.exists()


def test_a_letter_too_large_is_refused(executed, district, district_admin, monkeypatch):
    monkeypatch.setattr(breaches, "LETTER_MAX_BYTES", len(PDF) - 1)
    with pytest.raises(ApplicationError):
        _record(district, district_admin, executed, "vendor_letter", timezone.localdate())
    assert not BreachReport.objects.exists()


def test_the_letter_is_served_only_to_the_districts_breach_readers(client, catalogues, district, vendor, people):
    executed = make_agreement(agency=district, contractor=vendor)
    report = _record(
        district,
        people["district_admin"],
        executed,
        "vendor_letter",
        timezone.localdate(),
        letter=_letter(PNG, "scan.png"),
    )
    url = reverse("district_breach_letter", args=[district.slug, report.pk])
    for persona in ("district_admin", "district_reviewer"):
        client.force_login(people[persona])
        response = client.get(url)
        assert response.status_code == 200, persona
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Cache-Control"] == "private, no-store"
        page = client.get(reverse("district_breach", args=[district.slug, report.pk])).content.decode()
        assert url in page
    for persona in ("district_viewer", "vendor_admin", "vendor_editor", "other_district", "other_vendor"):
        client.force_login(people[persona])
        assert client.get(url).status_code == 404, persona
    client.logout()
    assert "/accounts/login/" in client.get(url)["Location"]
    # Nothing links to the file by address: it has none.
    with pytest.raises(ValueError):
        report.letter.url  # noqa: B018
    # A report without a letter has nothing to serve.
    found = _record(district, people["district_admin"], executed, "district", timezone.localdate())
    client.force_login(people["district_admin"])
    assert client.get(reverse("district_breach_letter", args=[district.slug, found.pk])).status_code == 404


def test_the_district_records_a_breach_through_the_form(client, catalogues, district, vendor, people):
    today = timezone.localdate()
    executed = make_agreement(agency=district, contractor=vendor)
    admin = people["district_admin"]
    client.force_login(admin)
    page = client.get(reverse("district_breaches", args=[district.slug])).content.decode()
    new = reverse("district_breach_new", args=[district.slug])
    assert new in page and "Record a breach" in page
    page = client.get(new).content.decode()
    assert 'enctype="multipart/form-data"' in page and vendor.legal_name in page
    form = {
        "source": "third_party",
        "agreement": executed.pk,
        "learned_on": (today - timedelta(days=2)).isoformat(),
        "told_by": HOSTILE,
        "incident_date": (today - timedelta(days=4)).isoformat(),
        "pii_kinds": "Names and grades",
        "investigation": HOSTILE,
    }
    bad = client.post(new, {**form, "told_by": ""})
    assert bad.status_code == 200 and "Say who told the district." in bad.content.decode()
    wrong_type = client.post(new, {**form, "source": "vendor_letter", "letter": _letter(b"hello", "letter.pdf")})
    assert "Attach the letter as a PDF, PNG or JPEG." in wrong_type.content.decode()
    assert not BreachReport.objects.exists()
    response = client.post(new, form, follow=True)
    report = BreachReport.objects.get()
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("district_breach", args=[district.slug, report.pk])
    assert "Reported to the district by a third party" in body and ESCAPED in body and HOSTILE not in body
    assert "Breach recorded. Report it to NYSED" in body
    nysed = report.obligations.get(kind=K.BREACH_NYSED)
    assert nysed.due_on == today - timedelta(days=2) + timedelta(days=RULES[K.BREACH_NYSED].days)
    duty_page = client.get(reverse("obligation_detail", args=[nysed.pk])).content.decode()
    assert "Recorded by the district: reported to the district by a third party" in duty_page
    assert "a third party told the district of the breach" in duty_page
    export = client.get(reverse("district_breach_nysed", args=[district.slug, report.pk])).content.decode()
    assert "How the district learned of it: Reported to the district by a third party" in export
    assert "Number of records affected: (not known)" in export
    # The vendor's own list of reports holds what it filed, not the district's records.
    client.force_login(people["vendor_editor"])
    assert client.get(reverse("vendor_breach", args=[vendor.slug, report.pk])).status_code == 404


def test_a_vendor_report_still_needs_every_item_of_ii_12a(executed, vendor, vendor_editor):
    """The database holds a report in the portal to every item of DPA II.12(a), whatever writes it."""
    from django.db import IntegrityError, transaction

    today = timezone.localdate()
    with pytest.raises(IntegrityError), transaction.atomic():
        BreachReport.objects.create(
            contractor=vendor, incident_date=today, discovery_date=today, pii_kinds="x", investigation="y",
            records_affected=None, contact_name="A", contact_email="a@example.org", contact_phone="1",
        )  # fmt: skip
