"""What a dashboard's rows show and in what order, now that a page's ids are sliced in a subquery and only those rows
are joined to their district and vendor, with their products' names read in one query (issue 13); and the district
dashboard's counts, which say in the same query whether there are drafts lacking a term or agreements signed outside
the portal to list."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements import selectors
from agreements.models import Agreement, StatusChange
from exhibits.models import Framework

from . import factories
from .helpers import TERM, with_totp

S = Agreement.Status
START = timezone.now() - timedelta(days=100)


@pytest.fixture
def rows(catalogues, district, vendor, other_district):
    """30 agreements of `district` with `vendor`, each changed a day after the one before (the last is the newest), all
    sent to the vendor; the first has three products (one name to escape), the second none, the others one. One more
    of `other_district`, which neither list shows to the district."""
    framework = Framework.objects.order_by("pk").first()
    products = {
        name: factories.ProductFactory(contractor=vendor, name=name)
        for name in ["Reading Coach", "<b>Bold</b> & Co", "Math Coach", "Spelling"]
    }
    made = []
    for n in range(30):
        agreement = Agreement.objects.create(
            agency=district,
            contractor=vendor,
            framework=framework,
            status=S.EXECUTED if n % 2 else S.SUBMITTED,
            status_changed_at=START + timedelta(days=n),
            kind=Agreement.Kind.RENEWAL if n == 3 else Agreement.Kind.NEW,
            previous=made[0] if n == 3 else None,
            **TERM,
        )
        StatusChange.objects.create(agreement=agreement, from_status=S.DRAFT, to_status=S.WITH_VENDOR)
        made.append(agreement)
    made[0].products.set([products["Reading Coach"], products["<b>Bold</b> & Co"], products["Math Coach"]])
    for agreement in made[2:]:
        agreement.products.set([products["Spelling"]])
    Agreement.objects.create(agency=other_district, contractor=vendor, framework=framework, **TERM)
    return made


def _listed(page: str) -> list[int]:
    """The agreements a dashboard's table links to, in its order; each link is the agreement's page."""
    links = re.findall(r'<tr>\s*<td><a href="([^"]+)">', page)
    listed = [int(re.search(r"/(\d+)/$", link).group(1)) for link in links]
    assert links == [reverse("agreement_detail", args=[pk]) for pk in listed]
    return listed


def _row(page: str, agreement) -> str:
    url = reverse("agreement_detail", args=[agreement.pk])
    return re.search(rf'<tr>\s*<td><a href="{url}">.*?</tr>', page, re.S).group(0)


def test_the_district_dashboard_lists_its_rows_newest_change_first_page_after_page(client, district, rows):
    client.force_login(with_totp(factories.DistrictMembershipFactory(agency=district).user))
    url = reverse("district_dashboard", args=[district.slug])
    newest_first = [a.pk for a in reversed(rows)]

    first, second = client.get(url).text, client.get(url, {"page": 2}).text
    assert _listed(first) == newest_first[:25] and _listed(second) == newest_first[25:]
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    # Filtered (and so the ids of all that match read in one query, then counted and sliced), the same order.
    executed = [a.pk for a in reversed(rows) if a.status == S.EXECUTED]
    assert _listed(client.get(url, {"status": "executed"}).text) == executed
    assert _listed(client.get(url, {"q": "Spelling", "page": 2}).text) == [a.pk for a in reversed(rows[2:])][25:]


def test_a_row_shows_its_products_in_order_escaped_its_vendor_status_term_and_last_change(client, district, rows):
    client.force_login(with_totp(factories.DistrictMembershipFactory(agency=district).user))
    url = reverse("district_dashboard", args=[district.slug])
    page = client.get(url, {"page": 2}).text
    first, without_products = _row(page, rows[0]), _row(page, rows[1])
    assert "<td>&lt;b&gt;Bold&lt;/b&gt; &amp; Co, Math Coach, Reading Coach</td>" in first
    assert '<span class="badge rounded-pill status-submitted">Submitted</span>' in first
    assert f">{rows[0].contractor.legal_name}</a></td>" in first
    assert f"<td>Jun 30, 2027</td>\n      <td>{timezone.localtime(START):%b} {timezone.localtime(START).day}," in first
    assert "<td></td>" in without_products and "status-executed" in without_products
    renewal = _row(page, rows[3])
    assert '<span class="text-body-secondary">(Renewal)</span>' in renewal


def test_the_vendor_dashboard_lists_the_same_rows_with_their_district(client, district, vendor, rows):
    client.force_login(factories.ContractorMembershipFactory(contractor=vendor).user)
    url = reverse("vendor_dashboard", args=[vendor.slug])
    page = client.get(url).text
    assert _listed(page) == [a.pk for a in reversed(rows)][:25]
    assert f">{district.name}</a></td>" in _row(page, rows[-1])
    assert "<td>Spelling</td>" in _row(page, rows[-1])


def test_the_district_counts_say_what_the_lists_behind_them_hold(district, rows):
    counts, missing_term, signed_outside, _ = selectors.district_counts(agency=district)
    assert counts == selectors.status_counts(agency=district)
    assert (missing_term, signed_outside) == (0, 0)
    # Drafts lacking a term: counted as the dashboard's list finds them; a complete draft and one sent are not.
    drafts = rows[:3]
    Agreement.objects.filter(pk__in=[a.pk for a in drafts]).update(status=S.DRAFT)
    Agreement.objects.filter(pk=drafts[0].pk).update(contract_end=None)
    Agreement.objects.filter(pk=drafts[1].pk).update(
        contract_end=None, runs_until_terminated=True, review_on=date(2027, 5, 1)
    )
    Agreement.objects.filter(pk=rows[5].pk).update(service_agreement_date=None)  # not a draft
    counts, missing_term, _, _ = selectors.district_counts(agency=district)
    assert counts == selectors.status_counts(agency=district)
    assert missing_term == len(selectors.agreements_missing_term(agency=district)) == 1


def test_the_undelivered_emails_are_counted_and_listed_only_when_there_are_some(client, district, district_admin, rows):
    from agreements.models import OutboundEmail

    client.force_login(with_totp(district_admin))
    url = reverse("district_dashboard", args=[district.slug])
    with CaptureQueriesContext(connection) as read:
        client.get(url)
    # None to list: the count says so, and the outbox is not read again (the ORM names its table in quotes).
    assert not [q["sql"] for q in read.captured_queries if '"agreements_outboundemail"' in q["sql"]]
    Status = OutboundEmail.Status
    for n, status in enumerate([Status.FAILED, Status.GIVEN_UP, Status.SENT, Status.QUEUED]):
        OutboundEmail.objects.create(to=["v@example.org"], subject=f"Mail {n}", status=status, agreement=rows[n])
    OutboundEmail.objects.create(to=["o@example.org"], subject="Theirs", status=Status.FAILED, agreement=rows[-1])
    OutboundEmail.objects.filter(subject="Theirs").update(agreement=Agreement.objects.exclude(agency=district).first())
    assert selectors.district_counts(agency=district).undelivered == 2
    page = client.get(url).text
    assert "E-mails that did not go out" in page and "Mail 0" in page and "Mail 1" in page
    assert "Mail 2" not in page and "Theirs" not in page


def test_agreements_signed_outside_the_portal_are_counted_once_each(district, rows):
    from agreements.models import OutsideSigning

    for n, agreement in enumerate(rows[4:7]):
        OutsideSigning.objects.create(agreement=agreement, uploaded_by_name="Admin", source_key=f"{n:064x}")
    counts, _, signed_outside, _ = selectors.district_counts(agency=district)
    assert signed_outside == 3 and sum(n for _, _, n in counts) == len(rows)  # the join repeats no agreement


def test_the_counts_and_a_page_of_rows_with_their_products_take_a_query_each(district, rows, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = selectors.district_counts(agency=district).statuses
    with django_assert_num_queries(1):  # unfiltered: how many there are is read from the counts
        page = selectors.dashboard_page(
            selectors.agreement_list(agency=district), counts=counts, filters={}, number=2, per_page=25
        )
    assert [row["pk"] for row in page.object_list] == [a.pk for a in reversed(rows)][25:]
    assert page.object_list[-1]["product_names"] == ["<b>Bold</b> & Co", "Math Coach", "Reading Coach"]
    assert page.object_list[-2]["product_names"] == []


@pytest.mark.parametrize("language", ["en", "es"])
def test_short_date_writes_what_the_date_filter_writes(language):
    from django.template import Context, Template
    from django.utils import translation

    days = [date(2026, m, d) for m in range(1, 13) for d in (1, 9, 28)] + [date(999, 5, 2)]
    # Aware datetimes either side of midnight in New York (TIME_ZONE), where the day and even the year differ in UTC.
    moments = [datetime(2027, 1, 1, 3, 30, tzinfo=UTC), datetime(2026, 6, 30, 23, 59, tzinfo=UTC)]
    values = [*days, *moments, None, ""]
    django_date = Template('{% for v in values %}{{ v|date:"M j, Y" }}|{% endfor %}')
    short = Template("{% load portal %}{% for v in values %}{{ v|short_date }}|{% endfor %}")
    with translation.override(language):
        written = short.render(Context({"values": values}))
        assert written == django_date.render(Context({"values": values}))
    assert "Dec 31, 2026|" in written or "Dic 31, 2026|" in written  # 03:30 UTC on Jan 1 is still Dec 31 in New York


# The template's rows as they were before one tag wrote them (templatetags/dashboard_rows.py): the tag must write
# the same bytes, whatever a row holds.
TEMPLATE_ROWS = """{% load portal %}{% for a in rows %}
    <tr>
      <td><a href="{{ a.url }}">{% if show_vendor %}{{ a.vendor }}{% else %}{{ a.district }}{% endif %}</a>{% if a.kind != "new" %} <span class="text-body-secondary">({{ a.kind_label }})</span>{% endif %}</td>
      <td>{{ a.product_names|join:", " }}</td>
      <td><span class="badge rounded-pill status-{{ a.status }}">{{ a.status_label }}</span></td>
      <td>{% if a.runs_until_terminated %}until terminated{% elif a.contract_end %}{{ a.contract_end|short_date }}{% else %}<span class="text-danger">to be given</span>{% endif %}</td>
      <td>{{ a.status_changed_at|short_date }}</td>
    </tr>
  {% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("show_vendor", [True, False])
def test_the_rows_tag_writes_what_the_template_wrote(language, show_vendor):
    from django.template import Context, Template
    from django.utils import translation

    def row(pk, **values):
        return {
            "pk": pk,
            "url": f"/agreements/{pk}/",
            "kind": "new",
            "kind_label": "New agreement",
            "status": "executed",
            "status_label": "Executed",
            "status_changed_at": datetime(2027, 1, 1, 3, 30, tzinfo=UTC),  # still Dec 31 in New York
            "contract_end": date(2027, 6, 30),
            "runs_until_terminated": False,
            "vendor": 'Acme <Learning> & "Co"',
            "district": "O'Brien School District",
            "product_names": ["<b>Bold</b> & Co", "Math Coach"],
            **values,
        }

    rows = [
        row(1),
        row(2, kind="renewal", kind_label="Renewal", product_names=[]),
        row(3, runs_until_terminated=True, contract_end=None, status="draft", status_label="Draft"),
        row(4, contract_end=None),
        row(
            5, kind="amendment", kind_label="Amendment <1>", status_changed_at=datetime(2026, 6, 30, 23, 59, tzinfo=UTC)
        ),
    ]
    context = {"rows": rows, "show_vendor": show_vendor}
    tag = Template("{% load dashboard_rows %}{% agreement_rows rows show_vendor %}")
    with translation.override(language):
        written = tag.render(Context(context))
        assert written == Template(TEMPLATE_ROWS).render(Context(context))
    assert "until terminated" in written and "to be given" in written and "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in written
