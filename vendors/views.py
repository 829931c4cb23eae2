"""The vendor's dashboard: its agreements with every district; its menus' suggestions as you type."""

from django.shortcuts import render
from django.urls import reverse

from agreements import selectors
from agreements.access import member_required
from agreements.filters import AgreementFilterForm, typed
from agreements.models import Agreement

PAGE_SIZE = 25


@member_required("vendor")
def dashboard(request, contractor, membership):
    filter_form = AgreementFilterForm(request.GET)
    filters = filter_form.filters()
    filters.pop("vendor", None)
    counts = selectors.status_counts(contractor=contractor)
    agreements = selectors.agreement_list(contractor=contractor, **filters)
    page = selectors.dashboard_page(
        agreements, counts=counts, filters=filters, number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    return render(
        request,
        "vendors/dashboard.html",
        {
            "contractor": contractor,
            "membership": membership,
            "page": page,
            "filter_form": filter_form,
            "counts": counts,
            # The district and product menus are searched as you type (issue 13): the page lists none of them.
            "org_suggest_url": reverse("vendor_suggest_districts", args=[contractor.slug]),
            "product_suggest_url": reverse("vendor_suggest_products", args=[contractor.slug]),
            "statuses": [c for c in Agreement.Status.choices if c[0] not in selectors.HIDDEN_FROM_VENDOR],
        },
    )


@member_required("vendor")
def suggest_districts(request, contractor, membership):
    """The dashboard's district menu: the districts of the agreements the vendor sees whose name contains what was
    typed (an HTML fragment of <option>s for its <datalist>)."""
    names = selectors.vendor_districts(contractor, typed(request.GET, "district"))
    return render(request, "agreements/_suggestions.html", {"names": names})


@member_required("vendor")
def suggest_products(request, contractor, membership):
    """The dashboard's product menu: the vendor's products in the agreements it sees whose name contains what was
    typed."""
    names = selectors.vendor_products(contractor, typed(request.GET, "product"))
    return render(request, "agreements/_suggestions.html", {"names": names})
