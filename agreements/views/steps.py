"""The district's and the vendor's steps posted from the agreement page: each one guarded by its service, refused
with a message and never a 500, and followed by the agreement page again."""

from django.contrib import messages
from django.shortcuts import redirect

from dpa_portal.errors import refusal_message

from ..access import DISTRICT_ADMIN, member_required

district_admin_only = member_required("agreement", side="district", roles=DISTRICT_ADMIN)


def step_take(request, agreement, step, success: str, **kwargs):
    """Take the service's `step` as the person; `success` as a message, or the refusal's."""
    with refusal_message(request):
        step(agreement=agreement, actor=request.user, **kwargs)
        messages.success(request, success)
    return redirect("agreement_detail", pk=agreement.pk)


def form_step_take(request, agreement, form, step, success: str):
    """A step whose arguments are a form posted from the agreement page: refused with the form's errors as messages,
    or taken with its cleaned data, `success` formatted with them (`{contract_end:%B %-d, %Y}`)."""
    if not form.is_valid():
        form_errors(request, form)
        return redirect("agreement_detail", pk=agreement.pk)
    data = form.cleaned_data
    return step_take(request, agreement, step, success.format(**data), **data)


def form_errors(request, form) -> None:
    """What was wrong with a form posted from the agreement page, as messages there (the page shows no form errors)."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
