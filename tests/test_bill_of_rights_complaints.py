"""Issue 11.8: the Bill of Rights names where complaints go (an e-mail or a postal address, or both) before it is
published, acknowledged for an agreement or sent; item 6 never names nothing but the district."""

from datetime import date

import pytest
from django.urls import reverse

from agreements.models import Agreement, EducationalAgency
from agreements.services import agreement_send_to_vendor
from dpa_portal.errors import STATE, ApplicationError
from exhibits import bill_of_rights
from exhibits.models import BillOfRights
from exhibits.services import bill_of_rights_acknowledge, bill_of_rights_publish

from . import factories

NO_CONTACT = {"complaint_email": "", "complaint_mail_address": "", "complaint_contact_name": "", "complaint_url": ""}


def _without_contact(agency, **kwargs):
    EducationalAgency.objects.filter(pk=agency.pk).update(**{**NO_CONTACT, **kwargs})
    agency.refresh_from_db()
    return agency


def test_publishing_is_refused_until_the_district_names_where_complaints_go(db):
    agency = _without_contact(
        factories.EducationalAgencyFactory(name="Nowhere CSD"),
        complaint_contact_name="Privacy Office",
        complaint_phone="518-555-0100",
    )
    with pytest.raises(ApplicationError) as refused:
        bill_of_rights_publish(agency=agency)
    assert refused.value.code == STATE
    assert "complaints e-mail address or postal address" in str(refused.value)
    assert not BillOfRights.objects.filter(agency=agency).exists()
    with pytest.raises(ValueError):  # the text itself never falls back to "submitted to the EA at: Nowhere CSD."
        bill_of_rights.model_items(agency)


@pytest.mark.parametrize(
    "contacts, expected",
    [
        (
            {"complaint_email": "privacy@nowhere.example.org"},
            "(i) Complaints should be submitted to the EA at: by email to privacy@nowhere.example.org. (ii) ",
        ),
        (
            {"complaint_mail_address": "Privacy Office\n  1 School Street \n\nNowhere, NY 12000"},
            "(i) Complaints should be submitted to the EA at: by mail to Privacy Office, 1 School Street, "
            "Nowhere, NY 12000. (ii) ",
        ),
        (
            {
                "complaint_contact_name": "Data Protection Officer",
                "complaint_email": "dpo@nowhere.example.org",
                "complaint_mail_address": "1 School Street, Nowhere, NY 12000",
                "complaint_phone": "518-555-0100",
            },
            "(i) Complaints should be submitted to the EA at: Data Protection Officer; by email to "
            "dpo@nowhere.example.org; by mail to 1 School Street, Nowhere, NY 12000; by telephone at 518-555-0100. "
            "(ii) ",
        ),
    ],
    ids=["email", "postal address", "both, with a name and a telephone"],
)
def test_item_6_names_each_kind_of_contact(db, contacts, expected):
    agency = _without_contact(factories.EducationalAgencyFactory(name="Nowhere CSD"), **contacts)
    published = bill_of_rights_publish(agency=agency)
    item_6 = published.items[5]
    assert expected in item_6
    assert "at: Nowhere CSD" not in item_6


def test_acknowledging_is_refused_when_the_district_has_no_complaint_contact(agreement, vendor_editor):
    bill_of_rights_publish(agency=agreement.agency)
    _without_contact(agreement.agency)
    with pytest.raises(ApplicationError, match="has not said where parents' complaints go"):
        bill_of_rights_acknowledge(agreement=agreement, actor=vendor_editor)


def test_sending_is_refused_with_a_clear_message_until_the_district_names_one(agreement, district_admin, vendor_editor):
    _without_contact(agreement.agency)
    with pytest.raises(ApplicationError) as refused:
        agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    assert "Contacts and posting page" in str(refused.value)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.DRAFT

    EducationalAgency.objects.filter(pk=agreement.agency_id).update(complaint_mail_address="1 School Street")
    agreement = Agreement.objects.get(pk=agreement.pk)
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.WITH_VENDOR


def test_the_send_page_shows_the_refusal(client, people, district, agreement):
    admin = people["district_admin"]
    _without_contact(district)
    client.force_login(admin)
    response = client.post(
        reverse("agreement_send", args=[agreement.pk]), {"contact_email": "lead@vendor.example.org"}, follow=True
    )
    assert "has not said where parents&#x27; complaints go" in response.text
    assert Agreement.objects.get(pk=agreement.pk).status == Agreement.Status.DRAFT


def test_the_contacts_form_requires_an_email_or_a_postal_address(client, people, district):
    _without_contact(district)
    client.force_login(people["district_admin"])
    url = reverse("district_contacts", args=[district.slug])
    page = client.get(url)
    assert "Required: this or the complaints postal address" in page.text

    response = client.post(url, {"complaint_contact_name": "Privacy Office", "breach_notice_state": "NY"})
    assert response.status_code == 200
    assert "Give a complaints e-mail address or postal address (or both)" in response.text
    assert not district.bills_of_rights.exists()

    data = {"complaint_mail_address": "Privacy Office\n1 School Street", "breach_notice_state": "NY"}
    assert client.post(url, data).status_code == 302
    assert "by mail to Privacy Office, 1 School Street" in district.bills_of_rights.latest("version").items[5]


def test_the_dashboard_asks_for_a_complaint_contact_until_there_is_one(client, people, district):
    client.force_login(people["district_admin"])
    url = reverse("district_dashboard", args=[district.slug])
    assert "Say where parents" not in client.get(url).text
    _without_contact(district)
    response = client.get(url)
    assert "Say where parents' complaints go" in response.text
    assert reverse("district_contacts", args=[district.slug]) in response.text
    client.force_login(people["district_viewer"])
    assert "A district admin adds it" in client.get(url).text


def test_a_version_published_before_the_rule_is_renewed_with_the_contact_when_acknowledged(agreement, vendor_editor):
    agency = agreement.agency
    items = bill_of_rights.model_items(agency)
    items[5] = items[5].replace(f"by email to {agency.complaint_email}", agency.name)  # as published before 11.8
    items[0] = "The district's own first item."
    old = BillOfRights.objects.create(
        agency=agency, version=1, preamble="Its preamble.", items=items, effective_date=date(2024, 9, 1)
    )
    assert bill_of_rights.names_nowhere(old.items)

    ack = bill_of_rights_acknowledge(agreement=agreement, actor=vendor_editor)
    acknowledged = ack.bill_of_rights
    assert acknowledged.version == 2
    assert f"at: by email to {agency.complaint_email}. (ii)" in acknowledged.items[5]
    assert acknowledged.items[0] == "The district's own first item." and acknowledged.preamble == "Its preamble."
    assert not bill_of_rights.names_nowhere(acknowledged.items)
