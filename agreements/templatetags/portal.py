from django import template
from django.urls import reverse
from django.utils.dates import MONTHS_3
from django.utils.html import format_html

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key], or an empty list when absent: for looking up comments by place in templates."""
    return mapping.get(key, []) if mapping else []


@register.simple_tag
def carried_badge(carried, section, *keys):
    """A "carried over" badge when any of the answers `keys` of `section` still holds a carried-over value."""
    if any((str(section), key) in carried for key in keys):
        return carried_label(carried)
    return ""


@register.simple_tag
def carried_label(carried):
    """The badge of answers still as copied (exhibits.selectors.carried_answers): where they came from, or that the
    vendor confirmed them (issue 16.2). The review page puts it on each row holding one."""
    if carried.title:
        return format_html(
            '<span class="badge text-bg-info text-wrap" title="{}">{}</span>', carried.title, carried.badge
        )
    return format_html('<span class="badge text-bg-info text-wrap">{}</span>', carried.badge)


@register.filter
def yesno_answer(value):
    return "Yes" if value is True else "No" if value is False else "Not answered"


# Where the vendor answers each section (see exhibits/urls.py).
_EDIT_PAGES = {
    "exhibit_b": "exhibit_b",
    "subcontractors": "exhibit_subcontractors",
    "exhibit_c": "exhibit_c",
    "exhibit_c1": "exhibit_c1",
}


@register.simple_tag
def missing_url(missing, agreement) -> str:
    """The page and field where a missing answer is given, e.g. /agreements/7/exhibit-c1/#csf-PR.DS."""
    page = _EDIT_PAGES.get(missing.section)
    base = reverse(page, args=[agreement.pk]) if page else reverse("agreement_detail", args=[agreement.pk])
    return f"{base}#{missing.anchor}"


@register.filter
def rule_days(kind: str, which: str = "calendar") -> int | None:
    """The number of days a deadline rule sets (agreements/deadlines/rules.py), so that a page never writes its own:
    {{ "breach_nysed"|rule_days }}, {{ "breach_notice"|rule_days:"business" }},
    {{ "breach_parents"|rule_days:"delayed" }}.
    """
    from agreements.deadlines.rules import RULES

    rule = RULES[kind]
    if which == "delayed":
        return rule.delayed_days
    return next(c.days for c in rule.clocks if c.day_kind == which)


@register.simple_tag
def max_length(model: str, field: str) -> int:
    """The length limit of a field, for a form that a template writes by hand:
    {% max_length "exhibits.ReviewComment" "body" %} gives the number the model holds (issue 10; dpa_portal/lengths.py),
    so that no page writes its own."""
    from django.apps import apps

    from dpa_portal import lengths

    return lengths.max_length(apps.get_model(model), field)


@register.filter(expects_localtime=True)
def short_date(value) -> str:
    """{{ value|date:"M j, Y" }} ("Dec 1, 2026", the month's abbreviation in the page's language), written out: the
    dashboards show two a row on every request, and Django's date filter, which parses its format each time, was a
    quarter of their table's rendering (issue 13). tests/test_dashboard_rows.py checks that both give the same."""
    if not value:
        return ""
    return f"{MONTHS_3[value.month].title()} {value.day}, {value.year:04d}"
