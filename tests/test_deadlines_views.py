"""The deadline pages: who may open each one, the forms end to end, hostile text, CSRF, the calendar feed, constant
query counts."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements.deadlines import services
from agreements.models import (
    Agreement,
    CalendarFeed,
    DeadlinePolicy,
    DestructionCertificate,
    DistrictClosure,
    Obligation,
    OutboundEmail,
    ParentRequest,
)
from agreements.services import agreement_transition
from exhibits.catalogues import load_all_catalogues
from vendors.models import ContractorMembership

from . import personas
from .helpers import ESCAPED, HOSTILE
from .public_helpers import make_agreement
from .shared import SharedRows
from .test_deadlines import breach_facts, certificate_facts

S = Agreement.Status
K = Obligation.Kind


# The personas and the world are built once for the tests of this module that use them (tests/shared.py); each test
# gets them as built, and what it changes is rolled back.
SHARED_ROWS = SharedRows()


@SHARED_ROWS.layer()
def deadline_people(rows):
    load_all_catalogues()
    district, vendor = personas.district(), personas.vendor()
    other_district, other_vendor = personas.other_district(), personas.other_vendor()
    return {
        "district": district,
        "vendor": vendor,
        "product": personas.product(vendor),
        "other_district": other_district,
        "other_vendor": other_vendor,
        "people": personas.people(district, vendor, other_district, other_vendor),
    }


@SHARED_ROWS.layer(on="deadline_people")
def deadline_world(rows):
    """An executed agreement with a breach report and requests, two expired ones (one with a certificate waiting),
    a closure date: one object for every page."""
    district, vendor, product, people = rows["district"], rows["vendor"], rows["product"], rows["people"]
    today = timezone.localdate()
    admin, editor = people["district_admin"], people["vendor_editor"]
    executed = make_agreement(agency=district, contractor=vendor, products=[product])
    report = services.breach_report_file(contractor=vendor, actor=editor, agreements=[executed], **breach_facts(today))
    access = services.parent_request_record(
        agency=district, actor=admin, kind="access", requester="parent", agreement=executed, received_on=today,
        details="A copy of the records.",
    )  # fmt: skip
    complaint = services.parent_request_record(
        agency=district, actor=admin, kind="complaint", requester="parent", received_on=today, details="A complaint."
    )
    recorded = services.breach_record(
        agency=district, actor=admin, agreement=executed, source="vendor_letter", learned_on=today,
        letter=SimpleUploadedFile("letter.pdf", b"%PDF-1.4 a letter"), incident_date=today - timedelta(days=3),
        pii_kinds="Names", investigation="The vendor wrote to us.",
    )  # fmt: skip
    waiting = make_agreement(agency=district, contractor=vendor, status=S.EXPIRED)
    certificate = services.destruction_certificate_file(agreement=waiting, actor=editor, **certificate_facts(today))
    ended = make_agreement(agency=district, contractor=vendor, status=S.EXPIRED)
    closure = DistrictClosure.objects.create(agency=district, date=today + timedelta(days=5), reason="Snow day")
    duty = lambda kind, **f: Obligation.objects.get(kind=kind, **f)  # noqa: E731
    world = {
        "executed": executed,
        "report": report,
        "recorded": recorded,
        "access": access,
        "complaint": complaint,
        "waiting": waiting,
        "ended": ended,
        "certificate": certificate,
        "closure": closure,
        "access_duty": duty(K.ACCESS),
        "complaint_duty": duty(K.COMPLAINT),
        "nysed_duty": duty(K.BREACH_NYSED, breach_report=report),
        "parents_duty": duty(K.BREACH_PARENTS, breach_report=report),
    }
    return {"world": world}


district = SHARED_ROWS.fixture("district", "deadline_people", lambda rows: rows["district"])
vendor = SHARED_ROWS.fixture("vendor", "deadline_people", lambda rows: rows["vendor"])
product = SHARED_ROWS.fixture("product", "deadline_people", lambda rows: rows["product"])
other_district = SHARED_ROWS.fixture("other_district", "deadline_people", lambda rows: rows["other_district"])
other_vendor = SHARED_ROWS.fixture("other_vendor", "deadline_people", lambda rows: rows["other_vendor"])
people = SHARED_ROWS.fixture("people", "deadline_people", lambda rows: rows["people"])
world = SHARED_ROWS.fixture("world", "deadline_world", lambda rows: rows["world"])

DISTRICT_STAFF = {"district_admin", "district_reviewer", "district_viewer"}
BREACH_READERS = {"district_admin", "district_reviewer"}
VENDOR_STAFF = {"vendor_admin", "vendor_editor"}
SIGNED_IN = DISTRICT_STAFF | VENDOR_STAFF | {"other_district", "other_vendor"}
ADMIN = {"district_admin"}
PERSONAS = ["anonymous", *sorted(SIGNED_IN)]


def _d(w):
    return [w["executed"].agency.slug]


def _v(w):
    return [w["executed"].contractor.slug]


# (url name, method, args from the world, the personas who may use it)
PAGES = [
    ("deadlines", "get", lambda w: [], SIGNED_IN),
    ("deadlines_calendar", "post", lambda w: [], SIGNED_IN),
    ("deadlines_calendar_revoke", "post", lambda w: [], SIGNED_IN),
    ("obligation_detail", "get", lambda w: [w["access_duty"].pk], DISTRICT_STAFF | VENDOR_STAFF),
    ("obligation_detail", "get", lambda w: [w["nysed_duty"].pk], DISTRICT_STAFF),
    ("obligation_detail", "get", lambda w: [w["complaint_duty"].pk], DISTRICT_STAFF),
    ("obligation_done", "post", lambda w: [w["access_duty"].pk], VENDOR_STAFF),
    ("obligation_done", "post", lambda w: [w["nysed_duty"].pk], ADMIN),
    ("obligation_delay", "post", lambda w: [w["parents_duty"].pk], ADMIN),
    ("obligation_remedied", "post", lambda w: [w["parents_duty"].pk], ADMIN),
    ("obligation_extend", "post", lambda w: [w["complaint_duty"].pk], ADMIN),
    # Breach reports: the district's admins and reviewers, not its viewers (access.BREACH_READERS).
    ("district_breaches", "get", _d, BREACH_READERS),
    ("district_breach", "get", lambda w: [*_d(w), w["report"].pk], BREACH_READERS),
    ("district_breach_nysed", "get", lambda w: [*_d(w), w["report"].pk], BREACH_READERS),
    ("district_breach", "get", lambda w: [*_d(w), w["recorded"].pk], BREACH_READERS),
    ("district_breach_letter", "get", lambda w: [*_d(w), w["recorded"].pk], BREACH_READERS),
    # A breach the district learned of without a report in the portal (121.10(d)): its admins record it.
    ("district_breach_new", "get", _d, ADMIN),
    ("district_breach_new", "post", _d, ADMIN),
    ("district_requests", "get", _d, DISTRICT_STAFF),
    ("district_request_new", "get", _d, ADMIN),
    ("district_request_new", "post", _d, ADMIN),
    ("district_request", "get", lambda w: [*_d(w), w["access"].pk], DISTRICT_STAFF),
    ("district_request", "post", lambda w: [*_d(w), w["access"].pk], ADMIN),
    ("district_closures", "get", _d, DISTRICT_STAFF),
    ("district_closures", "post", _d, ADMIN),
    ("district_closure_delete", "post", lambda w: [*_d(w), w["closure"].pk], ADMIN),
    ("vendor_breaches", "get", _v, VENDOR_STAFF),
    ("vendor_breach_new", "get", _v, VENDOR_STAFF),
    ("vendor_breach_new", "post", _v, VENDOR_STAFF),
    ("vendor_breach", "get", lambda w: [*_v(w), w["report"].pk], VENDOR_STAFF),
    ("agreement_destruction", "get", lambda w: [w["waiting"].pk], DISTRICT_STAFF | VENDOR_STAFF),
    # The DPA's notices (II.6(c), II.6(e), II.7, III.1): the vendor gives them; the district's admins ask for II.14.
    ("agreement_notices", "get", lambda w: [w["executed"].pk], DISTRICT_STAFF | VENDOR_STAFF),
    ("agreement_notices", "post", lambda w: [w["executed"].pk], VENDOR_STAFF),
    ("agreement_reimbursement", "post", lambda w: [w["executed"].pk], ADMIN),
    ("agreement_destruction", "post", lambda w: [w["ended"].pk], VENDOR_STAFF),
    ("destruction_decide", "post", lambda w: [w["waiting"].pk, w["certificate"].pk], ADMIN),
]


@pytest.mark.parametrize(
    ("name", "method", "args", "allowed"), PAGES, ids=[f"{p[1]}-{p[0]}-{i}" for i, p in enumerate(PAGES)]
)
def test_each_page_refuses_every_wrong_persona(client, world, people, name, method, args, allowed):
    url = reverse(name, args=args(world))
    for persona in PERSONAS:
        client.logout()
        if people[persona]:
            client.force_login(people[persona])
        response = getattr(client, method)(url, {})
        if persona == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], persona
        elif persona in allowed:
            assert response.status_code in (200, 302), (persona, response.status_code)
            assert "/accounts/" not in response.get("Location", ""), persona  # neither sign-in nor MFA set-up
        else:
            assert response.status_code == 404, (persona, response.status_code)


def test_the_pages_of_another_districts_or_vendors_objects_are_404(client, world, people, other_district, other_vendor):
    """Objects addressed through one's own organisation's URL but belonging to another are not found either."""
    theirs = make_agreement(agency=other_district, contractor=other_vendor, status=S.EXPIRED)
    client.force_login(people["district_admin"])
    report = world["report"]
    assert client.get(reverse("district_breach", args=[other_district.slug, report.pk])).status_code == 404
    assert client.get(reverse("agreement_destruction", args=[theirs.pk])).status_code == 404
    client.force_login(people["other_district"])
    assert client.get(reverse("district_breach", args=[other_district.slug, report.pk])).status_code == 404
    assert client.get(reverse("district_request", args=[other_district.slug, world["access"].pk])).status_code == 404
    client.force_login(people["other_vendor"])
    assert client.get(reverse("vendor_breach", args=[other_vendor.slug, report.pk])).status_code == 404
    # A destruction page exists only once the agreement has ended.
    client.force_login(people["vendor_editor"])
    assert client.get(reverse("agreement_destruction", args=[world["executed"].pk])).status_code == 404


# --- the journeys through the forms ---------------------------------------------------------------------------------


def test_the_vendor_files_a_breach_report_and_the_district_acts_on_it(client, catalogues, district, vendor, people):
    today = timezone.localdate()
    agreement = make_agreement(agency=district, contractor=vendor)
    client.force_login(people["vendor_editor"])
    page = client.get(reverse("vendor_breach_new", args=[vendor.slug])).text
    assert district.name in page
    facts = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in breach_facts(today).items()}
    response = client.post(reverse("vendor_breach_new", args=[vendor.slug]), {**facts, "agreements": [agreement.pk]})
    assert response.status_code == 302
    report = agreement.breach_reports.get()
    page = client.get(response["Location"]).text
    assert "the notice came in time" in page and "The earlier of the two governs" in page

    client.force_login(people["district_admin"])
    page = client.get(reverse("deadlines")).text
    assert "Report the breach to NYSED&#x27;s Chief Privacy Officer" in page
    page = client.get(reverse("district_breach", args=[district.slug, report.pk])).text
    assert "The notice came in time." in page and "1250" in page
    export = client.get(reverse("district_breach_nysed", args=[district.slug, report.pk]))
    assert export["Content-Type"] == "text/plain; charset=utf-8"
    assert export["Content-Disposition"].startswith("attachment;")
    text = export.content.decode()
    for fact in [vendor.legal_name, district.name, "1250", "Student names and reading levels", "Pat Lee",
                 f"Date of discovery: {(today - timedelta(days=2)).isoformat()}", "121.10(b)"]:  # fmt: skip
        assert fact in text, fact
    parents = Obligation.objects.get(breach_report=report, kind=K.BREACH_PARENTS)
    response = client.post(reverse("obligation_done", args=[parents.pk]), {"note": "Letters mailed to 1250 families."})
    assert response.status_code == 302
    parents.refresh_from_db()
    assert parents.status == "met" and parents.met_by == people["district_admin"]


def test_a_breach_form_missing_an_item_is_refused_and_keeps_what_was_typed(
    client, catalogues, district, vendor, people
):
    agreement = make_agreement(agency=district, contractor=vendor)
    client.force_login(people["vendor_editor"])
    response = client.post(
        reverse("vendor_breach_new", args=[vendor.slug]),
        {"agreements": [agreement.pk], "investigation": "Half a report", "records_affected": "12"},
    )
    assert response.status_code == 200 and "Half a report" in response.text
    assert not agreement.breach_reports.exists()


def test_the_district_records_a_request_a_closure_and_its_defaults(client, world, people, district):
    client.force_login(people["district_admin"])
    today = timezone.localdate()
    response = client.post(
        reverse("district_request_new", args=[district.slug]),
        {"kind": "correction", "agreement": world["executed"].pk, "requester": "teacher",
         "received_on": today.isoformat(), "details": "Wrong evaluation score.", "reference": "C-9"},
    )  # fmt: skip
    assert response.status_code == 302
    request = ParentRequest.objects.get(reference="C-9")
    assert request.obligations.get().due_on == today + timedelta(days=21)
    refused = client.post(
        reverse("district_request_new", args=[district.slug]),
        {"kind": "access", "requester": "parent", "received_on": today.isoformat(), "details": "No vendor chosen"},
    )
    assert refused.status_code == 200 and "Choose the vendor" in refused.text
    response = client.post(reverse("district_request", args=[district.slug, request.pk]), {"note": "Corrected."})
    request.refresh_from_db()
    assert request.closed_at and request.outcome == "Corrected."
    day = today + timedelta(days=9)
    client.post(reverse("district_closures", args=[district.slug]), {"form": "closure", "date": day, "reason": "Fog"})
    assert DistrictClosure.objects.filter(agency=district, date=day, reason="Fog").exists()
    client.post(
        reverse("district_closures", args=[district.slug]),
        {"form": "policy", "term_reminder_days": "60; 14, 3", "destruction_days": "45"},
    )
    policy = DeadlinePolicy.objects.get(agency=district)
    assert policy.term_reminder_days == [60, 14, 3] and policy.destruction_days == 45
    bad = client.post(
        reverse("district_closures", args=[district.slug]),
        {"form": "policy", "term_reminder_days": "soon", "destruction_days": "45"},
    )
    assert bad.status_code == 200 and "Whole numbers of days" in bad.text


def test_the_vendor_answers_an_access_request_on_its_deadlines_page(client, world, people):
    client.force_login(people["vendor_admin"])
    page = client.get(reverse("deadlines")).text
    duty = world["access_duty"]
    assert f'href="/deadlines/{duty.pk}/"' in page
    # The district's own duties are not the vendor's business.
    assert f'href="/deadlines/{world["complaint_duty"].pk}/"' not in page
    assert f'href="/deadlines/{world["nysed_duty"].pk}/"' not in page
    assert "A copy of the records." in client.get(reverse("obligation_detail", args=[duty.pk])).text
    client.post(reverse("obligation_done", args=[duty.pk]), {"note": "Export sent to the district."})
    duty.refresh_from_db()
    assert duty.status == "met" and OutboundEmail.objects.filter(template="deadline_done").exists()


def test_the_vendor_certifies_destruction_and_the_district_accepts(client, world, people):
    ended = world["ended"]
    client.force_login(people["vendor_editor"])
    today = timezone.localdate()
    facts = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in certificate_facts(today).items()}
    refused = client.post(reverse("agreement_destruction", args=[ended.pk]), {**facts})  # without "certify"
    assert refused.status_code == 200 and not ended.destruction_certificates.exists()
    response = client.post(reverse("agreement_destruction", args=[ended.pk]), {**facts, "certify": "on"})
    assert response.status_code == 302
    certificate = ended.destruction_certificates.get()
    client.force_login(people["district_admin"])
    page = client.get(reverse("agreement_destruction", args=[ended.pk])).text
    assert "Accept and close the agreement" in page
    client.post(reverse("destruction_decide", args=[ended.pk, certificate.pk]), {"decision": "accept", "note": ""})
    ended.refresh_from_db()
    assert ended.status == S.CLOSED
    assert client.get(reverse("agreement_detail", args=[ended.pk])).text.count("Return and destruction") == 1


def test_hostile_text_is_escaped_on_every_deadline_page(client, catalogues, district, vendor, people):
    today = timezone.localdate()
    district.name = HOSTILE
    district.save()
    vendor.legal_name = HOSTILE
    vendor.save()
    agreement = make_agreement(agency=district, contractor=vendor)
    editor, admin = people["vendor_editor"], people["district_admin"]
    hostile = {"pii_kinds": HOSTILE, "investigation": HOSTILE, "contact_name": HOSTILE, "contact_title": HOSTILE}
    report = services.breach_report_file(
        contractor=vendor, actor=editor, agreements=[agreement], **breach_facts(today, **hostile)
    )
    access = services.parent_request_record(
        agency=district, actor=admin, kind="access", requester="parent", agreement=agreement, received_on=today,
        details=HOSTILE, reference="R1",
    )  # fmt: skip
    DistrictClosure.objects.create(agency=district, date=today, reason=HOSTILE)
    agreement_transition(agreement=agreement, to_status=S.EXPIRED)
    services.destruction_certificate_file(
        agreement=agreement, actor=editor,
        **certificate_facts(today, signer_name=HOSTILE, data_description=HOSTILE, subcontractor_details=HOSTILE),
    )  # fmt: skip
    duty = access.obligations.get()
    pages = {
        "district_admin": [
            reverse("deadlines"),
            reverse("district_breaches", args=[district.slug]),
            reverse("district_breach", args=[district.slug, report.pk]),
            reverse("district_requests", args=[district.slug]),
            reverse("district_request", args=[district.slug, access.pk]),
            reverse("district_closures", args=[district.slug]),
            reverse("obligation_detail", args=[duty.pk]),
            reverse("agreement_destruction", args=[agreement.pk]),
            reverse("agreement_detail", args=[agreement.pk]),
        ],
        "vendor_editor": [
            reverse("deadlines"),
            reverse("vendor_breaches", args=[vendor.slug]),
            reverse("vendor_breach", args=[vendor.slug, report.pk]),
            reverse("vendor_breach_new", args=[vendor.slug]),
            reverse("obligation_detail", args=[duty.pk]),
            reverse("agreement_destruction", args=[agreement.pk]),
        ],
    }
    for persona, urls in pages.items():
        client.force_login(people[persona])
        for url in urls:
            text = client.get(url).text
            assert HOSTILE not in text and ESCAPED in text, (persona, url)
    emails = OutboundEmail.objects.filter(template__startswith="deadline_")
    assert {e.template for e in emails} >= {"deadline_breach_reported", "deadline_parent_request"}
    for email in emails:
        assert HOSTILE not in email.body_html and ESCAPED in email.body_html, email.template


def test_forms_need_the_csrf_token(world, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["vendor_editor"])
    url = reverse("vendor_breach_new", args=[world["executed"].contractor.slug])
    assert client.post(url, {}).status_code == 403
    client.force_login(people["district_admin"])
    assert client.post(reverse("obligation_done", args=[world["nysed_duty"].pk]), {"note": "x"}).status_code == 403
    assert client.post(reverse("deadlines_calendar")).status_code == 403


# --- the calendar feed ---------------------------------------------------------------------------------------------


def _issue(client):
    page = client.post(reverse("deadlines_calendar")).text
    return re.search(r'value="(http://testserver/deadlines/calendar/[^"]+\.ics)"', page).group(1)


def test_the_calendar_feed_is_secret_revocable_and_regenerable(client, world, people):
    admin = people["district_admin"]
    client.force_login(admin)
    url = _issue(client)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    stored = CalendarFeed.objects.get(user=admin)
    assert token not in stored.token_hash and len(stored.token_hash) == 64  # only the hash is kept
    assert url not in client.get(reverse("deadlines")).text  # shown once
    anonymous = Client()
    feed = anonymous.get(url)
    assert feed.status_code == 200 and feed["Content-Type"] == "text/calendar; charset=utf-8"
    body = feed.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert f"UID:obligation-{world['nysed_duty'].pk}@" in body
    assert f"UID:obligation-{world['complaint_duty'].pk}@" in body
    due = world["nysed_duty"].due_on
    assert f"DTSTART;VALUE=DATE:{due:%Y%m%d}" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n")), "lines are folded"
    # Regenerate: the old link stops working, the new one works.
    new_url = _issue(client)
    assert new_url != url and anonymous.get(url).status_code == 404 and anonymous.get(new_url).status_code == 200
    # Revoke: gone.
    client.post(reverse("deadlines_calendar_revoke"))
    assert anonymous.get(new_url).status_code == 404
    assert anonymous.get("/deadlines/calendar/not-a-token.ics").status_code == 404


def test_the_feed_shows_what_the_person_may_see_now(client, world, people):
    editor = people["vendor_editor"]
    client.force_login(editor)
    url = _issue(client)
    body = Client().get(url).content.decode()
    assert f"UID:obligation-{world['access_duty'].pk}@" in body
    assert (
        f"obligation-{world['nysed_duty'].pk}@" not in body and f"obligation-{world['complaint_duty'].pk}@" not in body
    )
    ContractorMembership.objects.filter(user=editor).delete()
    assert "BEGIN:VEVENT" not in Client().get(url).content.decode()


def test_feed_text_is_escaped_for_icalendar(client, catalogues, district, vendor, people):
    vendor.legal_name = "Tools, Inc.; Part\\2\nNew line"
    vendor.save()
    agreement = make_agreement(agency=district, contractor=vendor)
    services.parent_request_record(
        agency=district, actor=people["district_admin"], kind="access", requester="parent", agreement=agreement,
        received_on=timezone.localdate(), details="x",
    )  # fmt: skip
    client.force_login(people["vendor_editor"])
    body = Client().get(_issue(client)).content.decode().replace("\r\n ", "")
    assert "Tools\\, Inc.\\; Part\\\\2\\nNew line" in body


# --- constant query counts -----------------------------------------------------------------------------------------


def _more(world, people, n):
    today = timezone.localdate()
    district, vendor = world["executed"].agency, world["executed"].contractor
    for _ in range(n):
        services.breach_report_file(
            contractor=vendor, actor=people["vendor_editor"], agreements=[world["executed"]], **breach_facts(today)
        )
        services.parent_request_record(
            agency=district, actor=people["district_admin"], kind="access", requester="parent",
            agreement=world["executed"], received_on=today, details="More.",
        )  # fmt: skip
        DistrictClosure.objects.create(agency=district, date=today + timedelta(days=30 + _), reason="Closed")


def test_lists_cost_the_same_number_of_queries_however_long(client, world, people, django_assert_max_num_queries):
    district, vendor = world["executed"].agency.slug, world["executed"].contractor.slug
    pages = [
        (people["district_admin"], reverse("deadlines")),
        (people["district_admin"], reverse("district_breaches", args=[district])),
        (people["district_admin"], reverse("district_requests", args=[district])),
        (people["district_admin"], reverse("district_closures", args=[district])),
        (people["district_admin"], reverse("agreement_detail", args=[world["executed"].pk])),
        (people["district_admin"], reverse("agreement_destruction", args=[world["waiting"].pk])),
        (people["vendor_editor"], reverse("deadlines")),
        (people["vendor_editor"], reverse("vendor_breaches", args=[vendor])),
        (people["vendor_editor"], reverse("vendor_breach_new", args=[vendor])),
        (people["vendor_editor"], reverse("agreement_detail", args=[world["executed"].pk])),
    ]
    counts = {}
    for user, url in pages:
        client.force_login(user)
        with django_assert_max_num_queries(60) as first:
            assert client.get(url).status_code == 200
        counts[(user.pk, url)] = len(first.captured_queries)
    _more(world, people, 6)
    for _ in range(3):
        make_agreement(agency=world["executed"].agency, contractor=world["executed"].contractor)
    for user, url in pages:
        client.force_login(user)
        with django_assert_max_num_queries(counts[(user.pk, url)]):
            assert client.get(url).status_code == 200


def test_the_calendar_feed_costs_the_same_number_of_queries(client, world, people, django_assert_max_num_queries):
    client.force_login(people["district_admin"])
    url = _issue(client)
    feed = Client()
    with django_assert_max_num_queries(10) as first:
        feed.get(url)
    _more(world, people, 5)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert feed.get(url).content.decode().count("BEGIN:VEVENT") > 10


def test_the_agreement_page_shows_nothing_of_deadlines_before_execution(client, agreement, people):
    client.force_login(people["district_admin"])
    assert 'id="deadlines"' not in client.get(reverse("agreement_detail", args=[agreement.pk])).text


def test_the_deadlines_page_lists_soonest_first_and_links_to_act(client, world, people):
    client.force_login(people["district_admin"])
    response = client.get(reverse("deadlines"))
    sections = response.context["sections"]
    mine = next(s for s in sections if s["side"] == "district")
    dues = [o.due_on for o in mine["obligations"]]
    assert dues == sorted(dues) and len(dues) >= 4
    for link in ["district_breaches", "district_requests", "district_closures"]:
        assert reverse(link, args=[world["executed"].agency.slug]) in response.text


def test_a_viewer_sees_the_breach_duty_but_not_the_report(client, world, people):
    client.force_login(people["district_viewer"])
    deadlines = client.get(reverse("deadlines"))
    assert deadlines.status_code == 200
    assert reverse("district_breaches", args=[world["executed"].agency.slug]) not in deadlines.text
    duty = client.get(reverse("obligation_detail", args=[world["nysed_duty"].pk]))
    assert duty.status_code == 200 and "Report the breach to NYSED" in duty.text
    assert "admins and reviewers read the report" in duty.text
    assert reverse("district_breach", args=[world["executed"].agency.slug, world["report"].pk]) not in duty.text
    client.force_login(people["district_reviewer"])
    duty = client.get(reverse("obligation_detail", args=[world["nysed_duty"].pk]))
    assert reverse("district_breach", args=[world["executed"].agency.slug, world["report"].pk]) in duty.text


def test_certificates_cannot_be_decided_twice(client, world, people):
    client.force_login(people["district_admin"])
    url = reverse("destruction_decide", args=[world["waiting"].pk, world["certificate"].pk])
    client.post(url, {"decision": "accept"})
    response = client.post(url, {"decision": "reject", "note": "Too late"}, follow=True)
    assert "already decided" in response.text
    assert DestructionCertificate.objects.get(pk=world["certificate"].pk).status == "accepted"
