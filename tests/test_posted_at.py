"""When an agreement was posted is stored on it (issue 13): set once, when it is executed, and kept when it ends."""

from agreements.models import Agreement, StatusChange
from agreements.services import agreement_transition

from .public_helpers import make_agreement

S = Agreement.Status


def test_posted_at_is_when_it_was_executed_and_stays_when_it_ends(district, vendor, product, catalogues):
    agreement = make_agreement(agency=district, contractor=vendor, products=[product])
    agreement.refresh_from_db()
    executed = StatusChange.objects.get(agreement=agreement, to_status=S.EXECUTED)
    assert agreement.posted_at == executed.created_at
    agreement_transition(agreement=agreement, to_status=S.EXPIRED)
    agreement.refresh_from_db()
    assert (agreement.status, agreement.posted_at) == (S.EXPIRED, executed.created_at)


def test_a_draft_is_not_posted(district, vendor, product, catalogues):
    agreement = make_agreement(agency=district, contractor=vendor, products=[product], status=S.DRAFT)
    agreement.refresh_from_db()
    assert agreement.posted_at is None
