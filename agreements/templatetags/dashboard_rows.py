"""The rows of a dashboard's table (agreements/_agreement_table.html), written by one tag: the dozen template nodes of
each of its 25 rows were most of the time the district's dashboard took to render (issue 13). The markup is the one
the template had, byte for byte (tests/test_dashboard_rows.py renders both); every value is escaped."""

from html import escape  # what django.utils.html.escape does, without its lazy-string wrapper: seven a row

from django import template
from django.utils.dates import MONTHS_3
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

register = template.Library()


def _short_date(value, months: dict) -> str:
    """portal.short_date ("Dec 1, 2026"), with the month's abbreviations translated once for the table."""
    return f"{months[value.month]} {value.day}, {value.year:04d}" if value else ""


def _term(row, months: dict) -> str:
    if row["runs_until_terminated"]:
        return "until terminated"
    if row["contract_end"]:
        return escape(_short_date(row["contract_end"], months))
    return '<span class="text-danger">to be given</span>'


def _row(row, show_vendor: bool, months: dict) -> str:
    name = row["vendor"] if show_vendor else row["district"]
    kind = "" if row["kind"] == "new" else f' <span class="text-body-secondary">({escape(row["kind_label"])})</span>'
    products = ", ".join(escape(product) for product in row["product_names"])
    changed = escape(_short_date(template_localtime(row["status_changed_at"]), months))
    return f"""
    <tr>
      <td><a href="{escape(row["url"])}">{escape(name)}</a>{kind}</td>
      <td>{products}</td>
      <td><span class="badge rounded-pill status-{escape(row["status"])}">{escape(row["status_label"])}</span></td>
      <td>{_term(row, months)}</td>
      <td>{changed}</td>
    </tr>
  """


@register.simple_tag
def agreement_rows(rows, show_vendor) -> str:
    """The <tr> of each row of `selectors.dashboard_page` (dicts of `_listed`), naming the vendor if `show_vendor`
    (the district's dashboard), else the district (the vendor's)."""
    months = {number: str(name).title() for number, name in MONTHS_3.items()}  # in the page's language
    return mark_safe("".join(_row(row, show_vendor, months) for row in rows))  # noqa: S308 -- each value escaped above
