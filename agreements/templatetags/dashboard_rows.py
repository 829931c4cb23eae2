"""The rows of a dashboard's table (agreements/_agreement_table.html), written by one tag: the dozen template nodes of
each of its 25 rows were most of the time the district's dashboard took to render (issue 13). The markup is the one
the template had, byte for byte; every value is escaped."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from .portal import short_date

register = template.Library()


def _term(row) -> str:
    if row["runs_until_terminated"]:
        return "until terminated"
    if row["contract_end"]:
        return escape(short_date(row["contract_end"]))
    return '<span class="text-danger">to be given</span>'


def _row(row, show_vendor: bool) -> str:
    name = row["vendor"] if show_vendor else row["district"]
    kind = "" if row["kind"] == "new" else f' <span class="text-body-secondary">({escape(row["kind_label"])})</span>'
    products = ", ".join(escape(product) for product in row["product_names"])
    changed = escape(short_date(template_localtime(row["status_changed_at"])))
    return f"""
    <tr>
      <td><a href="{escape(row["url"])}">{escape(name)}</a>{kind}</td>
      <td>{products}</td>
      <td><span class="badge rounded-pill status-{escape(row["status"])}">{escape(row["status_label"])}</span></td>
      <td>{_term(row)}</td>
      <td>{changed}</td>
    </tr>
  """


@register.simple_tag
def agreement_rows(rows, show_vendor) -> str:
    """The <tr> of each row of `selectors.dashboard_page` (dicts of `_listed`), naming the vendor if `show_vendor`
    (the district's dashboard), else the district (the vendor's)."""
    return mark_safe("".join(_row(row, show_vendor) for row in rows))  # noqa: S308 -- each value escaped above
