"""The vendor's dashboard: its agreements with every district."""

from django.core.paginator import Paginator
from django.shortcuts import render

from agreements import selectors
from agreements.access import member_required
from agreements.filters import AgreementFilterForm
from agreements.models import Agreement, EducationalAgency

from .models import Product


@member_required("vendor")
def dashboard(request, contractor, membership):
    filter_form = AgreementFilterForm(request.GET)
    filters = filter_form.filters()
    filters.pop("vendor", None)
    agreements = selectors.agreement_list(contractor=contractor, **filters)
    page = Paginator(agreements, 25).get_page(request.GET.get("page"))
    # The districts of the agreements the vendor can see (an exclude across the relation would also drop a
    # district that has a draft with another vendor).
    visible = Agreement.objects.filter(contractor=contractor).exclude(status__in=selectors.HIDDEN_FROM_VENDOR)
    districts = EducationalAgency.objects.filter(pk__in=visible.values("agency")).order_by("name")
    return render(
        request,
        "vendors/dashboard.html",
        {
            "contractor": contractor,
            "membership": membership,
            "page": page,
            "filter_form": filter_form,
            "counts": selectors.status_counts(contractor=contractor),
            "districts": districts,
            "products": Product.objects.filter(contractor=contractor).order_by("name"),
            "statuses": [c for c in Agreement.Status.choices if c[0] not in selectors.HIDDEN_FROM_VENDOR],
        },
    )
