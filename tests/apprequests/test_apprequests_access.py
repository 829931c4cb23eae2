"""Every persona against every app-request URL (issue 16.6): tests/test_authorization.py names these URLs through
URLS. A requester sees only their own district's request pages, and is nobody on the district's dashboard; the
district's staff are not requesters; the staff domains are the district admins' alone."""

import pytest
from django.urls import reverse

from apprequests.models import AppRequest, Requester
from apprequests.services import app_request_submit

from .. import factories
from ..test_workflow_views import PERSONAS

URLS = {
    "apprequests_sign_up",
    "apprequests_sign_up_confirm",
    "apprequests_mine",
    "apprequests_new",
    "apprequests_staff_domains",
}


@pytest.fixture
def requester(district):
    return Requester.objects.create(user=factories.UserFactory(email="teacher@hometowncsd.org"), agency=district)


def _as(client, user):
    client.logout()
    if user:
        client.force_login(user)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_sign_up_page_is_open_and_a_wrong_link_is_a_404_for_everyone(client, people, persona):
    _as(client, people[persona])
    assert client.get(reverse("apprequests_sign_up")).status_code == 200
    assert client.get(reverse("apprequests_sign_up_confirm", args=["x" * 43])).status_code == 404


@pytest.mark.parametrize("name", ["apprequests_mine", "apprequests_new"])
def test_a_requesters_pages_are_theirs_alone(client, people, district, other_district, requester, name):
    url = reverse(name, args=[district.slug])
    _as(client, requester.user)
    assert client.get(url).status_code == 200
    assert client.get(reverse(name, args=[other_district.slug])).status_code == 404
    assert client.get(reverse("district_dashboard", args=[district.slug])).status_code == 404  # not on the staff
    for persona in PERSONAS:
        _as(client, people[persona])
        response = client.get(url)
        if persona == "anonymous":
            assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
        else:
            assert response.status_code == 404, persona  # the district's own staff are not requesters
        assert client.post(reverse("apprequests_new", args=[district.slug]), {"app_name": "X"}).status_code != 200
    assert not AppRequest.objects.filter(app_name="X").exists()  # nobody but a requester asks


def test_a_requester_never_sees_another_requesters_request(client, district, requester):
    other = Requester.objects.create(user=factories.UserFactory(), agency=district)
    fields = {"website": "https://a.example", "purpose": "p", "grades": "1", "student_count": 1}
    app_request_submit(requester=other, app_name="Private Request Name", **fields)
    app_request_submit(requester=requester, app_name="My Own Request", **fields)
    _as(client, requester.user)
    response = client.get(reverse("apprequests_mine", args=[district.slug]))
    page = response.content.decode()
    assert response.status_code == 200 and "My Own Request" in page and "Private Request Name" not in page


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_districts_admins_edit_its_staff_domains(client, people, district, requester, persona):
    url = reverse("apprequests_staff_domains", args=[district.slug])
    _as(client, people[persona])
    response = client.get(url)
    if persona == "district_admin":
        assert response.status_code == 200
    elif persona == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == 404, persona
    _as(client, requester.user)
    assert client.get(url).status_code == 404
