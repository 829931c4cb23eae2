"""The district's approved-apps list (issue 16.4) among its public pages, and the same rows as JSON and CSV for the
district's website and its sign-on portal. Public, in English and Spanish (exhibits.public.language), read-only.

Not cached: two queries whatever the number of apps (apprequests.public), and the list is derived from the agreements
at read time, so that an agreement that ends shows at once."""

import csv
import io
import json

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.models import EducationalAgency
from dpa_portal.spreadsheets import formula_safe
from exhibits.public.language import path_without_language, public_file_view, public_view

from . import public

LABELS = {
    public.APPROVED: gettext_lazy("Approved: data privacy agreement in effect"),
    public.IN_REVIEW: gettext_lazy("In review"),
    public.ENDED: gettext_lazy("No longer approved: its agreement ended"),
    public.NOT_APPROVED: gettext_lazy("Not approved"),
}
COLUMNS = ["name", "status", "status_label", "agreement_url", "reason", "alternative", "alternative_agreement_url"]


def _agency(slug):
    return get_object_or_404(EducationalAgency.objects.only("pk", "name", "slug"), slug=slug)


def _data(agency, apps, absolute) -> list[dict]:
    def url(pk):
        return absolute(reverse("public_agreement", args=[agency.slug, pk])) if pk else None

    return [
        {
            "name": app.name,
            "status": app.status,
            "status_label": str(LABELS[app.status]),
            "agreement_url": url(app.agreement_id),
            "reason": app.reason or None,
            "alternative": app.alternative or None,
            "alternative_agreement_url": url(app.alternative_agreement_id),
        }
        for app in apps
    ]


@public_view
def apps_list(request, slug):
    agency = _agency(slug)
    apps = public.approved_apps(agency)
    rows = [(app, LABELS[app.status]) for app in apps]
    html = render_to_string("public/apps.html", {"agency": agency, "rows": rows}, request=request)
    page = {
        "title": _("Apps in use at %(district)s") % {"district": agency.name},
        "html": mark_safe(html),  # noqa: S308 -- our own template output, escaped when it was rendered
    }
    return render(request, "public/base.html", {"page": page, "language_next": path_without_language(request)})


@public_file_view
def apps_json(request, slug):
    agency = _agency(slug)
    document = {
        "district": {
            "name": agency.name,
            "slug": agency.slug,
            "url": request.build_absolute_uri(reverse("apprequests_public_list", args=[slug])),
        },
        "apps": _data(agency, public.approved_apps(agency), request.build_absolute_uri),
    }
    return HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )


@public_file_view
def apps_csv(request, slug):
    """Formula-safe cells (dpa_portal.spreadsheets), with a byte-order mark so that spreadsheets read UTF-8."""
    agency = _agency(slug)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in _data(agency, public.approved_apps(agency), request.build_absolute_uri):
        writer.writerow(formula_safe("" if row[c] is None else str(row[c])) for c in COLUMNS)
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = content_disposition_header(True, f"{slug}-apps.csv")
    return response
