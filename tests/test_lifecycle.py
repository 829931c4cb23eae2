"""The lifecycle table and its guarded, logged transitions."""

import itertools

import pytest

from agreements.models import Agreement, StatusChange
from agreements.services import ALLOWED_TRANSITIONS, agreement_create, agreement_transition
from dpa_portal.errors import ApplicationError

from . import factories

S = Agreement.Status

HAPPY_PATH = [
    S.WITH_VENDOR,
    S.SUBMITTED,
    S.WITH_VENDOR,
    S.SUBMITTED,
    S.APPROVED,
    S.VENDOR_SIGNED,
    S.EXECUTED,
    S.EXPIRED,
    S.CLOSED,
]


def test_every_status_has_a_row_in_the_table():
    assert set(ALLOWED_TRANSITIONS) == set(S.values)
    assert all(target in S.values for targets in ALLOWED_TRANSITIONS.values() for target in targets)


def test_creation_is_logged(agreement, district_admin):
    change = agreement.status_changes.get()
    assert (change.from_status, change.to_status, change.actor) == ("", S.DRAFT, district_admin)


def test_whole_life_is_logged_in_order(agreement, district_admin, vendor_editor):
    for to_status in HAPPY_PATH:
        agreement_transition(agreement=agreement, to_status=to_status, actor=vendor_editor, note=f"to {to_status}")
    agreement.refresh_from_db()
    assert agreement.status == S.CLOSED
    steps = list(agreement.status_changes.values_list("from_status", "to_status", "note"))
    assert [to for _, to, _ in steps] == [S.DRAFT, *HAPPY_PATH]
    assert all(prev_to == frm for (_, prev_to, _), (frm, _, _) in itertools.pairwise(steps))
    assert steps[-1][2] == "to closed"


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], S.EXECUTED),  # a draft cannot skip signing
        ([S.WITH_VENDOR], S.APPROVED),  # nothing submitted yet
        ([S.WITH_VENDOR, S.SUBMITTED, S.APPROVED, S.VENDOR_SIGNED, S.EXECUTED], S.WITHDRAWN),  # executed is final
        ([S.WITHDRAWN], S.WITH_VENDOR),
    ],
)
def test_illegal_steps_raise_a_clear_error_and_change_nothing(agreement, path, illegal):
    for to_status in path:
        agreement_transition(agreement=agreement, to_status=to_status)
    before = agreement.status_changes.count()
    with pytest.raises(ApplicationError, match="cannot become"):
        agreement_transition(agreement=agreement, to_status=illegal)
    agreement.refresh_from_db()
    assert agreement.status == (path[-1] if path else S.DRAFT)
    assert agreement.status_changes.count() == before


def test_a_stale_copy_cannot_repeat_a_step(agreement):
    """Two people acting on the same page: the second step is checked against the database, not the copy."""
    stale = Agreement.objects.get(pk=agreement.pk)
    agreement_transition(agreement=agreement, to_status=S.WITHDRAWN)
    with pytest.raises(ApplicationError):
        agreement_transition(agreement=stale, to_status=S.WITH_VENDOR)
    assert StatusChange.objects.filter(agreement=agreement, to_status=S.WITH_VENDOR).count() == 0


def test_products_of_another_vendor_are_refused(catalogues, district, vendor, other_vendor):
    foreign = factories.ProductFactory(contractor=other_vendor)
    with pytest.raises(ApplicationError, match="not a product of"):
        agreement_create(agency=district, contractor=vendor, framework=factories.csf("1.1"), products=[foreign])
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "next_start", "next_end"),
    [
        ("2026-07-01", "2027-06-30", "2027-07-01", "2028-06-30"),  # a school year, across a leap day
        ("2024-01-01", "2024-12-31", "2025-01-01", "2025-12-31"),
        ("2026-09-01", "2026-11-30", "2026-12-01", "2027-02-28"),  # three months
        ("2026-01-10", "2026-01-19", "2026-01-20", "2026-01-29"),  # ten days
    ],
)
def test_a_renewal_term_follows_the_old_one_for_as_long(start, end, next_start, next_end):
    from datetime import date

    from agreements.services import renewal_term

    term = renewal_term(date.fromisoformat(start), date.fromisoformat(end))
    assert term == (date.fromisoformat(next_start), date.fromisoformat(next_end))
