"""The parents' pages: the statewide index and search, a district's Bill of Rights and agreements, one agreement's
Exhibit B, its sealed public copy, and the list a district embeds in its own website. Thin: selectors read, records
shape, templates show; cache.py keeps what was built."""

from dataclasses import dataclass

from csp.decorators import csp_replace
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt

from dpa_portal.ratelimits import rate_limited

from . import cache, selectors
from .forms import AgreementFilterForm, SearchForm
from .labels import NYSED_COMPLAINTS, STATUS_LABELS
from .language import path_without_language, public_file_view, public_view
from .records import listings, record_of
from .search import statewide_search

PER_PAGE = 50
# The vendor and product menus of a district's list are shown up to this many posted agreements; past it, the search
# box (which finds both) stands in.
MENU_LIMIT = 100
EMBED_CODE = '<iframe src="{}" title="{}" width="100%" height="480" style="border:0" loading="lazy"></iframe>'


def _parts(request, *names):
    """What a cached page depends on besides district, version and language: host and path, and these params."""
    return (request.scheme, request.get_host(), request.path, tuple(request.GET.get(n, "") for n in names))


def _page(request, *, scope, name, parts, build):
    """Render a page whose main content `build()` returns as {"title", "html", ...}, from the cache if it can.

    The frame (language switch with its CSRF token) is rendered for each request; the content is cached.
    """
    page = dict(cache.cached(scope, name, parts, build))
    page["html"] = mark_safe(page["html"])  # noqa: S308 -- our own template output, escaped when it was rendered
    return render(request, "public/base.html", {"page": page, "language_next": path_without_language(request)})


@public_view
def index(request):
    def build():
        html = render_to_string("public/index.html", {"districts": list(selectors.districts_with_counts())})
        return {"title": _("Student data privacy in New York schools"), "html": html, "feed": reverse("public_feed")}

    return _page(request, scope=cache.STATEWIDE, name="index", parts=_parts(request), build=build)


@public_view
@rate_limited("search", key="ip")
def search(request):
    form = SearchForm(request.GET)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""

    def build():
        groups = statewide_search(q) if q else []
        cache.shows(*(g.slug for g in groups))  # stale when one of these districts changes, not any district
        context = {"form": form, "q": q, "groups": groups, "count": sum(len(g.hits) for g in groups)}
        title = _("Search: %(q)s") % {"q": q} if q else _("Search")
        return {"title": title, "html": render_to_string("public/search.html", context)}

    return _page(request, scope=cache.STATEWIDE, name="search", parts=(*_parts(request), q), build=build)


@dataclass(frozen=True)
class _MenuEntry:
    """What AgreementFilterForm builds its menus from (a vendor, and product names), without loading a record."""

    vendor_slug: str
    vendor: str
    products: tuple[str, ...] = ()


def _filter_form(request, agency):
    """The search and filters, and whether the vendor and product menus are shown (not when they would be longer than
    MENU_LIMIT: selectors.district_menus)."""
    shown_vendors, shown_products, vendors, products = selectors.district_menus(
        agency, limit=MENU_LIMIT, vendor=request.GET.get("vendor", ""), product=request.GET.get("product", "")
    )
    entries = [_MenuEntry(slug, name) for slug, name in vendors]
    if entries:
        entries[0] = _MenuEntry(*vendors[0], products=tuple(products))
    elif products:
        entries = [_MenuEntry("", "", products=tuple(products))]
    form = AgreementFilterForm(request.GET, records=entries)
    form.is_valid()  # a value that is not a choice (an old link, a typo) is ignored: it is not in cleaned_data
    return form, {"vendor": shown_vendors is not None, "product": shown_products is not None}


class _DistrictList:
    """The district's list for Django's Paginator: counted by one aggregate, and only the page's rows loaded.

    Pages are an OFFSET within the district's agreements, not a keyset (?after=): the list is ordered by the
    vendor's name, which lives in another table, so no index serves the order and a keyset would still have the
    database find and sort every matching agreement of the district, exactly as the OFFSET does (a top-N sort
    bounded by the district's own size, with the index on agency and status). So a keyset would buy nothing here,
    and page numbers ("Page 3 of 43") are what a parent can use and link to.
    """

    def __init__(self, agency, match, count):
        self.agency, self.match, self._count = agency, match, count

    def count(self):
        return self._count

    def __len__(self):
        return self._count

    def __getitem__(self, window: slice):
        rows = selectors.district_listing(self.agency, self.match, window.start or 0, window.stop)
        return listings(rows, self.agency.slug)


@public_view
def district(request, slug):
    names = ("q", "vendor", "product", "pii", "status", "page")

    def build():
        agency = selectors.district_public(slug)
        form, menus = _filter_form(request, agency)
        data = form.cleaned_data
        match = selectors.district_filter(
            words=(data.get("q") or "").casefold().split(),
            **{name: data.get(name) or "" for name in ("vendor", "product", "pii", "status")},
        )
        total, count = selectors.district_counts(agency, match)
        page = Paginator(_DistrictList(agency, match, count), PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("language", None)
        context = {
            "agency": agency,
            "bill": selectors.bill_of_rights_current(agency),
            "nysed": NYSED_COMPLAINTS,
            "form": form,
            "menus": menus,
            "filtered": form.active,
            "total": total,
            "count": count,
            "page": page,
            "query": query.urlencode(),
        }
        return {
            "title": agency.name,
            "html": render_to_string("public/district.html", context),
            "feed": reverse("public_district_feed", args=[slug]),
        }

    return _page(request, scope=slug, name="district", parts=_parts(request, *names), build=build)


@public_view
def agreement(request, slug, pk):
    def build():
        row = selectors.posted_row(slug=slug, pk=pk)
        if row is None:
            raise Http404
        record = record_of(row)
        # The chain of amendments and renewals it belongs to (issue 11.3); no query for an agreement that stands alone.
        chain = selectors.posted_history(slug=slug, pk=pk) if record.replaces or record.replaced_by else []
        history = [
            {"pk": a.pk, "kind": a.kind, "start": a.contract_start, "status_label": STATUS_LABELS[a.status]}
            for a in chain
        ]
        html = render_to_string("public/agreement.html", {"r": record, "history": history})
        names = {"vendor": record.vendor, "district": record.district_name}
        title = _("%(vendor)s: agreement with %(district)s") % names
        return {"title": title, "html": html, "feed": reverse("public_district_feed", args=[slug])}

    return _page(request, scope=slug, name="agreement", parts=_parts(request), build=build)


@public_file_view
def sealed_pdf(request, slug, pk):
    """The public copy of the executed DPA, exactly as sealed and stored, for what the district posts now (without
    the parts of Exhibit B it withholds). Never the executed DPA itself, which carries the audit trail.

    An agreement signed outside the portal (issue 12) has no public copy, so this is a 404 for it: the portal sealed
    nothing, and the PDF its district uploaded (AgreementDocument kind `uploaded`) is the parties' own copy, which may
    carry signatures, the signers' e-mail addresses and more than the district posts. It is never served publicly;
    the page posts the agreement's supplemental information (121.3(c)) instead."""
    document = selectors.public_copy(slug=slug, pk=pk)
    if document is None:
        raise Http404
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response.headers["Content-Disposition"] = content_disposition_header(False, document.filename)
    return response


@public_view
def open_data(request, slug):
    """How to use the district's posting elsewhere: the files, the feed and the code of the embeddable list."""

    def build():
        agency = selectors.district_public(slug)
        embed_url = request.build_absolute_uri(reverse("public_embed", args=[slug]))
        title = _("Data privacy agreements of %(district)s") % {"district": agency.name}
        codes = [
            (code, name, format_html(EMBED_CODE, f"{embed_url}?language={code}", title))
            for code, name in settings.LANGUAGES
        ]
        context = {"agency": agency, "embed_url": embed_url, "codes": codes, "frame_title": title}
        title = _("Open data and embedding: %(district)s") % {"district": agency.name}
        return {"title": title, "html": render_to_string("public/open_data.html", context)}

    return _page(request, scope=slug, name="open_data", parts=_parts(request), build=build)


# Made to be shown in an iframe on the district's own website: the one page any site may frame.
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@public_file_view
def embed(request, slug):
    def build():
        agency = selectors.district_public(slug)
        records = listings(selectors.district_listing(agency, selectors.district_filter()), slug)
        base = request.build_absolute_uri("/")[:-1]
        return render_to_string("public/embed.html", {"agency": agency, "records": records, "base": base})

    html = cache.cached(slug, "embed", _parts(request), build)
    return HttpResponse(html)
