"""When the agreement an app depended on expires (the real deadlines sweep), ends early (the termination service) or
is withdrawn (agreement_transition), the teachers who asked are told by e-mail once each (issue 16.5); not when
another agreement of the district in effect still covers the app; and the public list changes with it."""

from datetime import date

import pytest
from django.utils import timezone

from agreements.deadlines.services.ending import agreement_terminate
from agreements.deadlines.sweep import sweep_run
from agreements.models import OutboundEmail
from agreements.models.statuses import AgreementStatus as S
from apprequests import public
from apprequests.models import AppRequest, Requester

from .. import factories
from ..helpers import ESCAPED, HOSTILE
from ..public_helpers import make_agreement, move

TEMPLATE = "apprequest_agreement_ended"
FIELDS = {"website": "https://apps.example", "purpose": "Practice", "grades": "3-5", "student_count": 60}


def told():
    return sorted((tuple(e.to), e.subject) for e in OutboundEmail.objects.filter(template=TEMPLATE))


@pytest.fixture
def people(district):
    return [
        Requester.objects.create(user=factories.UserFactory(email=f"t{n}@hometowncsd.org"), agency=district)
        for n in range(3)
    ]


def ask(requester, agreement, product, app_name, status=AppRequest.Status.APPROVED):
    return AppRequest.objects.create(
        agency=requester.agency,
        requester=requester,
        app_name=app_name,
        status=status,
        agreement=agreement,
        product=product,
        **FIELDS,
    )


def test_the_sweeps_expiry_tells_each_teacher_once_and_the_list_changes(catalogues, district, people):
    product = factories.ProductFactory(name="Sunrise Math")
    agreement = make_agreement(agency=district, contractor=product.contractor, products=[product])
    ask(people[0], agreement, product, "Sunrise Math")
    ask(people[0], agreement, product, HOSTILE)  # the same teacher twice: one e-mail
    ask(people[1], agreement, product, "Sunrise")
    ask(people[2], agreement, product, "Sunrise", status=AppRequest.Status.WITHDRAWN)  # withdrew: not told
    assert public.approved_apps(district)[0].status == public.APPROVED

    assert agreement.pk in sweep_run(today=date(2027, 7, 1)).expired  # contract_end 2027-06-30
    assert [to for to, _ in told()] == [("t0@hometowncsd.org",), ("t1@hometowncsd.org",)]
    first = OutboundEmail.objects.get(template=TEMPLATE, to=["t0@hometowncsd.org"])
    assert "expired" in first.body_text and "/public/" in first.body_text and "/apps/" in first.body_text
    assert HOSTILE in first.body_text and HOSTILE not in first.body_html and ESCAPED in first.body_html
    assert public.approved_apps(district)[0].status == public.ENDED

    sweep_run(today=date(2027, 7, 2))  # the next day's sweep: nothing changes, nobody is told again
    sweep_run(today=date(2027, 7, 2))
    assert len(told()) == 2


def test_an_early_end_and_a_withdrawal_tell_the_teachers_once(catalogues, district, district_admin, people):
    ended, under_way = factories.ProductFactory(name="Comet"), factories.ProductFactory(name="Moonbeam")
    executed = make_agreement(agency=district, contractor=ended.contractor, products=[ended])
    in_review = make_agreement(
        agency=district, contractor=under_way.contractor, products=[under_way], status=S.SUBMITTED
    )
    ask(people[0], executed, ended, "Comet")
    ask(people[1], in_review, under_way, "Moonbeam", status=AppRequest.Status.IN_REVIEW)

    agreement_terminate(
        agreement=executed, actor=district_admin, effective_on=timezone.localdate(), basis="notice", reason="Ended."
    )
    move(in_review, S.WITHDRAWN, start=S.SUBMITTED)
    emails = OutboundEmail.objects.filter(template=TEMPLATE).order_by("to")
    assert [(e.to, "ended early" in e.body_text, "was withdrawn" in e.body_text) for e in emails] == [
        (["t0@hometowncsd.org"], True, False),
        (["t1@hometowncsd.org"], False, True),
    ]
    statuses = {app.name: app.status for app in public.approved_apps(district)}
    assert statuses == {"Comet": public.ENDED, "Moonbeam": public.NOT_APPROVED}


def test_nobody_is_told_while_another_agreement_in_effect_covers_the_app(catalogues, district, district_admin, people):
    product = factories.ProductFactory(name="Sunrise Math")
    old = make_agreement(agency=district, contractor=product.contractor, products=[product])
    renewal = make_agreement(agency=district, contractor=product.contractor, products=[product])
    ask(people[0], old, product, "Sunrise Math")
    agreement_terminate(
        agreement=old, actor=district_admin, effective_on=timezone.localdate(), basis="mutual", reason="Renewed."
    )
    assert told() == []
    (row,) = public.approved_apps(district)
    assert (row.status, row.agreement_id) == (public.APPROVED, renewal.pk)
