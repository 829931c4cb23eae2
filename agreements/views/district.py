"""The district's pages: its dashboard, a new agreement, its contacts."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from dpa_portal.errors import refusal_message
from vendors.models import Contractor, Product

from .. import selectors
from ..access import DISTRICT_ADMIN, member_required
from ..filters import AgreementFilterForm
from ..forms import AgreementCreateForm, DistrictContactsForm
from ..models import Agreement
from ..services import agreement_start, district_contacts_update

PAGE_SIZE = 25


@member_required("district")
def dashboard(request, agency, membership):
    filter_form = AgreementFilterForm(request.GET)
    filters = filter_form.filters()
    filters.pop("district", None)
    page = Paginator(selectors.agreement_list(agency=agency, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    vendors = Contractor.objects.filter(agreements__agency=agency).distinct().order_by("legal_name")
    products = Product.objects.filter(agreements__agency=agency).distinct().order_by("name")
    return render(
        request,
        "agreements/district_dashboard.html",
        {
            "agency": agency,
            "membership": membership,
            "page": page,
            "filter_form": filter_form,
            "counts": selectors.status_counts(agency=agency),
            "vendors": vendors,
            "products": products,
            "statuses": Agreement.Status.choices,
        },
    )


@member_required("district", roles=DISTRICT_ADMIN)
def agreement_new(request, agency, membership):
    form = AgreementCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_message(request):
            agreement = agreement_start(
                agency=agency,
                actor=request.user,
                contractor=data["contractor"],
                new_vendor_name=data["new_vendor_name"],
                product_name=data["product_name"],
                framework=data["framework"],
                service_agreement_date=data["service_agreement_date"],
                contract_start=data["contract_start"],
                contract_end=data["contract_end"],
            )
            messages.success(request, "Agreement created as a draft. Check it, then send it to the vendor.")
            return redirect("agreement_detail", pk=agreement.pk)
    return render(request, "agreements/agreement_new.html", {"agency": agency, "form": form})


@member_required("district", roles=DISTRICT_ADMIN)
def contacts(request, agency, membership):
    form = DistrictContactsForm(request.POST or None, instance=agency)
    if request.method == "POST" and form.is_valid():
        district_contacts_update(agency=agency, actor=request.user, form=form)
        messages.success(request, "Contacts saved. The Bill of Rights shows the complaint contacts from now on.")
        return redirect("district_contacts", slug=agency.slug)
    return render(request, "agreements/district_contacts.html", {"agency": agency, "form": form})
