"""The status and the contract term of a public record, as one tag each: a district's list shows both on each of its
fifty cards, where an include with its translated sentences and date filters was most of a cold page's time. The
sentences are the ones the templates had (the same messages in the translations)."""

from django import template
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from agreements.models import Agreement

register = template.Library()


def _date(value) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


def _sentence(message: str, **values) -> str:
    """A translated sentence with its values escaped (as {% blocktranslate %} does)."""
    return message % {name: escape(value) for name, value in values.items()}


@register.simple_tag
def status(r):
    """The status of a public record (PublicAgreement or Listing), and what ended or replaced it."""
    parts = [format_html('<span class="public-status public-status-{}">{}</span>', r.status, r.status_label)]
    notes = []
    if r.ended_early_on:
        notes.append(_sentence(_("Ended early on %(date)s."), date=_date(r.ended_early_on)))
    if r.replaced_by and r.status == Agreement.Status.EXECUTED:
        notes.append(escape(_("A later agreement supersedes it.")))
    if r.destruction_certified_on:
        message = _("The vendor certified that the data was destroyed on %(date)s.")
        notes.append(_sentence(message, date=_date(r.destruction_certified_on)))
    parts += [f' <span class="d-inline-block">{note}</span>' for note in notes]
    return mark_safe("".join(parts))  # noqa: S308 -- every value above is escaped


@register.simple_tag
def term(r):
    """The contract term of a public record: its dates, or that it runs until terminated and its next review."""
    if r.review_on:
        message = _("%(start)s, until terminated; next review %(review)s")
        return mark_safe(_sentence(message, start=_date(r.contract_start), review=_date(r.review_on)))  # noqa: S308
    if r.contract_start or r.contract_end:
        start, end = _date(r.contract_start) or _("not stated"), _date(r.contract_end) or _("not stated")
        return mark_safe(_sentence(_("%(start)s to %(end)s"), start=start, end=end))  # noqa: S308
    return _("not stated")
