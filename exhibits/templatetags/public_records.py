"""The status and the contract term of a public record, as one tag each: a district's list shows both on each of its
fifty cards, where an include with its translated sentences and date filters was most of a cold page's time. The
sentences are the ones the templates had (the same messages in the translations). The cards of a district's list
are one tag too (agreement_cards), and so are a statewide search's results (search_results) and the index's list of
districts (district_list): a dozen template nodes per card, and a {% url %} per hit or district, were most of what was
left of those pages' time."""

from django import template
from django.template.defaultfilters import truncatewords
from django.utils import dateformat
from django.utils.formats import get_format
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agreements.models import Agreement
from dpa_portal.links import Links
from exhibits.public.labels import PII_LABELS, STATUS_LABELS

register = template.Library()


# Format characters whose text depends on the month alone (its name, translated): each looked up once a page.
_MONTH_NAMES = frozenset("bEFMN")


class _Texts:
    """The translated words and the dates of one page, each looked up once however many records it shows: a lazy
    label, a message and a date each cost more than the rest of a card. Made for one render, in its language."""

    def __init__(self):
        self.dates = {}
        self.month_names = {}
        # DATE_FORMAT split once, as django.utils.dateformat.Formatter splits it for each date: a format character,
        # or text with its backslashes removed.
        self.date_pieces = [
            (True, piece) if i % 2 else (False, dateformat.re_escaped.sub(r"\1", piece))
            for i, piece in enumerate(dateformat.re_formatchars.split(get_format("DATE_FORMAT")))
            if i % 2 or piece
        ]
        # Escaped once, as a template escapes them.
        self.not_stated = escape(_("not stated"))
        self.status_labels = {status: escape(label) for status, label in STATUS_LABELS.items()}
        self.pii_labels = {key: escape(label) for key, label in PII_LABELS.items()}

    def date(self, value) -> str:
        """formats.date_format(value, "DATE_FORMAT"): "Dec. 1, 2026", "1 de diciembre de 2026"."""
        if value not in self.dates:
            self.dates[value] = self._formatted(value) if value else ""
        return self.dates[value]

    def _formatted(self, value) -> str:
        """What dateformat.Formatter.format writes, each month's name translated once."""
        made, parts = dateformat.DateFormat(value), []
        for is_character, piece in self.date_pieces:
            if not is_character:
                parts.append(piece)
            elif piece in _MONTH_NAMES:
                key = (piece, value.month)
                if key not in self.month_names:
                    self.month_names[key] = str(getattr(made, piece)())
                parts.append(self.month_names[key])
            else:
                parts.append(str(getattr(made, piece)()))
        return "".join(parts)

    @cached_property
    def term_dates(self):
        return _("%(start)s to %(end)s")


def _sentence(message: str, **values) -> str:
    """A translated sentence with its values escaped (as {% blocktranslate %} does)."""
    return message % {name: escape(value) for name, value in values.items()}


@register.simple_tag
def status(r, texts=None):
    """The status of a public record (PublicAgreement or Listing), and what ended or replaced it."""
    texts = texts or _Texts()
    label = texts.status_labels[r.status]
    parts = [format_html('<span class="public-status public-status-{}">{}</span>', r.status, label)]
    notes = []
    if r.ended_early_on:
        notes.append(_sentence(_("Ended early on %(date)s."), date=texts.date(r.ended_early_on)))
    if r.replaced_by and r.status == Agreement.Status.EXECUTED:
        notes.append(escape(_("A later agreement supersedes it.")))
    if r.destruction_certified_on:
        message = _("The vendor certified that the data was destroyed on %(date)s.")
        notes.append(_sentence(message, date=texts.date(r.destruction_certified_on)))
    parts += [f' <span class="d-inline-block">{note}</span>' for note in notes]
    return mark_safe("".join(parts))  # noqa: S308 -- every value above is escaped


@register.simple_tag
def term(r, texts=None):
    """The contract term of a public record: its dates, or that it runs until terminated and its next review."""
    texts = texts or _Texts()
    if r.review_on:
        message = _("%(start)s, until terminated; next review %(review)s")
        start, review = texts.date(r.contract_start), texts.date(r.review_on)
        return mark_safe(_sentence(message, start=start, review=review))  # noqa: S308
    if r.contract_start or r.contract_end:
        start = texts.date(r.contract_start) or texts.not_stated
        end = texts.date(r.contract_end) or texts.not_stated
        return mark_safe(_sentence(texts.term_dates, start=start, end=end))  # noqa: S308
    return texts.not_stated


# A card of a district's list, as templates/public/district.html had it (the same whitespace, so the same page).
_CARD = """
    <li class="agreement-card">
      <h3 class="h5" id="agreement-{pk}"><a href="{url}">{heading}</a></h3>
      <dl class="row mb-0">
        <dt class="col-sm-3">{status_label}</dt><dd class="col-sm-9">{status}{outside}</dd>
        <dt class="col-sm-3">{products_label}</dt><dd class="col-sm-9">{products}</dd>
        <dt class="col-sm-3">{purposes_label}</dt><dd class="col-sm-9">{purposes}</dd>
        <dt class="col-sm-3">{data_label}</dt><dd class="col-sm-9">{data}</dd>
        <dt class="col-sm-3">{term_label}</dt><dd class="col-sm-9">{term}</dd>
      </dl>
    </li>
  """
# templates/public/_withheld.html, which the agreement's page includes.
_WITHHELD = '<p class="withheld mb-0"><strong>{}</strong> {} {}</p>\n'


def _joined(values, separator: str) -> str:
    """As the join filter does with autoescape on: each value escaped."""
    return mark_safe(separator.join(conditional_escape(value) for value in values))  # noqa: S308 -- escaped


def _heading(vendor: str, products) -> str:
    """A card's or a hit's link: the vendor, and its products if it has any ("Vendor: Reader, Math"), escaped."""
    heading = conditional_escape(vendor)
    return mark_safe(f"{heading}: {_joined(products, ', ')}") if products else heading  # noqa: S308 -- escaped


def _card_purposes(r, not_stated: str):
    withheld = r.hidden.get("purposes")
    if withheld:
        reason = _("Withheld by the district to protect security."), _("Reason given:"), withheld.reason
        return format_html(_WITHHELD, *reason)
    if r.signed_outside_portal and not r.purposes:
        return _("Not provided by the district.")
    return format_html('<span lang="en">{}</span>', truncatewords(r.purposes, 40) or not_stated)


@register.simple_tag
def agreement_cards(cards):
    """The cards of a district's list (records.Listing): its vendor and products, status, purposes, kinds of data and
    term. Every value escaped by format_html (a withheld purpose is its reason, as records.Listing has it)."""
    texts = _Texts()
    labels = {
        "status_label": escape(_("Status")),
        "products_label": escape(_("Products")),
        "purposes_label": escape(_("Purposes")),
        "data_label": escape(_("Kinds of data")),
        "term_label": escape(_("Contract term")),
    }
    outside = format_html(' <span class="d-inline-block">{}</span>', _("Signed outside the portal."))
    html = []
    for r in cards:
        products = _joined(r.products, ", ")
        html.append(
            format_html(
                _CARD,
                pk=r.pk,
                url=r.url,
                heading=_heading(r.vendor, r.products),
                **labels,
                status=status(r, texts),
                outside=outside if r.signed_outside_portal else "",
                products=products or texts.not_stated,
                purposes=_card_purposes(r, texts.not_stated),
                data=_joined((texts.pii_labels[key] for key in r.pii_types), "; ") or texts.not_stated,
                term=term(r, texts),
            )
        )
    return mark_safe("".join(html))  # noqa: S308 -- each card made by format_html


# A statewide search's results, as templates/public/search.html had them: a section per district, a line per hit.
_DISTRICT_HITS = """
    <section class="mb-3" aria-labelledby="district-{slug}">
      <h3 id="district-{slug}" class="h5"><a href="{url}">{name}</a></h3>
      <ul>{hits}
      </ul>
    </section>"""
_HIT = """
          <li><a href="{url}">{heading}</a>
            <span class="status-text">({status})</span></li>"""


@register.simple_tag
def search_results(groups):
    """Every district's hits in a statewide search (search.DistrictHits, up to 200 hits in as many districts): each
    district linked to its page, each hit its vendor and products linked to its public page, and its status. One tag
    for all, each view's URL reversed once (dpa_portal.links) and the labels translated once (a url tag and a tag per
    district were most of the page's time). Every value escaped (conditional_escape; format_html's work, without its
    cost per hit)."""
    labels = _Texts().status_labels
    links = Links()
    html = []
    for group in groups:
        slug = conditional_escape(group.slug)
        hits = "".join(
            _HIT.format(
                url=conditional_escape(links.url("public_agreement", group.slug, hit.pk)),
                heading=_heading(hit.vendor, hit.products),
                status=labels[hit.status],
            )
            for hit in group.hits
        )
        url = conditional_escape(links.url("public_district", group.slug))
        html.append(_DISTRICT_HITS.format(slug=slug, url=url, name=conditional_escape(group.name), hits=hits))
    return mark_safe("".join(html))  # noqa: S308 -- every value escaped above


# A district on the index, as templates/public/index.html had it.
_DISTRICT = """
      <li><a href="{url}">{name}</a>
        <span class="text-body-secondary">({posted})</span></li>"""


@register.simple_tag
def district_list(districts):
    """The index's districts ((name, slug, posted_count) rows: a thousand statewide), each linked to its page with
    the number of agreements it posted. One tag, the URL reversed once and each count's sentence translated once
    (the message the template's blocktranslate had)."""
    links = Links()
    posted = {}
    html = []
    for name, slug, count in districts:
        if count not in posted:
            posted[count] = escape(
                ngettext("%(counter)s agreement posted", "%(counter)s agreements posted", count) % {"counter": count}
            )
        url = conditional_escape(links.url("public_district", slug))
        html.append(_DISTRICT.format(url=url, name=conditional_escape(name), posted=posted[count]))
    return mark_safe("".join(html))  # noqa: S308 -- every value escaped above
