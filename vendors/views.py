"""The vendor's dashboard: its agreements with every district."""

from django.core.paginator import Paginator
from django.shortcuts import render

from agreements import selectors
from agreements.access import member_required
from agreements.filters import AgreementFilterForm
from agreements.models import Agreement


@member_required("vendor")
def dashboard(request, contractor, membership):
    filter_form = AgreementFilterForm(request.GET)
    filters = filter_form.filters()
    filters.pop("vendor", None)
    agreements = selectors.agreement_list(contractor=contractor, **filters)
    page = Paginator(agreements, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "vendors/dashboard.html",
        {
            "contractor": contractor,
            "membership": membership,
            "page": page,
            "filter_form": filter_form,
            "counts": selectors.status_counts(contractor=contractor),
            "districts": selectors.vendor_districts(contractor),
            "products": selectors.vendor_products(contractor),
            "statuses": [c for c in Agreement.Status.choices if c[0] not in selectors.HIDDEN_FROM_VENDOR],
        },
    )
