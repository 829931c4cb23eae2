"""Signing, the signed documents, amendments and renewals, and the public verification of an executed DPA."""

import base64
import binascii

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dpa_portal.client_ip import client_ip
from dpa_portal.errors import refusal_message
from dpa_portal.lengths import max_length
from dpa_portal.ratelimits import rate_limited

from ..access import DISTRICT_ADMIN, member_required
from ..consent import CURRENT_CONSENT_VERSION, consent_text
from ..models import Agreement, AgreementDocument, Signature
from ..services import agreement_amend
from ..signing import SignatureRequest, agreement_sign, public_copy_current, signing_side
from .progress import sign_page_progress

KINDS = {
    "signing-copy": AgreementDocument.Kind.SIGNING_COPY,
    "executed": AgreementDocument.Kind.EXECUTED,
    "public-copy": AgreementDocument.Kind.PUBLIC_COPY,
    "termination-record": AgreementDocument.Kind.TERMINATION_RECORD,
}


class SignForm(forms.Form):
    typed_name = forms.CharField(max_length=max_length(Signature, "typed_name"), label="Your full name")
    title = forms.CharField(max_length=max_length(Signature, "title"), label="Your title")
    drawing = forms.CharField(required=False, widget=forms.HiddenInput)
    otp_code = forms.CharField(
        max_length=12,
        label="Code from your authenticator app",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    consent = forms.BooleanField(label="I agree to sign electronically, as stated above.")
    consent_version = forms.IntegerField(widget=forms.HiddenInput)
    document_sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def clean_drawing(self) -> bytes | None:
        value = self.cleaned_data["drawing"]
        if not value:
            return None
        prefix = "data:image/png;base64,"
        if not value.startswith(prefix):
            raise forms.ValidationError("The drawn signature could not be read; clear it and draw it again.")
        try:
            return base64.b64decode(value[len(prefix) :], validate=True)
        except (binascii.Error, ValueError):
            raise forms.ValidationError("The drawn signature could not be read; clear it and draw it again.") from None


@member_required("agreement")
@rate_limited("signing", key="user", method="POST")  # each attempt checks an authenticator code
def sign(request, agreement, side, role):
    pk = agreement.pk
    signing_as = signing_side(agreement, request.user)
    if signing_as is None:
        messages.error(request, "You cannot sign this agreement now.")
        return redirect("agreement_detail", pk=pk)
    document = AgreementDocument.objects.filter(agreement=agreement, kind=AgreementDocument.Kind.SIGNING_COPY).first()
    # While the worker makes the copy to sign: its panel (issue 14.1), under way, retrying or given up.
    progress = None if document else sign_page_progress(agreement, side=side, role=role)
    initial = {
        "typed_name": request.user.get_full_name(),
        "consent_version": CURRENT_CONSENT_VERSION,
        "document_sha256": document.sha256 if document else "",
    }
    form = SignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_message(request):
            agreement_sign(
                agreement=agreement,
                user=request.user,
                request=SignatureRequest(
                    typed_name=data["typed_name"],
                    title=data["title"],
                    consent_version=data["consent_version"],
                    otp_code=data["otp_code"],
                    document_sha256=data["document_sha256"],
                    drawing_png=data["drawing"],
                ),
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
            done = (
                "Signed. The district countersigns next."
                if signing_as == "vendor"
                else ("Countersigned. The portal is sealing the executed DPA; it appears here in a moment.")
            )
            messages.success(request, done)
            return redirect("agreement_detail", pk=pk)
    return render(
        request,
        "agreements/sign.html",
        {
            "agreement": agreement,
            "document": document,
            "form": form,
            "consent": consent_text(),
            "signing_as": signing_as,
            "consent_version": CURRENT_CONSENT_VERSION,
            "progress": progress,
        },
    )


@member_required("agreement")
def document(request, agreement, side, role, kind):
    """The stored bytes of a signing copy, of the executed DPA or of its public copy (the one posted now), for the
    parties. Never rendered again."""
    if kind not in KINDS:
        raise Http404
    if KINDS[kind] == AgreementDocument.Kind.PUBLIC_COPY:
        doc = public_copy_current(agreement)
    else:
        doc = AgreementDocument.objects.filter(agreement=agreement, kind=KINDS[kind]).first()
    if doc is None:
        raise Http404
    return pdf_response(doc, inline=request.GET.get("inline") == "1")


def pdf_response(doc: AgreementDocument, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(bytes(doc.pdf), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{doc.filename}"'
    response["X-Content-SHA256"] = doc.sha256
    return response


@member_required("agreement", side="district", roles=DISTRICT_ADMIN)
@require_POST
def amend(request, agreement, side, role):
    kind = request.POST.get("kind")
    with refusal_message(request):
        new = agreement_amend(agreement=agreement, actor=request.user, kind=kind)
        label = Agreement.Kind(kind).label.lower()
        messages.success(
            request, f"A draft {label} starts from the executed agreement's answers. Check it, then send it."
        )
        return redirect("agreement_detail", pk=new.pk)
    return redirect("agreement_detail", pk=agreement.pk)
