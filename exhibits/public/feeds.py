"""Atom feeds of newly posted agreements: one per district and one for the state (django.contrib.syndication)."""

from django.contrib.syndication.views import Feed
from django.db.models import F
from django.http import HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from agreements.models import Agreement, statuses

from . import cache, selectors
from .language import public_file_view
from .records import Withheld, public_records

LATEST = 50


def signed_outside_sentence(r) -> str:
    """What the pages say of an agreement signed outside the portal: the day, never who uploaded it (DESIGN, "What is
    public"). The template's sentence is the same message (templates/public/_signed_outside.html)."""
    return _("Signed outside the portal. The district uploaded it on %(date)s.") % {
        "date": date_format(r.uploaded_on, "DATE_FORMAT")
    }


def _latest(**filters):
    """The LATEST posted agreements, newest first: their ids from the index agreement_posted_at (posted_at, id
    descending, where posted_at is set: every posted agreement has it, set on execution), which stops after LATEST
    rows, then their records for those rows only. Two queries and the records' prefetches, at any size."""
    newest = list(
        Agreement.objects.filter(status__in=statuses.POSTED, posted_at__isnull=False, **filters)
        .order_by(F("posted_at").desc(), F("pk").desc())
        .values_list("pk", flat=True)[:LATEST]
    )
    records = selectors.posted_agreements().filter(pk__in=newest).order_by(F("posted_at").desc(), F("pk").desc())
    return public_records(records)


class _PostedFeed(Feed):
    """Shared by both feeds: each entry is one posted agreement, dated when it was posted."""

    feed_type = Atom1Feed

    def item_title(self, r):
        # Atom titles are text: the XML writer escapes them once, which is all they need.
        products = ", ".join(r.products)
        return f"{r.vendor}: {products}" if products else r.vendor

    def item_description(self, r):
        # The summary is HTML (type="html"), so the vendor's text is escaped here and again as XML.
        if isinstance(r.purposes, Withheld):
            purposes = format_html(
                "{} {}", _("Purposes withheld by the district to protect security. Reason:"), r.purposes.reason
            )
        else:
            missing = _("not provided by the district") if r.signed_outside_portal else _("not stated")
            purposes = format_html("{} {}", _("Purposes:"), r.purposes or missing)
        summary = format_html("<p>{}</p><p>{} {}</p>", purposes, _("Status:"), r.status_label)
        if r.signed_outside_portal:
            summary += format_html("<p>{}</p>", signed_outside_sentence(r))
        return summary

    def item_categories(self, r):
        # A term a feed reader can filter on, the same as the open data's key.
        return ["signed_outside_portal"] if r.signed_outside_portal else []

    def item_link(self, r):
        return reverse("public_agreement", args=[r.district_slug, r.pk])

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
        response = feed(request, **kwargs)
        return {"body": response.content, "content_type": response["Content-Type"]}

    parts = (request.scheme, request.get_host(), request.path)
    built = cache.cached(scope, "feed", parts, build)
    return HttpResponse(built["body"], content_type=built["content_type"])


@public_file_view
def district_feed(request, slug):
    return _cached_feed(request, slug, DistrictFeed(), slug=slug)


@public_file_view
def statewide_feed(request):
    return _cached_feed(request, cache.STATEWIDE, StatewideFeed())
