"""One access helper for every private page, and one error for every refusal (issue 9)."""

import re

import pytest
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver

from agreements.services import agreement_approve, agreement_transition
from dpa_portal import errors
from dpa_portal.errors import ApplicationError, refusal_message

# Pages that name a district, a vendor, an agreement or a duty, other than the public ones.
PRIVATE = re.compile(r"^(district/|vendor/|agreements/<int:pk>|deadlines/<int:pk>|public/manage/)")


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_private_page_is_guarded_by_member_required():
    private = [(route, view) for route, view in _routes(get_resolver().url_patterns) if PRIVATE.match(route)]
    assert len(private) > 40  # the walk found the portal's pages
    unguarded = [route for route, view in private if not getattr(view, "member_of", None)]
    assert not unguarded, f"pages without agreements.access.member_required: {unguarded}"


def test_a_refusal_says_what_kind_it_is(agreement, district_reviewer, district_admin):
    with pytest.raises(ApplicationError) as forbidden:
        agreement_approve(agreement=agreement, actor=district_reviewer)
    assert forbidden.value.code == errors.FORBIDDEN
    assert forbidden.value.message == "Only the district's admins can do that."
    with pytest.raises(ApplicationError) as state:
        agreement_transition(agreement=agreement, to_status="executed", actor=district_admin)
    assert state.value.code == errors.STATE
    assert "cannot become executed" in str(state.value)


def _request():
    from django.contrib.messages.storage.fallback import FallbackStorage

    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_refusal_message_shows_the_message_and_goes_on_after_the_block():
    request = _request()
    reached = []
    with refusal_message(request):
        raise ApplicationError("You cannot do that now.", code=errors.STATE)
    reached.append("after")
    assert reached == ["after"]
    assert [m.message for m in get_messages(request)] == ["You cannot do that now."]


def test_refusal_message_puts_the_message_on_the_form_when_there_is_one():
    from django import forms

    form = forms.Form(data={})
    form.is_valid()
    request = _request()
    with refusal_message(request, form):
        raise ApplicationError("That e-mail is already on the staff.", code=errors.EXISTS)
    assert form.non_field_errors() == ["That e-mail is already on the staff."]
    assert not list(get_messages(request))


def test_other_errors_are_not_swallowed():
    with pytest.raises(ZeroDivisionError), refusal_message(_request()):
        1 / 0  # noqa: B018
