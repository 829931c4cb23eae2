"""One source for every legal day count (issue 9): agreements/deadlines/rules.py. The services compute due dates from
it, the pages and the README state what it says, and the DPA's own wording agrees with it."""

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from agreements.deadlines import rules, services
from agreements.deadlines.calendar import BUSINESS, CALENDAR, add_days
from agreements.deadlines.rules import RULES
from agreements.models import Obligation
from exhibits.models import SupplementalInformation

from .public_helpers import make_agreement
from .test_deadlines import breach_facts

ROOT = Path(__file__).resolve().parent.parent
K = Obligation.Kind


@pytest.fixture
def executed(catalogues, district, vendor, product, district_admin):
    return make_agreement(agency=district, contractor=vendor, products=[product])


def _breach(vendor, vendor_editor, executed, today):
    return services.breach_report_file(
        contractor=vendor,
        actor=vendor_editor,
        agreements=[executed],
        **breach_facts(today, discovery_date=today - timedelta(days=1)),
    )


def test_every_duty_opened_by_a_service_is_due_when_its_rule_says(
    executed, vendor, vendor_editor, district_admin, monkeypatch
):
    """Each rule's clocks, applied by hand, give the date the service stored. A rule changed without its service (or
    a service that counts its own days) fails here."""
    today = timezone.localdate()
    report = _breach(vendor, vendor_editor, executed, today)
    duties = {o.kind: o for o in report.obligations.all()}
    discovered = today - timedelta(days=1)
    notice_clocks = RULES[K.BREACH_NOTICE].clocks
    assert {c.day_kind for c in notice_clocks} == {CALENDAR, BUSINESS}
    assert duties[K.BREACH_NOTICE].due_on == min(add_days(discovered, c.days, c.day_kind) for c in notice_clocks)
    assert duties[K.BREACH_NYSED].due_on == today + timedelta(days=RULES[K.BREACH_NYSED].days)
    assert duties[K.BREACH_PARENTS].due_on == today + timedelta(days=RULES[K.BREACH_PARENTS].days)

    parents = services.parent_notice_delay(
        obligation=duties[K.BREACH_PARENTS], actor=district_admin, reason="vulnerability", note="Unpatched."
    )
    parents = services.parent_notice_remedied(obligation=parents, actor=district_admin, remedied_on=today)
    assert parents.due_on == today + timedelta(days=RULES[K.BREACH_PARENTS].delayed_days)
    assert f"within {RULES[K.BREACH_PARENTS].delayed_days} calendar days" in parents.due_explanation

    def request(kind, received_on=today):
        made = services.parent_request_record(
            agency=executed.agency, actor=district_admin, kind=kind, requester="parent", agreement=executed,
            received_on=received_on, details="Please.",
        )  # fmt: skip
        return made.obligations.get()

    assert request("access").due_on == today + timedelta(days=RULES[K.ACCESS].days)
    received = today - timedelta(days=5)
    assert request("complaint", received).due_on == received + timedelta(days=RULES[K.COMPLAINT].days)
    # Exhibit B's own number governs a correction; the model DPA's default is the rule's.
    default = SupplementalInformation._meta.get_field("correction_days").default
    assert default == RULES[K.CORRECTION].default_days
    assert SupplementalInformation.objects.get(agreement=executed).correction_days == default
    assert request("correction").due_on == today + timedelta(days=default)


def test_the_end_of_a_term_opens_return_or_destruction_when_its_rule_says(executed):
    from agreements.deadlines.models import DeadlinePolicy

    ended_on = timezone.localdate() - timedelta(days=1)
    duty = services.return_destroy_obligation(executed, ended_on=ended_on, agency=executed.agency)
    assert duty.due_on == ended_on + timedelta(days=RULES[K.RETURN_DESTROY].default_days)
    assert DeadlinePolicy._meta.get_field("destruction_days").default == RULES[K.RETURN_DESTROY].default_days
    assert DeadlinePolicy(agency=executed.agency).reminders == sorted(RULES[K.TERM_END].reminders, reverse=True)


def test_no_service_writes_a_legal_number_of_its_own():
    """The numbers of the rules appear in no deadline code but rules.py (nor do the pages' templates spell them)."""
    legal = {c.days for r in RULES.values() for c in r.clocks} | {
        n for r in RULES.values() for n in (r.delayed_days, r.default_days, r.review_days) if n
    }
    deadlines = ROOT / "agreements" / "deadlines"
    modules = [deadlines / m for m in ("sweep.py", "views.py", "selectors.py", "models.py", "forms.py")]
    modules += sorted((deadlines / "services").glob("*.py"))
    assert len(modules) > 6
    for path in modules:
        module = path.relative_to(deadlines)
        tree = ast.parse(path.read_text())
        sizes = {  # a field's size is not a day count
            id(k.value) for node in ast.walk(tree) if isinstance(node, ast.Call) for k in node.keywords
            if k.arg in ("max_length", "max_digits", "decimal_places")
        }  # fmt: skip
        numbers = {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and type(node.value) is int and node.value in legal
            and id(node) not in sizes
        }  # fmt: skip
        assert not numbers, f"agreements/deadlines/{module} writes {sorted(numbers)}: read them from rules.RULES"
    for template in (ROOT / "templates" / "deadlines").glob("*"):
        text = template.read_text()
        spelled = re.findall(r"\b(\d+) (?:calendar|business) days", text)
        assert not spelled, f"{template.name} spells {spelled}: use the rule_days filter"


def test_the_pages_state_the_rules_numbers(district):
    text = render_to_string("deadlines/district_requests.html", {"agency": district, "requests": []})
    assert f"within {RULES[K.ACCESS].days} calendar days (DPA Article III.1)" in text
    assert f"findings within {RULES[K.COMPLAINT].days} calendar days" in text
    for kind, rule in RULES.items():
        assert "{" not in rule.text, f"{kind}: a placeholder was left unfilled"
        for clock in rule.clocks:
            assert str(clock.days) in rule.text


def test_the_dpa_wording_agrees_with_the_rules():
    """The model DPA's own numbers (II.12(a): seven business days; III.1: thirty calendar days) are the clocks'."""
    dpa = (ROOT / "templates" / "dpa" / "dpa.html").read_text()
    business = next(c for c in RULES[K.BREACH_NOTICE].clocks if c.day_kind == BUSINESS)
    assert re.search(rf"\({business.days}\) business days after discovery of the Breach", dpa)
    assert re.search(rf"\({RULES[K.ACCESS].days}\) calendar days to the EA's requests for access", dpa)


README_ROWS = {
    "notify the district of a breach": K.BREACH_NOTICE,
    "report the breach to NYSED's Chief Privacy Officer": K.BREACH_NYSED,
    "notify affected parents, students, teachers, principals": K.BREACH_PARENTS,
    "answer an access request": K.ACCESS,
    "facilitate a correction": K.CORRECTION,
    "findings on a complaint": K.COMPLAINT,
    "end of the contract term": K.TERM_END,
    "return or destroy the data, certify it": K.RETURN_DESTROY,
    "notify that a subcontractor failed to comply and its access was removed": K.SUBCONTRACTOR_NOTICE,
    "notify of a court order or subpoena before disclosure": K.SUBPOENA_NOTICE,
    "confirm that staff with access were trained": K.TRAINING,
    "refer a parent who contacted the vendor directly": K.PARENT_REFERRAL,
    "reimburse the district's notification costs after a breach": K.REIMBURSEMENT,
}


def test_the_readme_table_says_what_the_rules_say():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Deadlines", 1)[1].split("\n\n")[2]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    assert {row[0] for row in rows} == set(README_ROWS), "every tracked duty has one row, and only those"
    for duty, owed_by, due, source in rows:
        rule = RULES[README_ROWS[duty]]
        if README_ROWS[duty] != K.TERM_END:  # owed by both in the README's words
            assert owed_by == rule.owed_by, duty
        expected = sorted(
            [c.days for c in rule.clocks]
            + [n for n in (rule.delayed_days, rule.default_days, rule.review_days) if n]
            + (list(rule.reminders) if README_ROWS[duty] == K.TERM_END else [])
        )
        assert sorted(int(n) for n in re.findall(r"\b\d+\b", due)) == expected, duty
        short = rule.source.replace("8 NYCRR ", "").replace("Article ", "").split(",")[0].split(";")[0]
        assert short.split(" (")[0].rstrip(")") in source.replace("8 NYCRR ", ""), duty


def test_rules_that_set_no_fixed_limit_say_so():
    with pytest.raises(KeyError):
        rules.limit(K.CORRECTION)
    assert rules.limit(K.ACCESS) == RULES[K.ACCESS].days
