"""Every persona against the triage's URLs (issue 16.3): tests/test_authorization.py names them through URLS. The
queue is the district's admins' and reviewers'; starting and declining the admins'; asking the reviewers' too; the
answer page the teacher's own; a requester is nobody in the queue."""

import pytest
from django.urls import reverse

from apprequests.models import AppRequest, Requester
from apprequests.services import app_request_submit

from .. import factories
from ..test_workflow_views import PERSONAS

URLS = {
    "apprequests_queue",
    "apprequests_queue_start",
    "apprequests_queue_ask",
    "apprequests_queue_decline",
    "apprequests_answer",
}
S = AppRequest.Status
FIELDS = {"website": "https://tally.example", "purpose": "p", "grades": "1", "student_count": 1}


@pytest.fixture
def open_request(district):
    requester = Requester.objects.create(user=factories.UserFactory(email="t@hometowncsd.org"), agency=district)
    return app_request_submit(requester=requester, app_name="Tally Tiles", **FIELDS)


def _as(client, user):
    client.logout()
    if user:
        client.force_login(user)


def _expect(response, persona, allowed):
    if persona in allowed:
        assert response.status_code in (200, 302) and "login" not in response.get("Location", ""), persona
    elif persona == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == 404, persona


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_queue_and_its_actions_by_persona(client, people, district, open_request, persona):
    slug, pk = district.slug, open_request.pk
    _as(client, people[persona])
    _expect(client.get(reverse("apprequests_queue", args=[slug])), persona, {"district_admin", "district_reviewer"})
    _expect(client.get(reverse("apprequests_queue_start", args=[slug, pk])), persona, {"district_admin"})
    ask = client.post(reverse("apprequests_queue_ask", args=[slug, pk]), {"question": "Which class?"})
    _expect(ask, persona, {"district_admin", "district_reviewer"})
    decline = client.post(reverse("apprequests_queue_decline", args=[slug, pk]), {"reason": "No."})
    _expect(decline, persona, {"district_admin"})
    open_request.refresh_from_db()
    expected = {"district_admin": S.DECLINED, "district_reviewer": S.MORE_INFO_ASKED}.get(persona, S.SUBMITTED)
    assert open_request.status == expected, persona


def test_a_requester_is_nobody_in_the_queue_and_answers_only_their_own(client, district, open_request):
    slug, pk = district.slug, open_request.pk
    other = Requester.objects.create(user=factories.UserFactory(), agency=district)
    for user in (open_request.requester.user, other.user):
        _as(client, user)
        for name in ("apprequests_queue_start", "apprequests_queue_ask", "apprequests_queue_decline"):
            assert client.post(reverse(name, args=[slug, pk]), {"question": "x", "reason": "x"}).status_code == 404
        assert client.get(reverse("apprequests_queue", args=[slug])).status_code == 404
    AppRequest.objects.filter(pk=pk).update(status=S.MORE_INFO_ASKED, question="Which class?")
    _as(client, other.user)
    assert client.get(reverse("apprequests_answer", args=[slug, pk])).status_code == 404
    _as(client, open_request.requester.user)
    page = client.get(reverse("apprequests_answer", args=[slug, pk]))
    assert page.status_code == 200 and "Which class?" in page.content.decode()
    _as(client, None)
    assert client.get(reverse("apprequests_answer", args=[slug, pk])).url.startswith(reverse("account_login"))


def test_a_decided_request_names_nothing_to_decide_and_another_districts_is_unknown(
    client, people, district, other_district, open_request
):
    slug, pk = district.slug, open_request.pk
    _as(client, people["district_admin"])
    assert client.post(reverse("apprequests_queue_decline", args=[slug, pk]), {"reason": "No."}).status_code == 302
    assert client.post(reverse("apprequests_queue_decline", args=[slug, pk]), {"reason": "No."}).status_code == 404
    assert client.get(reverse("apprequests_queue_start", args=[slug, pk])).status_code == 404
    ask = client.post(reverse("apprequests_queue_ask", args=[slug, pk]), {"question": "Which?"}, follow=True)
    assert "decided already" in ask.content.decode()
    open_request.refresh_from_db()
    assert open_request.status == S.DECLINED and open_request.reason == "No."
    _as(client, people["other_district"])  # the other district's admin, in their own district's URLs
    other_slug = other_district.slug
    assert client.get(reverse("apprequests_queue_start", args=[other_slug, pk])).status_code == 404


def test_the_teacher_answers_by_editing_and_the_request_goes_back_to_the_district(client, district, open_request):
    slug, pk = district.slug, open_request.pk
    AppRequest.objects.filter(pk=pk).update(status=S.MORE_INFO_ASKED, question="Which class?")
    _as(client, open_request.requester.user)
    mine = client.get(reverse("apprequests_mine", args=[slug])).content.decode()
    assert "Which class?" in mine and reverse("apprequests_answer", args=[slug, pk]) in mine
    form = {**FIELDS, "app_name": "Tally Tiles", "purpose": "Grade 1 counting", "students_sign_in": "no"}
    response = client.post(reverse("apprequests_answer", args=[slug, pk]), form)
    assert response.status_code == 302 and response.url == reverse("apprequests_mine", args=[slug])
    open_request.refresh_from_db()
    assert (open_request.status, open_request.purpose) == (S.SUBMITTED, "Grade 1 counting")
    # Answered: the page sends the teacher back to their requests.
    assert client.get(reverse("apprequests_answer", args=[slug, pk])).status_code == 302
