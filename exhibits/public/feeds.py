"""Atom feeds of newly posted agreements: one per district and one for the state (django.contrib.syndication)."""

import functools
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.sites.shortcuts import get_current_site
from django.contrib.syndication.views import Feed, add_domain
from django.db import connection
from django.db.models import F, OuterRef, Subquery
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from agreements.models import Agreement, OutsideSigning, statuses
from dpa_portal.links import Links
from exhibits.models import Redaction, RedactionField, SupplementalInformation

from . import cache, selectors
from .labels import STATUS_LABELS
from .language import public_file_view
from .records import Withheld

LATEST = 50


def signed_outside_sentence(r) -> str:
    """What the pages say of an agreement signed outside the portal: the day, never who uploaded it (DESIGN, "What is
    public"). The template's sentence is the same message (templates/public/_signed_outside.html)."""
    return _("Signed outside the portal. The district uploaded it on %(date)s.") % {
        "date": date_format(r.uploaded_on, "DATE_FORMAT")
    }


@dataclass(frozen=True)
class Entry:
    """A posted agreement as a feed's entry shows it: who, what, its status, when it was posted, and the purposes of
    Exhibit B. The purposes are the district's reason when it withholds them (records.Withheld), as in its public
    record and its card in the district's list (records.Listing); the feed shows no other part of Exhibit B, so it
    reads no other."""

    pk: int
    district_slug: str
    district_name: str
    vendor: str
    products: tuple[str, ...]
    status: str
    posted_at: datetime | None
    status_changed_at: datetime
    purposes: str | Withheld
    uploaded_on: date | None  # signed outside the portal (issue 12): the day its district uploaded it

    @property
    def signed_outside_portal(self) -> bool:
        return self.uploaded_on is not None


def _of_the_agreement(queryset, column):
    """A column of the agreement's one row in `queryset` (or None), as a subquery: the planner weighed outer joins to
    these optional rows for longer than the query ran."""
    return Subquery(queryset.filter(agreement=OuterRef("pk")).order_by().values(column)[:1])


# An entry's columns, read as values: no model instances, none of Exhibit B's texts but the purposes (building the
# full public records, with their prefetches, was most of a cold feed's time).
_COLUMNS = {
    "district_slug": F("agency__slug"),
    "district_name": F("agency__name"),
    "vendor": F("contractor__legal_name"),
    "purposes": _of_the_agreement(SupplementalInformation.objects, "purposes"),
    "uploaded_at": _of_the_agreement(OutsideSigning.objects, "uploaded_at"),
    # The reason the district gives for withholding the purposes, if it does: the entry shows it instead.
    "purposes_withheld": _of_the_agreement(Redaction.objects.filter(field=RedactionField.PURPOSES), "reason"),
}


def _entry(row: dict) -> Entry:
    cache.shows(row["district_slug"])  # a statewide feed goes stale when a district it shows changes
    withheld = row["purposes_withheld"]
    return Entry(
        pk=row["pk"],
        district_slug=row["district_slug"],
        district_name=row["district_name"],
        vendor=row["vendor"],
        products=tuple(row["product_names"] or ()),
        status=row["status"],
        posted_at=row["posted_at"],
        status_changed_at=row["status_changed_at"],
        purposes=Withheld(RedactionField.PURPOSES, withheld) if withheld is not None else row["purposes"] or "",
        uploaded_on=timezone.localdate(row["uploaded_at"]) if row["uploaded_at"] else None,
    )


def _latest(**filters) -> list[Entry]:
    """The LATEST posted agreements, newest first, with their columns and their products' names: one query that
    reads an index on posted_at (agreement_posted_at, or agreement_agency_posted_at for a district's) and stops
    after LATEST rows, joining only those. At any size one query on PostgreSQL, two on SQLite."""
    newest = (
        Agreement.objects.filter(status__in=statuses.POSTED, posted_at__isnull=False, **filters)
        .order_by(F("posted_at").desc(), F("pk").desc())
        .annotate(**_COLUMNS)
    )
    fields = ["pk", "status", "posted_at", "status_changed_at", *_COLUMNS]
    if connection.vendor != "postgresql":
        return [_entry(row) for row in _with_product_names(list(newest.values(*fields)[:LATEST]))]
    rows = newest.annotate(product_names=_product_names()).values(*fields, "product_names")[:LATEST]
    return [_entry(row) for row in rows]


def _product_names():
    """The agreement's products' names by name, as one PostgreSQL array (ARRAY_AGG ... ORDER BY); none without
    products."""
    named = Agreement.products.through.objects.filter(agreement=OuterRef("pk")).order_by().values("agreement")
    return Subquery(named.annotate(names=ArrayAgg("product__name", order_by="product__name")).values("names"))


def _with_product_names(rows: list[dict]) -> list[dict]:
    """SQLite (`make run`) has no arrays: the rows' products' names, by name, from a second query."""
    names = {row["pk"]: row.setdefault("product_names", []) for row in rows}
    named = Agreement.products.through.objects.filter(agreement_id__in=names).order_by("product__name")
    for agreement_id, name in named.values_list("agreement_id", "product__name"):
        names[agreement_id].append(name)
    return rows


@functools.cache
def _phrases(language: str) -> dict:
    """The words every entry's summary repeats, in `language` (the active one): translated once, not per entry."""
    return {
        "withheld": _("Purposes withheld by the district to protect security. Reason:"),
        "purposes": _("Purposes:"),
        "not provided": _("not provided by the district"),
        "not stated": _("not stated"),
        **{status: format_html("<p>{} {}</p>", _("Status:"), label) for status, label in STATUS_LABELS.items()},
    }


def _agreement_links(domain: str, secure: bool):
    """The absolute link of an agreement's public page, reversed once per district (dpa_portal.links)."""
    links = Links(lambda path: add_domain(domain, path, secure))
    return lambda slug, pk: links.url("public_agreement", slug, pk)


class _PostedFeed(Feed):
    """Shared by both feeds: each entry is one posted agreement, dated when it was posted."""

    feed_type = Atom1Feed

    def get_feed(self, obj, request):
        """Feed.get_feed with these feeds' own attributes only: for each entry the framework also looks up a dozen
        that they leave unset (authors, enclosures, comments...), which took as long as making the entries."""
        domain, secure = get_current_site(request).domain, request.is_secure()
        feed = self.feed_type(
            title=self._get_dynamic_attr("title", obj),
            subtitle=self._get_dynamic_attr("subtitle", obj),
            link=add_domain(domain, self._get_dynamic_attr("link", obj), secure),
            description=None,
            language=get_language(),
            feed_url=add_domain(domain, request.path, secure),
        )
        link_of = _agreement_links(domain, secure)
        for r in self._get_dynamic_attr("items", obj):
            link = link_of(r.district_slug, r.pk)
            feed.add_item(
                title=self.item_title(r),
                link=link,
                description=self.item_description(r),
                unique_id=link,
                pubdate=self.item_pubdate(r),
                updateddate=self.item_updateddate(r),
                categories=self.item_categories(r),
            )
        return feed

    def item_title(self, r):
        # Atom titles are text: the XML writer escapes them once, which is all they need.
        products = ", ".join(r.products)
        return f"{r.vendor}: {products}" if products else r.vendor

    def item_description(self, r):
        # The summary is HTML (type="html"), so the vendor's text is escaped here and again as XML.
        said = _phrases(get_language())
        if isinstance(r.purposes, Withheld):
            purposes = format_html("{} {}", said["withheld"], r.purposes.reason)
        else:
            missing = said["not provided"] if r.signed_outside_portal else said["not stated"]
            purposes = format_html("{} {}", said["purposes"], r.purposes or missing)
        summary = format_html("<p>{}</p>{}", purposes, said[r.status])
        if r.signed_outside_portal:
            summary += format_html("<p>{}</p>", signed_outside_sentence(r))
        return summary

    def item_categories(self, r):
        # A term a feed reader can filter on, the same as the open data's key.
        return ["signed_outside_portal"] if r.signed_outside_portal else []

    def item_pubdate(self, r):
        return r.posted_at or r.status_changed_at

    def item_updateddate(self, r):
        return r.status_changed_at


class DistrictFeed(_PostedFeed):
    def get_object(self, request, slug):
        return selectors.district_public(slug)

    def title(self, agency):
        return _("Data privacy agreements posted by %(district)s") % {"district": agency.name}

    def subtitle(self, agency):
        return _("Each agreement's supplemental information (Exhibit B) under Education Law 2-d, as it is posted.")

    def link(self, agency):
        return reverse("public_district", args=[agency.slug])

    def items(self, agency):
        return _latest(agency=agency)


class StatewideFeed(_PostedFeed):
    def title(self):
        return _("Data privacy agreements posted by New York school districts")

    def subtitle(self):
        return _("Each agreement's supplemental information (Exhibit B) under Education Law 2-d, as it is posted.")

    def link(self):
        return reverse("public_index")

    def item_title(self, r):
        return f"{r.district_name}: {super().item_title(r)}"

    def items(self):
        return _latest()


def _cached_feed(request, scope, feed, **kwargs):
    def build():
        # What Feed.__call__ does, but the XML written to one string: written into the response, each of its
        # thousand small pieces went through HttpResponse.write.
        generator = feed.get_feed(feed.get_object(request, **kwargs), request)
        return {"body": generator.writeString("utf-8").encode(), "content_type": generator.content_type}

    parts = (request.scheme, request.get_host(), request.path)
    built = cache.cached(scope, "feed", parts, build)
    return HttpResponse(built["body"], content_type=built["content_type"])


@public_file_view
def district_feed(request, slug):
    return _cached_feed(request, slug, DistrictFeed(), slug=slug)


@public_file_view
def statewide_feed(request):
    return _cached_feed(request, cache.STATEWIDE, StatewideFeed())
