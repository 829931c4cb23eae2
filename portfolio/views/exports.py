"""The export pages (issue 12.6): an organisation's admins ask for an archive, watch it being built, and download it
while the link lasts. /district/<slug>/export/ and /vendor/<slug>/export/; the URL's `side` says which."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from agreements.access import member_required
from dpa_portal.errors import refusal_message

from .. import exports
from ..models import ExportJob


def _owner(side, organisation) -> dict:
    return {"agency": organisation} if side == "district" else {"contractor": organisation}


def _context(side, organisation, **more) -> dict:
    return {
        "side": side,
        "organisation": organisation,
        "dashboard": "district_dashboard" if side == "district" else "vendor_dashboard",
        "expires_days": exports.EXPIRES_AFTER.days,
        **more,
    }


@member_required("organisation")
@require_http_methods(["GET", "POST"])
def export_page(request, side, organisation, membership):
    """The organisation's archives, the newest first with its progress, and the button that asks for a new one."""
    if request.method == "POST":
        with refusal_message(request):
            exports.export_request(actor=request.user, **_owner(side, organisation))
            messages.success(request, "The archive is being built. This page shows its progress.")
        return redirect(f"{side}_export", slug=organisation.slug)
    jobs = exports.export_jobs(**_owner(side, organisation))
    return render(request, "portfolio/export.html", _context(side, organisation, jobs=jobs))


@member_required("organisation")
@require_GET
def export_progress(request, side, organisation, membership, pk):
    """One archive's progress: the fragment the page polls every 2 seconds while the worker builds it."""
    job = get_object_or_404(ExportJob, pk=pk, **_owner(side, organisation))
    return render(request, "portfolio/export_status.html", _context(side, organisation, job=job))


@member_required("organisation")
@require_GET
def export_download(request, side, organisation, membership, token):
    """The archive itself: for the owner's admins, with the link's token, until the link expires (then 410 Gone)."""
    job = ExportJob.objects.filter(token=token, **_owner(side, organisation)).first()
    if job is None:
        raise Http404
    if exports.export_is_expired(job):
        context = _context(side, organisation, job=job)
        return render(request, "portfolio/export_gone.html", context, status=410)
    if job.status != ExportJob.Status.READY or not job.file.name:
        raise Http404
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.file.name.rsplit("/", 1)[-1],
        content_type="application/zip",
    )
