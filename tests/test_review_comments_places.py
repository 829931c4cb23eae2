"""Review comments on one place (issue 14.5): an item of Exhibit B, a question of Exhibit C, a subcontractor, a C.1
category. Only places of the agreement, only its district's reviewers; shown beside the field to the vendor and
beside the change on the review page, escaped, open or resolved, in a fixed number of queries."""

import lxml.html
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from agreements.models import Agreement
from agreements.services import (
    agreement_approve,
    agreement_create,
    agreement_request_changes,
    agreement_send_to_vendor,
    agreement_submit,
)
from dpa_portal.errors import FORBIDDEN, ApplicationError
from exhibits import places
from exhibits.catalogues import load_all_catalogues
from exhibits.models import REVIEW_ITEMS, ReviewComment, Section
from exhibits.services import review_comment_add, review_comment_place

from . import factories, personas
from .helpers import ESCAPED, HOSTILE, TERM, fill_complete
from .shared import SharedRows

SHARED_ROWS = SharedRows()


@SHARED_ROWS.layer()
def review(rows):
    """An agreement submitted twice: the vendor changed question 6 of Exhibit C, the storage of Exhibit B, a
    subcontractor's purpose and a C.1 response after the district asked for changes."""
    load_all_catalogues()
    district, vendor = personas.district(), personas.vendor()
    other_district, other_vendor = personas.other_district(), personas.other_vendor()
    people = personas.people(district, vendor, other_district, other_vendor)
    admin, editor = people["district_admin"], people["vendor_editor"]
    agreement = agreement_create(
        agency=district,
        contractor=vendor,
        products=[personas.product(vendor)],
        framework=factories.csf("1.1"),
        actor=admin,
        **TERM,
    )
    agreement_send_to_vendor(agreement=agreement, actor=admin)
    fill_complete(agreement, actor=editor)
    agreement_submit(agreement=agreement, actor=editor)
    agreement_request_changes(agreement=agreement, actor=admin, note="A first look.")
    plan = agreement.security_plan
    plan.data_transition = "We hand the data back as CSV files."
    plan.save()
    info = agreement.supplemental_information
    info.storage_contractor_hosted = True
    info.save()
    sub = info.subcontractors.get()
    sub.purpose = "Hosting in us-east-1"
    sub.save()
    response = agreement.csf_responses.select_related("category").order_by("category__position").first()
    response.narrative = "An inventory of every device, kept weekly."
    response.save()
    agreement_submit(agreement=agreement, actor=editor)
    return {
        "people": people,
        "agreement": agreement,
        "sub": sub,
        "category": response.category,
        # Places that exist, but not for this agreement.
        "other_district": other_district,
        "unlisted_sub": factories.SubcontractorFactory(contractor=vendor, name="Not On The List"),
        "other_sub": factories.SubcontractorFactory(contractor=other_vendor, name="Someone Else's"),
    }


people = SHARED_ROWS.fixture("people", "review", lambda rows: rows["people"])
submitted = SHARED_ROWS.fixture("submitted", "review", lambda rows: rows["agreement"])
sub = SHARED_ROWS.fixture("sub", "review", lambda rows: rows["sub"])
category = SHARED_ROWS.fixture("category", "review", lambda rows: rows["category"])
unlisted_sub = SHARED_ROWS.fixture("unlisted_sub", "review", lambda rows: rows["unlisted_sub"])
other_sub = SHARED_ROWS.fixture("other_sub", "review", lambda rows: rows["other_sub"])
other_district = SHARED_ROWS.fixture("other_district", "review", lambda rows: rows["other_district"])


def _places(sub, category) -> dict:
    """One place of each kind: key -> (section, field, subcontractor, category) as stored."""
    return {
        "exhibit_b:storage": ("exhibit_b", "storage", None, None),
        "exhibit_c:data_transition": ("exhibit_c", "data_transition", None, None),
        f"subcontractors:{sub.pk}": ("subcontractors", "", sub, None),
        f"c1:{category.identifier}": ("exhibit_c1", "", None, category),
    }


def _comment(client, agreement, key, body, **extra):
    return client.post(reverse("agreement_comment", args=[agreement.pk]), {"place": key, "body": body, **extra})


def _element(html: str, element_id: str) -> str:
    """The text of the element with this id, as a person reads it (entities decoded)."""
    found = lxml.html.fromstring(html).get_element_by_id(element_id)
    return found.text_content()


def test_a_reviewer_comments_on_one_item_one_question_one_subcontractor_one_category(
    client, submitted, people, sub, category
):
    client.force_login(people["district_reviewer"])
    for key, (section, field, subcontractor, cat) in _places(sub, category).items():
        response = _comment(client, submitted, key, f"About {key}")
        comment = ReviewComment.objects.get(agreement=submitted, body=f"About {key}")
        assert (comment.section, comment.field, comment.subcontractor, comment.category) == (
            section,
            field,
            subcontractor,
            cat,
        ), key
        assert comment.author == people["district_reviewer"] and comment.resolved_at is None
        assert response["Location"].startswith(reverse("agreement_detail", args=[submitted.pk]) + "#"), key
    # From the review page, back to the place on it.
    response = _comment(client, submitted, "exhibit_c:training", "Which law?", back="review")
    assert response["Location"] == reverse("agreement_review", args=[submitted.pk]) + "#place-exhibit_c-training"
    # The agreement page's forms for a section or a category, as before.
    client.post(reverse("agreement_comment", args=[submitted.pk]), {"section": "exhibit_a", "body": "A whole."})
    assert ReviewComment.objects.get(body="A whole.").section == "exhibit_a"


@pytest.mark.parametrize(
    "key",
    [
        "exhibit_b:nope",
        "exhibit_b:training",  # a question of C, not an item of B
        "exhibit_c:purposes",  # an item of B, not a question of C
        "exhibit_a:version",
        "general:x",
        "exhibit_z",
        "subcontractors:abc",
        "subcontractors:999999",
        "subcontractors:UNLISTED",  # the contractor's, but not on this agreement's list
        "subcontractors:OTHER",  # another vendor's
        "c1:GV.OC",  # a CSF 2.0 category; the agreement answers CSF 1.1
        "c1:XX.YY",
    ],
)
def test_a_place_that_the_agreement_does_not_have_is_refused(client, submitted, people, unlisted_sub, other_sub, key):
    key = key.replace("UNLISTED", str(unlisted_sub.pk)).replace("OTHER", str(other_sub.pk))
    client.force_login(people["district_reviewer"])
    response = client.post(
        reverse("agreement_comment", args=[submitted.pk]), {"place": key, "body": "Lost?"}, follow=True
    )
    assert response.status_code == 200
    assert not ReviewComment.objects.filter(agreement=submitted).exists(), key
    text = response.content.decode()
    assert "no such" in text or "not on this agreement" in text or "not part of this agreement" in text, key


def test_the_service_refuses_a_commenter_who_is_not_a_reviewer_of_the_district(submitted, people):
    for persona in ["district_viewer", "other_district", "vendor_admin", "vendor_editor"]:
        with pytest.raises(ApplicationError) as refused:
            review_comment_add(agreement=submitted, author=people[persona], section="exhibit_c", body="x")
        assert refused.value.code == FORBIDDEN, persona
    place = review_comment_place(agreement=submitted, key="exhibit_c:secure_destruction")
    assert place == {"section": "exhibit_c", "field": "secure_destruction"}
    review_comment_add(agreement=submitted, author=people["district_reviewer"], body="ok", **place)


WRONG = ["vendor_admin", "vendor_editor", "district_viewer", "other_district", "other_vendor"]


def test_every_wrong_persona_is_refused_and_nothing_changes(client, submitted, people, sub):
    comment = review_comment_add(
        agreement=submitted, author=people["district_reviewer"], section="exhibit_c", field="training", body="Which?"
    )
    posts = [
        (reverse("agreement_comment", args=[submitted.pk]), {"place": f"subcontractors:{sub.pk}", "body": "Mine"}),
        (reverse("agreement_comment_state", args=[submitted.pk]), {"comment": comment.pk, "resolved": "1"}),
    ]
    review = reverse("agreement_review", args=[submitted.pk])
    for persona in ["anonymous", *WRONG]:
        client.logout()
        if people[persona]:
            client.force_login(people[persona])
        for url, data in posts:
            response = client.post(url, data)
            expected = 302 if persona == "anonymous" else 404
            assert response.status_code == expected, (persona, url)
        response = client.get(review)
        if persona == "district_viewer":  # a viewer reads the review, without a form
            assert response.status_code == 200 and "Add comment" not in response.text
            assert "Mark resolved" not in response.text and "Which?" in response.text
        else:
            assert response.status_code == (302 if persona == "anonymous" else 404), persona
    assert ReviewComment.objects.filter(agreement=submitted).count() == 1
    comment.refresh_from_db()
    assert comment.resolved_at is None


def test_the_vendor_sees_each_comment_beside_its_field_escaped_with_its_state(client, submitted, people, sub, category):
    reviewer, admin, editor = people["district_reviewer"], people["district_admin"], people["vendor_editor"]
    bodies = {}
    for key, (section, field, subcontractor, cat) in _places(sub, category).items():
        bodies[key] = f"{HOSTILE} on {key}"
        review_comment_add(
            agreement=submitted,
            author=reviewer,
            section=section,
            field=field,
            subcontractor=subcontractor,
            category=cat,
            body=bodies[key],
        )
    resolved = review_comment_add(
        agreement=submitted, author=reviewer, section="exhibit_c", field="data_transition", body="Settled."
    )
    client.force_login(admin)
    client.post(reverse("agreement_comment_state", args=[submitted.pk]), {"comment": resolved.pk, "resolved": "1"})
    agreement_request_changes(agreement=submitted, actor=admin, note="See the comments beside the fields.")
    client.force_login(editor)
    # (page, the id of the field's block, the place)
    beside = [
        ("exhibit_b", "storage", "exhibit_b:storage"),
        ("exhibit_c", "question-6", "exhibit_c:data_transition"),
        ("exhibit_subcontractors", f"subcontractor-{sub.pk}", f"subcontractors:{sub.pk}"),
        ("exhibit_c1", f"csf-{category.identifier}", f"c1:{category.identifier}"),
    ]
    for page, element_id, key in beside:
        html = client.get(reverse(page, args=[submitted.pk])).content.decode()
        assert HOSTILE not in html and ESCAPED in html, page
        text = _element(html, element_id)
        assert bodies[key] in text and "Open" in text, page
        others = [body for other, body in bodies.items() if other != key]
        assert not [body for body in others if body in text], page  # only that field's
    question_6 = _element(client.get(reverse("exhibit_c", args=[submitted.pk])).content.decode(), "question-6")
    assert "Settled." in question_6 and "Resolved" in question_6
    question_5 = _element(client.get(reverse("exhibit_c", args=[submitted.pk])).content.decode(), "question-5")
    assert "district's comment" not in question_5
    # The agreement page lists them under their section, with the place each is about.
    html = client.get(reverse("agreement_detail", args=[submitted.pk])).content.decode()
    assert HOSTILE not in html
    assert "On Question 6: Describe how data will be transitioned" in _element(html, "exhibit_c")
    assert bodies["exhibit_c:data_transition"] in _element(html, "exhibit_c")
    assert f"On Subcontractor {sub.name}" in _element(html, "subcontractors")
    assert bodies["exhibit_b:storage"] in _element(html, "exhibit_b")


def test_the_review_page_shows_each_change_with_the_comments_beside_it(client, submitted, people, sub, category):
    reviewer = people["district_reviewer"]
    review_comment_add(
        agreement=submitted, author=reviewer, section="exhibit_c", field="data_transition", body=f"{HOSTILE} CSV?"
    )
    review_comment_add(agreement=submitted, author=reviewer, section="subcontractors", subcontractor=sub, body="Where?")
    client.force_login(reviewer)
    html = client.get(reverse("agreement_review", args=[submitted.pk])).content.decode()
    assert HOSTILE not in html and f"{ESCAPED} CSV?" in html
    question_6 = _element(html, "place-exhibit_c-data_transition")
    assert "changed" in question_6 and "We hand the data back as CSV files." in question_6
    assert "Answer: data_transition" in question_6  # the old answer, from fill_complete
    assert f"{HOSTILE} CSV?" in question_6 and "Mark resolved" in question_6
    storage = _element(html, "place-exhibit_b-storage")
    assert "changed" in storage and "using contractor owned and hosted solution" in storage.lower()
    subcontractor = _element(html, f"place-subcontractors-{sub.pk}")
    assert "Hosting in us-east-1" in subcontractor and "Where?" in subcontractor and "changed" in subcontractor
    c1 = _element(html, "place-c1-" + category.identifier.replace(".", "-"))
    assert "An inventory of every device" in c1 and "changed" in c1
    assert "changed" not in _element(html, "place-exhibit_c-training")
    # The table of what changed (templates/exhibits/_changes.html): the comments beside each change, a link to it.
    table = lxml.html.fromstring(html).xpath("//table[caption='Answers changed since the previous submission']")[0]
    rows = {row.xpath("td[2]")[0].text_content(): row for row in table.xpath("tbody/tr")}
    assert f"{HOSTILE} CSV?" in rows["Question 6"].text_content()
    assert rows["Question 6"].xpath("td[2]/a/@href")[0].endswith("#place-exhibit_c-data_transition")
    assert "Where?" in rows[f"Subcontractor {sub.name}: purpose"].text_content()
    assert "CSV?" not in rows[f"{category.identifier} response"].text_content()
    # Only what changed or has comments.
    html = client.get(reverse("agreement_review", args=[submitted.pk]) + "?only=changed").content.decode()
    assert "place-exhibit_c-data_transition" in html and "place-exhibit_c-training" not in html
    assert f"place-subcontractors-{sub.pk}" in html and "place-general" not in html


def test_a_reviewer_resolves_a_comment_and_opens_it_again_while_in_review(
    client, submitted, people, other_sub, other_district
):
    reviewer = people["district_reviewer"]
    comment = review_comment_add(agreement=submitted, author=reviewer, section="exhibit_b", field="pii", body="APPR?")
    url = reverse("agreement_comment_state", args=[submitted.pk])
    client.force_login(reviewer)
    response = client.post(url, {"comment": comment.pk, "resolved": "1", "back": "review"})
    assert response["Location"] == reverse("agreement_review", args=[submitted.pk]) + "#place-exhibit_b-pii"
    comment.refresh_from_db()
    assert comment.resolved_at is not None
    html = client.get(reverse("agreement_review", args=[submitted.pk])).content.decode()
    assert "Resolved" in _element(html, "place-exhibit_b-pii") and "Open again" in html
    client.post(url, {"comment": comment.pk, "resolved": ""})
    comment.refresh_from_db()
    assert comment.resolved_at is None
    # Another agreement's comment is not found through this one.
    elsewhere = agreement_create(
        agency=other_district,
        contractor=other_sub.contractor,
        products=[factories.ProductFactory(contractor=other_sub.contractor)],
        framework=submitted.framework,
        actor=people["other_district"],
        **TERM,
    )
    foreign = review_comment_add(agreement=elsewhere, author=people["other_district"], section="general", body="x")
    response = client.post(url, {"comment": foreign.pk, "resolved": "1"}, follow=True)
    assert "There is no such comment on this agreement." in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.resolved_at is None
    # Once approved, the review is over: no comment, no change of state.
    agreement_approve(agreement=submitted, actor=people["district_admin"], note="")
    assert client.post(url, {"comment": comment.pk, "resolved": "1"}).status_code == 404
    assert _comment(client, submitted, "exhibit_b:pii", "Late").status_code == 404


def test_the_pages_queries_do_not_grow_with_comments(client, submitted, people, sub, django_assert_max_num_queries):
    reviewer, admin, editor = people["district_reviewer"], people["district_admin"], people["vendor_editor"]
    district_pages = [
        reverse("agreement_review", args=[submitted.pk]),
        reverse("agreement_detail", args=[submitted.pk]),
    ]
    vendor_pages = [
        reverse(name, args=[submitted.pk])
        for name in ["exhibit_b", "exhibit_c", "exhibit_c1", "exhibit_subcontractors"]
    ]

    def counts(user, pages):
        client.force_login(user)
        found = {}
        for url in pages:
            with django_assert_max_num_queries(60) as queries:
                assert client.get(url).status_code == 200, url
            found[url] = len(queries.captured_queries)
        return found

    before = counts(reviewer, district_pages)
    agreement_request_changes(agreement=submitted, actor=admin, note="Changes.")
    vendor_before = counts(editor, vendor_pages)
    Agreement.objects.filter(pk=submitted.pk).update(status=Agreement.Status.SUBMITTED)
    categories = list(submitted.framework.categories.order_by("position"))
    sub_key = f"subcontractors:{sub.pk}"
    all_places = places.agreement_places([sub], categories)
    for place in all_places:  # a comment on every place of the agreement, one of them resolved
        fields = review_comment_place(agreement=submitted, key=place.key)
        review_comment_add(agreement=submitted, author=reviewer, body=f"On {place.key}", **fields)
    ReviewComment.objects.filter(agreement=submitted, field="training").update(resolved_at=submitted.created_at)
    assert ReviewComment.objects.filter(agreement=submitted).count() == len(all_places) >= 45  # 23 C.1 categories
    for user, pages, was in [(reviewer, district_pages, before)]:
        client.force_login(user)
        for url in pages:
            with django_assert_max_num_queries(was[url]):
                assert client.get(url).status_code == 200, url
    # The vendor sees them once an admin sends the agreement back again.
    submitted.refresh_from_db()
    agreement_request_changes(agreement=submitted, actor=admin, note="Changes again.")
    client.force_login(editor)
    shown = ["On exhibit_b:storage", "On exhibit_c:training", f"On c1:{categories[0].identifier}", f"On {sub_key}"]
    for url, comment in zip(vendor_pages, shown, strict=True):
        with django_assert_max_num_queries(vendor_before[url]):
            html = client.get(url).content.decode()
        assert comment in html, url


def test_the_database_holds_a_place_to_its_section(submitted, people, sub):
    assert [item for item, _, _ in places.EXHIBIT_B_ITEMS] == REVIEW_ITEMS[Section.EXHIBIT_B]
    author = people["district_reviewer"]
    for wrong in [
        {"section": "exhibit_c", "field": "purposes"},
        {"section": "general", "field": "training"},
        {"section": "exhibit_b", "subcontractor": sub},
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            ReviewComment.objects.create(agreement=submitted, author=author, body="x", **wrong)
