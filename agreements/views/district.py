"""The district's pages: its dashboard, a new agreement, its contacts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from vendors.models import Contractor, Product

from .. import selectors
from ..access import DISTRICT_ADMIN, district_for
from ..forms import AgreementCreateForm, AgreementFilterForm, DistrictContactsForm
from ..models import Agreement
from ..services import TransitionError, agreement_start, district_contacts_update

PAGE_SIZE = 25


@login_required
def dashboard(request, slug):
    agency, membership = district_for(request.user, slug)
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


@login_required
def agreement_new(request, slug):
    agency, _ = district_for(request.user, slug, roles=DISTRICT_ADMIN)
    form = AgreementCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
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
        except TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Agreement created as a draft. Check it, then send it to the vendor.")
            return redirect("agreement_detail", pk=agreement.pk)
    return render(request, "agreements/agreement_new.html", {"agency": agency, "form": form})


@login_required
def contacts(request, slug):
    agency, _ = district_for(request.user, slug, roles=DISTRICT_ADMIN)
    form = DistrictContactsForm(request.POST or None, instance=agency)
    if request.method == "POST" and form.is_valid():
        district_contacts_update(agency=agency, actor=request.user, form=form)
        messages.success(request, "Contacts saved. The Bill of Rights shows the complaint contacts from now on.")
        return redirect("district_contacts", slug=agency.slug)
    return render(request, "agreements/district_contacts.html", {"agency": agency, "form": form})
