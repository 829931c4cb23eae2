"""The public page where anyone holding a PDF can check that it is an executed DPA of this portal, and intact."""

from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from dpa_portal.ratelimits import rate_limited

from ..verification import MAX_UPLOAD_BYTES, document_verify, looks_like_pdf


class VerifyForm(forms.Form):
    document = forms.FileField(label="The PDF to check", help_text="A PDF of at most 20 MB.")

    def clean_document(self):
        upload = self.cleaned_data["document"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB; an executed DPA of this portal is smaller.")
        head = upload.read(1024)
        upload.seek(0)
        if not looks_like_pdf(head):
            raise forms.ValidationError("This file is not a PDF.")
        return upload


@require_http_methods(["GET", "POST"])
@rate_limited("verify", key="ip", method="POST")
def verify(request):
    form = VerifyForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        outcome = document_verify(form.cleaned_data["document"].read())
    return render(request, "agreements/verify.html", {"form": form, "outcome": outcome})
