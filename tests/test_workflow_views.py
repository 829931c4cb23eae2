"""The workflow's pages: who may open each one, hostile text, nothing typed is lost, constant query counts."""

import pytest
from django.urls import reverse

from agreements.models import Agreement
from agreements.services import (
    agreement_request_changes,
    agreement_send_to_vendor,
    agreement_start,
    agreement_submit,
    agreement_withdraw,
)
from exhibits.answers import EXHIBIT_C_FIELDS, agreement_answers, carried_over
from exhibits.models import ReviewComment
from exhibits.services import review_comment_add

from . import factories
from .helpers import ESCAPED, HOSTILE, TERM, fill_complete, with_totp


@pytest.fixture
def sent(agreement, people):
    agreement_send_to_vendor(agreement=agreement, actor=people["district_admin"])
    return agreement


DISTRICT_STAFF = {"district_admin", "district_reviewer", "district_viewer"}
VENDOR_STAFF = {"vendor_admin", "vendor_editor"}
# (url name, method, kwargs kind, the personas who may use it)
PAGES = [
    ("district_dashboard", "get", "district", DISTRICT_STAFF),
    ("agreement_new", "get", "district", {"district_admin"}),
    ("agreement_new", "post", "district", {"district_admin"}),
    ("district_contacts", "get", "district", {"district_admin"}),
    ("district_contacts", "post", "district", {"district_admin"}),
    ("vendor_dashboard", "get", "vendor", VENDOR_STAFF),
    ("agreement_detail", "get", "agreement", DISTRICT_STAFF | VENDOR_STAFF),
    ("agreement_send", "post", "agreement", {"district_admin"}),
    ("agreement_term", "post", "agreement", {"district_admin"}),
    ("agreement_term_change", "post", "agreement", {"district_admin"}),
    ("agreement_term_review", "post", "agreement", {"district_admin"}),
    ("agreement_request_changes", "post", "agreement", {"district_admin"}),
    ("agreement_approve", "post", "agreement", {"district_admin"}),
    ("agreement_withdraw", "post", "agreement", {"district_admin"}),
    ("agreement_terminate", "post", "agreement", {"district_admin"}),
    ("agreement_carry_over", "post", "agreement", {"district_admin"}),
    ("agreement_comments", "post", "agreement", {"district_admin", "district_reviewer"}),
    ("agreement_comment_state", "post", "agreement", {"district_admin", "district_reviewer"}),
    ("agreement_review", "get", "agreement", DISTRICT_STAFF),
    ("agreement_submit", "post", "agreement", VENDOR_STAFF),
    ("agreement_submit_carried", "post", "agreement", VENDOR_STAFF),  # with the carried answers confirmed (16.2)
    ("agreement_reuse", "post", "agreement", VENDOR_STAFF),
    ("exhibit_a_ack", "post", "agreement", VENDOR_STAFF),
    ("exhibit_b", "get", "agreement", VENDOR_STAFF),
    ("exhibit_b", "post", "agreement", VENDOR_STAFF),
    ("exhibit_c", "get", "agreement", VENDOR_STAFF),
    ("exhibit_c", "post", "agreement", VENDOR_STAFF),
    ("exhibit_c1", "get", "agreement", VENDOR_STAFF),
    ("exhibit_subcontractors", "get", "agreement", VENDOR_STAFF),
    ("exhibit_subcontractors", "post", "agreement", VENDOR_STAFF),
]
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


def url_for(name, kind, agreement):
    if kind == "district":
        return reverse(name, args=[agreement.agency.slug])
    if kind == "vendor":
        return reverse(name, args=[agreement.contractor.slug])
    return reverse(name.replace("agreement_comments", "agreement_comment"), args=[agreement.pk])


@pytest.mark.parametrize(("name", "method", "kind", "allowed"), PAGES, ids=[f"{p[1]}-{p[0]}" for p in PAGES])
def test_each_page_refuses_every_wrong_persona(client, sent, people, name, method, kind, allowed):
    url = url_for(name, kind, sent)
    for persona in PERSONAS:
        client.logout()
        if people[persona]:
            client.force_login(people[persona])
        response = getattr(client, method)(url, {})
        if persona == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], persona
        elif persona in allowed:
            assert response.status_code in (200, 302), (persona, response.status_code)
            assert "/accounts/login/" not in response.get("Location", ""), persona
        else:
            assert response.status_code == 404, (persona, response.status_code)


def test_a_vendor_does_not_see_a_draft(client, agreement, people):
    client.force_login(people["vendor_editor"])
    assert client.get(reverse("agreement_detail", args=[agreement.pk])).status_code == 404
    assert agreement.agency.name not in client.get(reverse("vendor_dashboard", args=[agreement.contractor.slug])).text


def test_a_vendor_sees_only_what_was_sent_to_it_and_only_those_products(client, people, district, vendor, catalogues):
    """Withdrawn before sending: the district's alone, like a draft. Sent, then withdrawn: in the vendor's record."""
    admin = people["district_admin"]

    def start(product_name):
        return agreement_start(
            agency=district,
            actor=admin,
            contractor=vendor,
            product_name=product_name,
            framework=factories.csf("1.1"),
            **TERM,
        )

    never_sent = start("Secret Pilot")
    agreement_withdraw(agreement=never_sent, actor=admin, note="Changed our mind before asking the vendor.")
    draft = start("Draft Only")
    sent_then_withdrawn = start("Sent Reader")
    agreement_send_to_vendor(agreement=sent_then_withdrawn, actor=admin)
    agreement_withdraw(agreement=sent_then_withdrawn, actor=admin)
    client.force_login(people["vendor_editor"])
    page = client.get(reverse("vendor_dashboard", args=[vendor.slug]))
    assert page.status_code == 200
    assert [a["pk"] for a in page.context["page"].object_list] == [sent_then_withdrawn.pk]
    # The product menu suggests only what the vendor sees, whatever is typed (issue 13: searched as you type).
    for typed in ["", "e", "Secret", "Draft"]:
        menu = client.get(reverse("vendor_suggest_products", args=[vendor.slug]), {"product": typed}).text
        assert "Secret Pilot" not in menu and "Draft Only" not in menu
    assert client.get(reverse("vendor_suggest_products", args=[vendor.slug])).context["names"] == ["Sent Reader"]
    assert "Secret Pilot" not in page.text and "Draft Only" not in page.text and "Sent Reader" in page.text
    assert {s: n for s, _, n in page.context["counts"]}["withdrawn"] == 1
    for hidden in (never_sent, draft):
        assert client.get(reverse("agreement_detail", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("agreement_detail", args=[sent_then_withdrawn.pk])).status_code == 200
    assert (
        client.get(reverse("vendor_dashboard", args=[vendor.slug]), {"status": "withdrawn"})
        .context["page"]
        .paginator.count
        == 1
    )


def test_hostile_text_is_escaped_everywhere_it_appears(client, sent, people):
    vendor_user = people["vendor_editor"]
    client.force_login(vendor_user)
    fields = {
        "purposes": HOSTILE,
        "security_measures": HOSTILE,
        "encryption_details": HOSTILE,
        "data_transition_details": HOSTILE,
        "storage_other": "on",
        "storage_other_description": HOSTILE,
        "subcontractor_use": "will_use",
        "receives_student_pii": "on",
    }
    assert client.post(reverse("exhibit_b", args=[sent.pk]), fields).status_code == 302
    plan = dict.fromkeys(EXHIBIT_C_FIELDS, HOSTILE)
    assert client.post(reverse("exhibit_c", args=[sent.pk]), plan).status_code == 302
    client.post(reverse("exhibit_subcontractors", args=[sent.pk]), {"add": "1", "name": HOSTILE, "purpose": HOSTILE})
    sent.agency.name = HOSTILE
    sent.agency.save()
    sent.contractor.legal_name = HOSTILE
    sent.contractor.save()
    ReviewComment.objects.create(agreement=sent, section="exhibit_b", body=HOSTILE, author=people["district_admin"])
    pages = [
        reverse("agreement_detail", args=[sent.pk]),
        reverse("exhibit_b", args=[sent.pk]),
        reverse("exhibit_subcontractors", args=[sent.pk]),
        reverse("vendor_dashboard", args=[sent.contractor.slug]),
    ]
    for url in pages:
        text = client.get(url).text
        assert HOSTILE not in text and ESCAPED in text, url
    client.force_login(people["district_admin"])
    for url in [reverse("agreement_detail", args=[sent.pk]), reverse("district_dashboard", args=[sent.agency.slug])]:
        text = client.get(url).text
        assert HOSTILE not in text and ESCAPED in text, url


def test_a_failed_save_keeps_what_was_typed(client, sent, people):
    client.force_login(people["vendor_editor"])
    typed = "A long answer the vendor spent twenty minutes on"
    response = client.post(reverse("exhibit_b", args=[sent.pk]), {"purposes": typed, "storage_other": "on"})
    assert response.status_code == 200
    assert typed in response.text and "Describe the other storage option." in response.text
    sent.supplemental_information.refresh_from_db()
    assert sent.supplemental_information.purposes == ""  # nothing half-saved


def test_a_draft_saves_without_being_complete(client, sent, people):
    client.force_login(people["vendor_editor"])
    response = client.post(reverse("exhibit_c", args=[sent.pk]), {"training": "Annual training"})
    assert response.status_code == 302
    sent.security_plan.refresh_from_db()
    assert sent.security_plan.training == "Annual training"


def test_c1_formset_saves_every_category(client, sent, people):
    client.force_login(people["vendor_editor"])
    responses = list(sent.csf_responses.order_by("category__position"))
    data = {"form-TOTAL_FORMS": len(responses), "form-INITIAL_FORMS": len(responses)}
    for i, r in enumerate(responses):
        data.update({f"form-{i}-id": r.pk, f"form-{i}-narrative": f"Control {i}", f"form-{i}-tier": (i % 4) + 1})
    assert client.post(reverse("exhibit_c1", args=[sent.pk]), data).status_code == 302
    assert sorted(sent.csf_responses.values_list("narrative", flat=True)) == sorted(f"Control {i}" for i in range(23))
    data["form-0-tier"] = 9
    response = client.post(reverse("exhibit_c1", args=[sent.pk]), {**data, "form-1-narrative": "kept"})
    assert response.status_code == 200 and "kept" in response.text


def test_c1_rows_of_another_agreement_cannot_be_written(client, sent, people, other_district, vendor):
    admin = factories.DistrictMembershipFactory(agency=other_district).user
    other = agreement_start(
        agency=other_district, actor=admin, contractor=vendor, product_name="Other", framework=sent.framework
    )
    foreign = other.csf_responses.first()
    client.force_login(people["vendor_editor"])
    data = {"form-TOTAL_FORMS": 1, "form-INITIAL_FORMS": 1, "form-0-id": foreign.pk, "form-0-narrative": "Hijack"}
    client.post(reverse("exhibit_c1", args=[sent.pk]), data)
    foreign.refresh_from_db()
    assert foreign.narrative == ""


def test_submit_button_refuses_an_incomplete_agreement_with_a_message(client, sent, people):
    client.force_login(people["vendor_editor"])
    response = client.post(reverse("agreement_submit", args=[sent.pk]), follow=True)
    assert "not complete yet" in response.text
    sent.refresh_from_db()
    assert sent.status == Agreement.Status.WITH_VENDOR


def test_an_illegal_step_is_a_message_not_an_error(client, sent, people):
    client.force_login(people["district_admin"])
    response = client.post(reverse("agreement_approve", args=[sent.pk]), follow=True)
    assert response.status_code == 200 and "cannot become approved" in response.text


def test_a_reviewer_comments_on_a_category_while_the_agreement_is_in_review(client, sent, people):
    client.force_login(people["district_reviewer"])
    url = reverse("agreement_comment", args=[sent.pk])
    category = sent.csf_responses.select_related("category").first().category
    response = client.post(url, {"section": "exhibit_c1", "category": category.pk, "body": "Which tier?"})
    assert response["Location"] == reverse("agreement_detail", args=[sent.pk]) + f"#csf-{category.identifier}"
    comment = ReviewComment.objects.get(agreement=sent)
    assert (comment.category, comment.body, comment.author) == (category, "Which tier?", people["district_reviewer"])
    response = client.post(url, {"section": "general", "body": ""}, follow=True)
    assert "Write a comment before adding it." in response.text and ReviewComment.objects.count() == 1
    Agreement.objects.filter(pk=sent.pk).update(status=Agreement.Status.APPROVED)
    assert client.post(url, {"section": "general", "body": "Too late"}).status_code == 404
    assert ReviewComment.objects.count() == 1


def test_the_vendor_sees_the_comments_an_admin_sent_back_and_never_a_recommendation(client, sent, people):
    """The district reviews among itself; an admin's request for changes is what shows the comments to the vendor."""
    fill_complete(sent, actor=people["vendor_editor"])
    agreement_submit(agreement=sent, actor=people["vendor_editor"])
    reviewer, admin, editor = people["district_reviewer"], people["district_admin"], people["vendor_editor"]
    review_comment_add(agreement=sent, author=reviewer, section="exhibit_b", body="Name the hosting region.")
    review_comment_add(
        agreement=sent, author=reviewer, section="general", body="Fine once B is fixed.", recommendation="changes"
    )
    pages = [reverse("agreement_detail", args=[sent.pk]), reverse("exhibit_b", args=[sent.pk])]
    client.force_login(editor)
    for url in pages[:1]:  # while the district reviews (the exhibit pages are closed to the vendor then)
        text = client.get(url).text
        assert "Name the hosting region." not in text and "Fine once B is fixed." not in text, url
    client.force_login(admin)
    assert "Recommend changes" in client.get(pages[0]).text  # the admin reads the reviewer's advice
    agreement_request_changes(agreement=sent, actor=admin, note="See the comment on Exhibit B.")
    review_comment_add(agreement=sent, author=reviewer, section="exhibit_c", body="An afterthought, not sent.")
    client.force_login(editor)
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200 and "Name the hosting region." in page.text, url
        assert "Recommend changes" not in page.text and "An afterthought, not sent." not in page.text, url
    assert "Fine once B is fixed." in client.get(pages[0]).text  # the comment, without the recommendation


def test_new_agreement_for_a_new_vendor(client, people, district, catalogues):
    client.force_login(people["district_admin"])
    new = {"new_vendor_name": "Brand New Edtech", "product_name": "Quiz Maker", "framework": factories.csf("2.0").pk}
    url = reverse("agreement_new", args=[district.slug])
    response = client.post(url, {**new, "contract_start": "2026-07-01", "contract_end": "2026-06-30"})
    assert response.status_code == 200 and "cannot end before it starts" in response.text
    assert "Brand New Edtech" in response.text  # what was typed stays
    response = client.post(url, new)
    agreement = Agreement.objects.get(contractor__legal_name="Brand New Edtech")
    assert response["Location"] == reverse("agreement_detail", args=[agreement.pk])
    assert agreement.status == Agreement.Status.DRAFT and agreement.csf_responses.count() == 22


def test_sending_invites_a_vendor_contact_when_the_vendor_has_no_staff(client, people, district, catalogues):
    from agreements.models import OutboundEmail

    admin = people["district_admin"]
    agreement = agreement_start(
        agency=district,
        actor=admin,
        new_vendor_name="Newco",
        product_name="App",
        framework=factories.csf("1.1"),
        **TERM,
    )
    client.force_login(admin)
    client.post(reverse("agreement_send", args=[agreement.pk]), {"contact_email": "not-an-email"})
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.DRAFT
    client.post(reverse("agreement_send", args=[agreement.pk]), {"contact_email": "lead@newco.example.org"})
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.WITH_VENDOR
    assert OutboundEmail.objects.filter(template="invitation", to=["lead@newco.example.org"]).exists()


def test_contacts_update_publishes_a_new_bill_of_rights(client, people, district):
    client.force_login(people["district_admin"])
    data = {"complaint_email": "privacy@hometown.example.org", "breach_notice_state": "NY"}
    assert client.post(reverse("district_contacts", args=[district.slug]), data).status_code == 302
    latest = district.bills_of_rights.order_by("-version").first()
    assert "privacy@hometown.example.org" in latest.items[5]


def test_dashboards_filter_and_search(client, people, district, vendor, catalogues):
    admin = people["district_admin"]
    for name in ["Alpha Reader", "Beta Math"]:
        agreement_start(
            agency=district, actor=admin, contractor=vendor, product_name=name, framework=factories.csf("1.1")
        )
    client.force_login(admin)
    url = reverse("district_dashboard", args=[district.slug])
    assert client.get(url, {"q": "alpha"}).context["page"].paginator.count == 1
    assert client.get(url, {"status": "draft"}).context["page"].paginator.count == 2
    assert client.get(url, {"status": "executed"}).context["page"].paginator.count == 0
    response = client.get(url, {"term_end_before": "not a date"})
    assert response.status_code == 200 and response.context["page"].paginator.count == 2
    assert "Some filters were ignored" in response.text


def _many_agreements(district, vendor, admin, n):
    for i in range(n):
        a = agreement_start(
            agency=district,
            actor=admin,
            contractor=vendor,
            product_name=f"Product {i}",
            framework=factories.csf("1.1"),
            **TERM,
        )
        agreement_send_to_vendor(agreement=a, actor=admin)


def test_dashboard_queries_do_not_grow_with_agreements(
    client, people, district, vendor, catalogues, django_assert_max_num_queries
):
    admin, editor = people["district_admin"], people["vendor_editor"]
    _many_agreements(district, vendor, admin, 2)
    pages = [
        (admin, reverse("district_dashboard", args=[district.slug])),
        (editor, reverse("vendor_dashboard", args=[vendor.slug])),
    ]
    counts = {}
    for user, url in pages:
        client.force_login(user)
        with django_assert_max_num_queries(30) as few:
            client.get(url)
        counts[url] = len(few.captured_queries)
    _many_agreements(district, vendor, admin, 8)
    for user, url in pages:
        client.force_login(user)
        with django_assert_max_num_queries(counts[url]):
            assert len(client.get(url).context["page"].object_list) == 10


def test_review_page_queries_do_not_grow_with_categories_or_comments(
    client, sent, people, django_assert_max_num_queries
):
    fill_complete(sent, actor=people["vendor_editor"])
    agreement_submit(agreement=sent, actor=people["vendor_editor"])
    url = reverse("agreement_detail", args=[sent.pk])
    client.force_login(people["district_admin"])
    with django_assert_max_num_queries(60) as first:
        client.get(url)
    for category in sent.framework.categories.all():
        ReviewComment.objects.create(
            agreement=sent, section="exhibit_c1", category=category, body="?", author=people["district_reviewer"]
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_vendor_sees_which_answers_were_carried_over(client, sent, people, other_district, product):

    editor = people["vendor_editor"]
    fill_complete(sent, actor=editor, text="Earlier")
    agreement_submit(agreement=sent, actor=editor)
    admin = with_totp(factories.DistrictMembershipFactory(agency=other_district).user)
    new = agreement_start(
        agency=other_district,
        actor=admin,
        contractor=sent.contractor,
        product_name=product.name,
        framework=sent.framework,
        **TERM,
    )
    agreement_send_to_vendor(agreement=new, actor=admin)
    client.force_login(editor)
    url = reverse("agreement_detail", args=[new.pk])
    assert f"your agreement with {sent.agency}" in client.get(url).text  # the offer to reuse
    client.post(reverse("agreement_reuse", args=[new.pk]))
    text = client.get(url).text
    carried = len(carried_over(new.answer_reuse.answers, agreement_answers(new)))
    assert carried > 30 and f"{carried} answers marked" in text
    assert text.count(f">carried over from {sent.agency}</span>") >= 30  # where from (issue 16.2)


def test_the_completeness_list_links_to_each_missing_answer(client, sent, people):
    client.force_login(people["vendor_editor"])
    text = client.get(reverse("agreement_detail", args=[sent.pk])).text
    assert "38 items left before you can submit" in text  # Exhibit A, 5 of B, 9 of C, 23 of C.1
    for href in [
        f"/agreements/{sent.pk}/exhibit-c1/#csf-PR.DS",
        f"/agreements/{sent.pk}/exhibit-c/#id_training",
        f"/agreements/{sent.pk}/exhibit-b/#purposes",
        f"/agreements/{sent.pk}/#exhibit_a",
    ]:
        assert f'href="{href}"' in text


def test_the_vendor_district_filter_keeps_a_district_with_another_vendors_draft(client, sent, people, other_vendor):
    # The district also has a draft with another vendor: this vendor still sees the district in its filter.
    agreement_start(
        agency=sent.agency,
        actor=people["district_admin"],
        contractor=other_vendor,
        product_name="X",
        framework=sent.framework,
    )
    client.force_login(people["vendor_editor"])
    districts = client.get(reverse("vendor_suggest_districts", args=[sent.contractor.slug])).context["names"]
    assert districts == [sent.agency.name]
