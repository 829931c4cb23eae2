"""Every URL of the portal is tried by every persona (issue 10.7).

The walk over the URLconf finds each named URL's authorization test: the persona tables of the workflow, deadline and
staff pages (each runs every persona against its pages), or the tables here for the pages that are open to everyone,
open through a secret link, personal to whoever is signed in, or the signing pages. A new URL that no table names
fails `test_every_url_has_an_authorization_test`, so it cannot ship without one. allauth's own pages (sign-in, MFA)
and the Django admin are tested by their projects and by tests/test_accounts_*.py and tests/test_pages.py.
"""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from . import test_accounts_views, test_deadlines_views, test_outbox_views, test_outside, test_workflow_views
from .apprequests import test_apprequests_access, test_triage_access
from .portfolio import test_export_views, test_import_views
from .public_helpers import make_agreement

PERSONAS = test_workflow_views.PERSONAS


def _names(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":
                yield from _names(pattern.url_patterns)
        elif pattern.name and not pattern.callback.__module__.startswith("allauth."):
            yield pattern.name


# Open to everyone, signed in or not: each persona gets the same answer, and it never carries a person's e-mail.
OPEN = {
    "healthz": lambda a: [],
    "verify": lambda a: [],
    "public_index": lambda a: [],
    "public_search": lambda a: [],
    "public_feed": lambda a: [],
    "public_district": lambda a: [a.agency.slug],
    "public_agreement": lambda a: [a.agency.slug, a.pk],
    "public_agreement_pdf": lambda a: [a.agency.slug, a.pk],
    "public_agreements_json": lambda a: [a.agency.slug],
    "public_agreements_csv": lambda a: [a.agency.slug],
    "public_district_feed": lambda a: [a.agency.slug],
    "public_embed": lambda a: [a.agency.slug],
    "public_open_data": lambda a: [a.agency.slug],
    # The district's approved-apps list and its data (issue 16.4).
    "apprequests_public_list": lambda a: [a.agency.slug],
    "apprequests_public_json": lambda a: [a.agency.slug],
    "apprequests_public_csv": lambda a: [a.agency.slug],
}
# Open too, but each sends people on (issue 14): the home page is the landing page for anyone not signed in and sends
# signed-in staff to their own dashboard (tests/test_first_week_home.py says which); the favicon is the static one.
LEADS = {"home", "favicon"}
# The secret in the URL is the credential: a wrong one is a 404 for everyone, signed in or not.
SECRET_LINKS = {"invitation_accept", "deadlines_feed"}
# About the person signed in, whoever it is: a sign-in page for the anonymous, never a 404 or 403 for anyone else.
PERSONAL = {"agreements_home", "accounts_continue", "staff_index", "set_language"}
# The signing pages of an executed agreement: (method, args, data, the personas who get past the access check).
PARTIES = test_workflow_views.DISTRICT_STAFF | test_workflow_views.VENDOR_STAFF
SIGNING = {
    "agreement_sign": ("get", lambda a: [a.pk], {}, PARTIES),
    "agreement_document": ("get", lambda a: [a.pk, "executed"], {}, PARTIES),
    # A document's progress panel, which the agreement and signing pages poll (issue 14.1): the parties' members.
    "agreement_document_progress": ("get", lambda a: [a.pk, "public-copy"], {}, PARTIES),
    "agreement_amend": ("post", lambda a: [a.pk], {"kind": "renewal"}, {"district_admin"}),
    "public_redactions": ("get", lambda a: [a.agency.slug, a.pk], {}, {"district_admin"}),
}

# The dashboards' menus, searched as you type (issue 13): (kind of URL, the personas who may read them), as the
# dashboard they belong to. They name the organisation's vendors, districts and products, so nobody else gets them.
MENUS = {
    "district_suggest_vendors": ("district", test_workflow_views.DISTRICT_STAFF),
    "district_suggest_products": ("district", test_workflow_views.DISTRICT_STAFF),
    "vendor_suggest_districts": ("vendor", test_workflow_views.VENDOR_STAFF),
    "vendor_suggest_products": ("vendor", test_workflow_views.VENDOR_STAFF),
}


def _covered() -> set[str]:
    tables = {name.replace("agreement_comments", "agreement_comment") for name, *_ in test_workflow_views.PAGES}
    tables |= {name for name, *_ in test_deadlines_views.PAGES}
    tables |= {name for _, name, _ in test_accounts_views.DISTRICT_URLS + test_accounts_views.VENDOR_URLS}
    tables |= {name for name, *_ in test_import_views.PAGES}  # the import's pages: the district's admins only
    tables |= {name for name, *_ in test_export_views.PAGES}  # the export's pages: each side's admins, their own
    tables |= {name for name, *_ in test_outside.PAGES}  # an agreement signed outside the portal: the parties
    tables |= test_outbox_views.URLS  # sending an undelivered e-mail again: the district's admins
    tables |= test_apprequests_access.URLS  # app requests (issue 16): requesters, sign-up, the staff domains
    tables |= test_triage_access.URLS  # the director's queue of app requests (issue 16.3), the teacher's answer
    return tables | set(OPEN) | LEADS | SECRET_LINKS | PERSONAL | set(SIGNING) | set(MENUS)


def test_every_url_has_an_authorization_test():
    names = set(_names(get_resolver().url_patterns))
    assert len(names) > 60  # the walk found the portal's URLs
    missing = sorted(names - _covered())
    assert not missing, f"URLs with no persona test: {missing} (add them to a table of tests/test_authorization.py)"
    assert not _covered() - names, f"tables name URLs that no longer exist: {sorted(_covered() - names)}"


@pytest.fixture
def posted(catalogues, district, vendor, product):
    return make_agreement(agency=district, contractor=vendor, products=[product])


def _as(client, people, persona):
    client.logout()
    if people[persona]:
        client.force_login(people[persona])


def test_open_pages_answer_everyone_alike_and_never_with_an_email(client, posted, people):
    emails = {user.email for user in people.values() if user}
    for name, args in OPEN.items():
        url = reverse(name, args=args(posted))
        answers = {}
        for persona in PERSONAS:
            _as(client, people, persona)
            response = client.get(url)
            answers[persona] = response.status_code
            body = "" if "pdf" in response.get("Content-Type", "") else response.getvalue().decode("utf-8", "replace")
            others = emails - {people[persona].email if people[persona] else None}  # the header names you to you
            assert not [e for e in others if e in body], (name, persona)
        assert set(answers.values()) == {200}, (name, answers)


@pytest.mark.parametrize("name", sorted(SECRET_LINKS))
def test_a_wrong_secret_link_is_a_404_for_everyone(client, people, name):
    url = reverse(name, args=["not-a-token-anyone-was-given"])
    for persona in PERSONAS:
        _as(client, people, persona)
        assert client.get(url).status_code == 404, persona


def test_the_home_page_and_the_favicon_lead_each_persona_to_its_own_page(client, posted, people):
    emails = {user.email for user in people.values() if user}
    for persona in PERSONAS:
        _as(client, people, persona)
        favicon = client.get(reverse("favicon"))
        assert favicon.status_code == 302 and "favicon" in favicon["Location"], persona
        home = client.get(reverse("home"), follow=True)
        assert home.status_code == 200, persona
        assert not home.redirect_chain or not home.redirect_chain[-1][0].startswith("/accounts/login/"), persona
        if persona == "anonymous":
            assert not home.redirect_chain  # the landing page itself
        else:
            assert home.redirect_chain, persona  # sent on to its dashboard
        others = emails - {people[persona].email if people[persona] else None}
        assert not [e for e in others if e in home.content.decode()], persona


@pytest.mark.parametrize("name", sorted(PERSONAL))
def test_personal_pages_ask_the_anonymous_to_sign_in(client, people, name):
    url = reverse(name)
    method = client.post if name == "set_language" else client.get
    for persona in PERSONAS:
        _as(client, people, persona)
        response = method(url, {"language": "es", "next": "/"} if name == "set_language" else {})
        if persona == "anonymous" and name != "set_language":  # choosing a language needs no account
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), persona
        else:
            assert response.status_code in (200, 302), (persona, response.status_code)
            assert not response.get("Location", "").startswith("/accounts/login/"), persona


@pytest.mark.parametrize("name", sorted(SIGNING))
def test_signing_pages_refuse_every_wrong_persona(client, posted, people, name):
    method, args, data, allowed = SIGNING[name]
    url = reverse(name, args=args(posted))
    for persona in PERSONAS:
        _as(client, people, persona)
        response = getattr(client, method)(url, data)
        if persona == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        elif persona in allowed:
            assert response.status_code in (200, 302), (persona, response.status_code)
        else:
            assert response.status_code == 404, (persona, response.status_code)


@pytest.mark.parametrize("name", sorted(MENUS))
def test_menu_suggestions_refuse_every_wrong_persona(client, posted, people, name):
    kind, allowed = MENUS[name]
    url = test_workflow_views.url_for(name, kind, posted)
    for persona in PERSONAS:
        _as(client, people, persona)
        response = client.get(url, {"q": posted.contractor.legal_name[:3]})
        if persona == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), persona
        elif persona in allowed:
            assert response.status_code == 200, (persona, response.status_code)
        else:
            assert response.status_code == 404, (persona, response.status_code)
            assert posted.contractor.legal_name not in response.text, persona
