"""The public page where anyone holding a PDF can check that it is an executed DPA of this portal, and intact.

A page of the public site (issue 14): its header and footer, in English and Spanish as the parents' pages are
(`?language=es` or the language switch, exhibits/public/language.py). Not marked public for caches, unlike those: it
carries a CSRF token and answers an upload."""

from django import forms
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from dpa_portal.ratelimits import rate_limited
from exhibits.public.language import language_param, path_without_language

from ..verification import MAX_UPLOAD_BYTES, document_verify, looks_like_pdf


class VerifyForm(forms.Form):
    document = forms.FileField(
        label=gettext_lazy("The PDF to check"), help_text=gettext_lazy("A PDF of at most 20 MB.")
    )

    def clean_document(self):
        upload = self.cleaned_data["document"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 20 MB; an executed DPA of this portal is smaller."), code="too_large"
            )
        head = upload.read(1024)
        upload.seek(0)
        if not looks_like_pdf(head):
            raise forms.ValidationError(_("This file is not a PDF."), code="not_pdf")
        return upload


@language_param
@require_http_methods(["GET", "POST"])
@rate_limited("verify", key="ip", method="POST")
def verify(request):
    form = VerifyForm(request.POST or None, request.FILES or None)
    outcome, posted_at = None, ""
    if request.method == "POST" and form.is_valid():
        outcome = document_verify(form.cleaned_data["document"].read())
        if outcome.named:
            # Named only by the number it carries, so only when its agreement is posted: its public page.
            agreement = outcome.document.agreement
            posted_at = request.build_absolute_uri(
                reverse("public_agreement", args=[agreement.agency.slug, agreement.pk])
            )
    context = {
        "form": form,
        "outcome": outcome,
        "posted_at": posted_at,
        "page": {"title": _("Check a Data Privacy Agreement")},
        "language_next": path_without_language(request),
    }
    return render(request, "agreements/verify.html", context)
