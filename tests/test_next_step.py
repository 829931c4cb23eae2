"""Issue 14, point 6: the agreement page's "Next step" box says, for every status and to each side, who has the
agreement, what they must do, and since when (the last change of status), with no query of its own
(agreements/views/next_step.py)."""

import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from agreements import render_jobs
from agreements.models import Agreement, AgreementDocument, RenderJob, StatusChange
from agreements.services import agreement_create, agreement_transition
from agreements.views.next_step import next_step
from exhibits.models import AnswerReuse
from exhibits.services import answers_reuse, submission_record

from .factories import csf
from .helpers import activate_totp, fill_complete
from .public_helpers import move, small_pdf

S = Agreement.Status
VENDOR = "Learning Tools, Inc."  # tests/personas.py: a name that ends with its own period
DISTRICT = "Hometown Central School District"

# status: (who has it, what the district's admin reads, what the vendor's editor reads: None, the same)
EXPECTED = {
    S.DRAFT: (f"the district {DISTRICT}", f"send the agreement to {VENDOR} to fill in Exhibits B, C and C.1", None),
    S.WITH_VENDOR: (
        f"the vendor {VENDOR}",
        f"{VENDOR} fills in Exhibits B, C and C.1 and submits them. Nothing is due from the district until then",
        "Fill in Exhibits B, C and C.1 and the subcontractors, then submit them to the district.",
    ),
    S.SUBMITTED: (
        f"the district {DISTRICT}",
        "Review the answers, comment beside any of them, then approve or request changes.",
        f"{DISTRICT} reviews your answers, then approves them or asks for changes. Nothing is due from you",
    ),
    S.APPROVED: (
        f"the vendor {VENDOR}",
        f"An admin of {VENDOR} signs first; then an admin of the district countersigns.",
        f"An admin of {VENDOR} signs the agreement; the district countersigns after.",
    ),
    S.VENDOR_SIGNED: (
        f"the district {DISTRICT}",
        "Countersign the agreement (with a code from your authenticator app); the portal then seals it.",
        f"{DISTRICT} countersigns; the portal then seals the executed DPA. Nothing is due from you.",
    ),
    S.EXECUTED: ("both parties, under the executed agreement", "The agreement is in force. Nothing is due now", None),
    S.EXPIRED: (
        f"the vendor {VENDOR}",
        f"The agreement expired: {VENDOR} returns or destroys the data and certifies its destruction",
        "The agreement expired: return or destroy the district&#x27;s data as the DPA requires (II.9)",
    ),
    S.TERMINATED: (
        f"the vendor {VENDOR}",
        f"The agreement was terminated: {VENDOR} returns or destroys the data",
        "The agreement was terminated: return or destroy the district&#x27;s data",
    ),
    S.CLOSED: ("nobody (nothing is due)", "Nothing is due: the vendor certified that the data is destroyed.", None),
    S.WITHDRAWN: ("nobody (nothing is due)", "Nothing is due: the district withdrew the agreement", None),
}


def store_signing_copy(agreement) -> None:
    """The copy to sign, as the worker stores it once an agreement is approved: until then the portal has it."""
    pdf = small_pdf()
    AgreementDocument.objects.create(
        agreement=agreement, kind=AgreementDocument.Kind.SIGNING_COPY, pdf=pdf, size=len(pdf), sha256="0" * 64,
        document_id=f"DPA-NEXTSTEP{agreement.pk:04d}",
    )  # fmt: skip


HOLDER_SIDE = {S.DRAFT: "district", S.SUBMITTED: "district", S.VENDOR_SIGNED: "district"}
HOLDER_SIDE |= dict.fromkeys((S.WITH_VENDOR, S.APPROVED, S.EXPIRED, S.TERMINATED), "vendor")


def box(page: str) -> dict:
    found = {}
    for part in ("holder", "todo", "since"):
        match = re.search(rf'id="next-step-{part}">(.*?)</dd>', page, re.S)
        assert match, page
        found[part] = " ".join(match.group(1).split())
    return found


@pytest.mark.parametrize("status", list(S))
def test_the_box_says_who_has_it_what_to_do_and_since_when(client, status, agreement, district_admin, vendor_editor):
    activate_totp(district_admin)
    move(agreement, status)
    if status == S.APPROVED:
        store_signing_copy(agreement)
    # Since when: the change that brought it to its status (a later change of another kind does not count).
    entered = StatusChange.objects.filter(agreement=agreement, to_status=status).latest()
    since = timezone.localtime(entered.created_at).isoformat()
    holder, district_todo, vendor_todo = EXPECTED[status]
    vendor_todo = vendor_todo or district_todo
    for side, user, todo in (("district", district_admin, district_todo), ("vendor", vendor_editor, vendor_todo)):
        client.force_login(user)
        response = client.get(reverse("agreement_detail", args=[agreement.pk]))
        if status == S.DRAFT and side == "vendor":
            assert response.status_code == 404  # a draft is hidden from the vendor: nothing to say to it
            continue
        found = box(response.text)
        yours = HOLDER_SIDE.get(status) == side
        assert found["holder"] == html.escape(holder, quote=True) + (
            ' <span class="badge text-bg-primary">you</span>' if yours else ""
        )
        assert todo in found["todo"], found["todo"]
        assert f'<time datetime="{since}">' in found["since"] and "(just now)" in found["since"]
        assert ".." not in found["holder"] + found["todo"]  # "Learning Tools, Inc." never ends with two periods


def test_changes_requested_the_vendor_is_told_to_make_them(client, agreement, vendor_editor, district_admin):
    move(agreement, S.SUBMITTED)
    agreement_transition(agreement=agreement, to_status=S.WITH_VENDOR, actor=district_admin, note="Fix C.1")
    client.force_login(vendor_editor)
    found = box(client.get(reverse("agreement_detail", args=[agreement.pk])).text)
    assert found["todo"].startswith(f"Make the changes that {DISTRICT} asked for")
    activate_totp(district_admin)
    client.force_login(district_admin)
    # Three hours later (the timeline moved back, in its order).
    StatusChange.objects.filter(agreement=agreement).update(created_at=F("created_at") - timedelta(hours=3))
    found = box(client.get(reverse("agreement_detail", args=[agreement.pk])).text)
    assert found["todo"].startswith(f"{VENDOR} changes its answers as you asked")
    assert found["since"].endswith("(3 hours ago)")  # since the district sent it back


def test_answers_carried_over_the_vendor_is_told_to_check_them(
    client, agreement, other_district, vendor, product, vendor_editor
):
    """A fast-tracked (or reused, or renewed) agreement starts with answers copied from another: the vendor's step is
    to check them, not to fill in exhibits already filled; once confirmed, the usual step."""
    source = agreement_create(agency=other_district, contractor=vendor, products=[product], framework=csf("1.1"))
    fill_complete(source)
    submission_record(agreement=source, actor=None)
    move(source, S.EXECUTED)
    move(agreement, S.WITH_VENDOR)
    answers_reuse(agreement=agreement, source=source, actor=vendor_editor)
    client.force_login(vendor_editor)
    found = box(client.get(reverse("agreement_detail", args=[agreement.pk])).text)
    assert re.fullmatch(
        rf'Check the \d+ answers marked "carried over" from your agreement with {re.escape(other_district.name)}, '
        r"executed [A-Z][a-z]+ \d+, \d{4}: change what differs for this agreement, fill in what is missing, then "
        r"submit them to the district\.",
        html.unescape(found["todo"]),
    ), found["todo"]
    AnswerReuse.objects.filter(agreement=agreement).update(confirmed_at=timezone.now(), confirmed_by=vendor_editor)
    found = box(client.get(reverse("agreement_detail", args=[agreement.pk])).text)
    assert found["todo"] == "Fill in Exhibits B, C and C.1 and the subcontractors, then submit them to the district."


def test_each_role_reads_its_own_part(client, agreement, district_reviewer, vendor_admin, with_totp):
    move(agreement, S.SUBMITTED)
    client.force_login(district_reviewer)
    todo = box(client.get(reverse("agreement_detail", args=[agreement.pk])).text)["todo"]
    assert todo.startswith("Review the answers and comment beside any of them; an admin of the district")
    move(agreement, S.APPROVED, start=S.SUBMITTED)
    store_signing_copy(agreement)
    with_totp(vendor_admin)
    client.force_login(vendor_admin)
    todo = box(client.get(reverse("agreement_detail", args=[agreement.pk])).text)["todo"]
    assert todo.startswith("Sign the agreement (with a code from your authenticator app)")


def test_while_the_copy_to_sign_is_prepared_or_given_up_nobody_is_asked_to_sign(
    client, agreement, district_admin, vendor_admin, with_totp
):
    move(agreement, S.APPROVED)
    with_totp(vendor_admin)
    activate_totp(district_admin)
    client.force_login(vendor_admin)
    found = box(client.get(reverse("agreement_detail", args=[agreement.pk])).text)
    assert found["holder"] == "the portal (preparing the copy to sign)"
    assert found["todo"].startswith("The portal prepares the copy to sign (below); then an admin of") and (
        "Sign the agreement" not in found["todo"]
    )
    now = timezone.now()
    RenderJob.objects.create(
        agreement=agreement, kind=AgreementDocument.Kind.SIGNING_COPY, attempts=render_jobs.MAX_ATTEMPTS,
        started_at=now - timedelta(minutes=2), failed_at=now - timedelta(minutes=1), given_up_at=now,
        last_error="Rendering took longer than 120 seconds and was stopped.",
    )  # fmt: skip
    for user, todo in (
        (vendor_admin, "an admin of the district decides what happens next."),
        (district_admin, "send the agreement back to the vendor to change an unusually long or odd answer"),
    ):
        client.force_login(user)
        found = box(client.get(reverse("agreement_detail", args=[agreement.pk])).text)
        assert found["holder"].startswith(f"the district {html.escape(DISTRICT)}") and todo in found["todo"], found


def test_once_both_signed_the_portal_has_it_and_nothing_is_asked_of_anyone(agreement, django_assert_num_queries):
    move(agreement, S.VENDOR_SIGNED)
    timeline = list(agreement.status_changes.select_related("actor"))
    countersigned = timezone.now()
    signatures = [
        SimpleNamespace(side="vendor", signed_at=None),
        SimpleNamespace(side="district", signed_at=countersigned),
    ]
    with django_assert_num_queries(0):  # from the timeline the page reads anyway
        for side in ("district", "vendor"):
            step = next_step(agreement, side=side, role="admin", timeline=timeline, signatures=signatures)
            assert step.holder == "portal" and not step.yours
            assert step.holder_label == "the portal (sealing the executed DPA)"
            assert step.todo.endswith("Nothing is due from either party.")
            assert step.since == countersigned  # since the district countersigned


def test_a_draft_is_the_districts_even_as_the_vendor_would_read_it(agreement):
    """The vendor never sees a draft (404 above); the rule still says whose it is."""
    timeline = list(agreement.status_changes.all())
    step = next_step(agreement, side="vendor", role="editor", timeline=timeline, signatures=[])
    assert step.holder == "district" and "nothing is due from you yet" in step.todo
    assert step.since == timeline[-1].created_at
