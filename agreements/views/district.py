"""The district's pages: its dashboard, a new agreement, its contacts and what it posts."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dpa_portal.errors import refusal_message
from exhibits.selectors import complaint_contact_missing

from .. import outbox_status, selectors
from ..access import DISTRICT_ADMIN, member_required
from ..filters import AgreementFilterForm, typed
from ..forms import AgreementCreateForm, DistrictContactsForm, DistrictPostingForm
from ..mail import district_email_send_again
from ..models import Agreement
from ..services import agreement_start, district_contacts_update, district_posting_update

PAGE_SIZE = 25


@member_required("district")
def dashboard(request, agency, membership):
    filter_form = AgreementFilterForm(request.GET)
    filters = filter_form.filters()
    filters.pop("district", None)
    counts, missing_term, signed_outside, undelivered = selectors.district_counts(agency=agency)
    agreements = selectors.agreement_list(agency=agency, **filters)
    page = selectors.dashboard_page(
        agreements, counts=counts, filters=filters, number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    # Agreements signed outside the portal that the district has still to complete, and their duties that were past
    # when imported (issue 12): listed here to review, never e-mailed as overdue.
    outside_count, outside_listed, outside_all = (
        selectors.outside_to_complete(agency=agency) if signed_outside else (0, [], 0)
    )
    return render(
        request,
        "agreements/district_dashboard.html",
        {
            "agency": agency,
            "membership": membership,
            "page": page,
            "filter_form": filter_form,
            "counts": counts,
            # The vendor and product menus are searched as you type (issue 13): the page lists none of them.
            "org_suggest_url": reverse("district_suggest_vendors", args=[agency.slug]),
            "product_suggest_url": reverse("district_suggest_products", args=[agency.slug]),
            "statuses": Agreement.Status.choices,
            "missing_term": selectors.agreements_missing_term(agency=agency) if missing_term else [],
            "complaint_contact_missing": complaint_contact_missing(agency),
            "outside_count": outside_count,
            "outside_listed": outside_listed,
            "outside_review": selectors.outside_review_duties(agency=agency) if outside_all else [],
            # E-mails that did not go out (issue 15): the admins may send them again.
            "undelivered": (
                outbox_status.district_undelivered(agency=agency) if undelivered and membership.role == "admin" else []
            ),
        },
    )


@require_POST
@member_required("district", roles=DISTRICT_ADMIN)
def email_send_again(request, agency, membership, pk):
    """ "Send again" on an e-mail about one of the district's agreements that did not go out (issue 15)."""
    with refusal_message(request):
        email = district_email_send_again(actor=request.user, agency=agency, pk=pk)
        messages.success(request, f"Sending again: {email.subject}.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("district_dashboard", args=[agency.slug]) + "#undelivered"
    return redirect(back)


@member_required("district")
def suggest_vendors(request, agency, membership):
    """The dashboard's vendor menu: the district's vendors whose name contains what was typed (an HTML fragment of
    <option>s for its <datalist>)."""
    names = selectors.district_vendor_names(agency, typed(request.GET, "vendor"))
    return render(request, "agreements/_suggestions.html", {"names": names})


@member_required("district")
def suggest_products(request, agency, membership):
    """The dashboard's product menu: the products of the district's agreements whose name contains what was typed."""
    names = selectors.district_product_names(agency, typed(request.GET, "product"))
    return render(request, "agreements/_suggestions.html", {"names": names})


@member_required("district", roles=DISTRICT_ADMIN)
def agreement_new(request, agency, membership):
    form = AgreementCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_message(request):
            agreement = agreement_start(agency=agency, actor=request.user, **form.agreement_fields())
            messages.success(request, "Agreement created as a draft. Check it, then send it to the vendor.")
            return redirect("agreement_detail", pk=agreement.pk)
    return render(request, "agreements/agreement_new.html", {"agency": agency, "form": form})


@member_required("district", roles=DISTRICT_ADMIN)
def contacts(request, agency, membership):
    """The district's contacts, and what it posts besides Exhibit B (two forms, one page)."""
    posting = request.method == "POST" and request.POST.get("form") == "posting"
    form = DistrictContactsForm(request.POST if request.method == "POST" and not posting else None, instance=agency)
    posting_form = DistrictPostingForm(
        request.POST if posting else None, initial={"post_exhibit_c": agency.post_exhibit_c}
    )
    if posting and posting_form.is_valid():
        with refusal_message(request):
            due = district_posting_update(
                agency=agency, actor=request.user, post_exhibit_c=posting_form.cleaned_data["post_exhibit_c"]
            )
            shown = "now posts" if agency.post_exhibit_c else "no longer posts"
            messages.success(
                request,
                f"Saved: the public copy of each agreement {shown} Exhibit C."
                + (f" The public copies of {due} agreement(s) are being made again." if due else ""),
            )
        return redirect("district_contacts", slug=agency.slug)
    if request.method == "POST" and not posting and form.is_valid():
        district_contacts_update(agency=agency, actor=request.user, form=form)
        messages.success(request, "Contacts saved. The Bill of Rights shows the complaint contacts from now on.")
        return redirect("district_contacts", slug=agency.slug)
    context = {"agency": agency, "form": form, "posting_form": posting_form}
    return render(request, "agreements/district_contacts.html", context)
