"""The district admin's page for withholding parts of an agreement's Exhibit B from the public (121.3(e))."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.selectors import mfa_setup_required
from agreements.access import DISTRICT_ADMIN, member_required
from agreements.models import Agreement, statuses
from dpa_portal.errors import refusal_message
from exhibits.models import Redaction

from .forms import RedactionForm
from .labels import FIELD_LABELS
from .language import language_param, path_without_language
from .services import redaction_add, redaction_remove


@member_required("district", roles=DISTRICT_ADMIN)
@require_http_methods(["GET", "HEAD", "POST"])
@language_param
def manage(request, agency, membership, pk):
    """Only an admin of this district sees it; anyone else gets a 404 (agreements.access)."""
    agreement = (
        Agreement.objects.select_related("agency", "contractor", "supplemental_information")
        .filter(agency=agency, pk=pk)
        .first()
    )
    if agreement is None:
        raise Http404
    # /public/ is open to everyone, so the MFA middleware lets it through: an admin still needs an authenticator.
    if mfa_setup_required(request.user):
        return redirect("mfa_activate_totp")
    redactions = {r.field: r for r in Redaction.objects.filter(agreement=agreement).select_related("created_by")}
    form = RedactionForm(withheld=redactions)
    if request.method == "POST":
        with refusal_message(request):
            if request.POST.get("action") == "remove":
                redaction_remove(agreement=agreement, field=request.POST.get("field", ""), actor=request.user)
                messages.success(request, _("That part is shown to the public again."))
                return redirect(request.path)
            form = RedactionForm(request.POST, withheld=redactions)
            if form.is_valid():
                redaction_add(agreement=agreement, actor=request.user, **form.cleaned_data)
                messages.success(request, _("That part is now withheld from the public page."))
                return redirect(request.path)
    context = {
        "page": {"title": _("Withheld parts of Exhibit B: %(vendor)s") % {"vendor": agreement.contractor}},
        "language_next": path_without_language(request),
        "agreement": agreement,
        "info": getattr(agreement, "supplemental_information", None),
        "fields": [(field, label, redactions.get(field)) for field, label in FIELD_LABELS.items()],
        "form": form,
        "posted": agreement.status in statuses.POSTED,
        "public_url": reverse("public_agreement", args=[agency.slug, agreement.pk]),
    }
    return render(request, "public/redactions.html", context)
