"""A district admin's import pages (issue 12): the upload, the template, one import's dry run, progress, confirmation
and end report. Every page is the district's admins' only; the work is the worker's (portfolio/tasks.py)."""

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agreements.access import DISTRICT_ADMIN, member_required
from dpa_portal.errors import refusal_message

from .. import archive, selectors, sheet
from ..forms import ImportUploadForm, row_ids
from ..imports import import_cancel, import_confirm, import_start, report_csv, vendor_choices_save
from ..imports.common import PDF_LABELS
from ..models import ImportJob

ACTIVE = (ImportJob.Status.READING, ImportJob.Status.IMPORTING)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _limits() -> dict:
    return {
        "max_rows": sheet.MAX_ROWS,
        "sheet_max": archive.human_size(sheet.SHEET_MAX_BYTES),
        "archive_max": archive.human_size(archive.ARCHIVE_MAX_BYTES),
        "max_entries": archive.MAX_ENTRIES,
        "total_max": archive.human_size(archive.MAX_TOTAL_UNCOMPRESSED),
        "pdf_max": archive.human_size(archive.PDF_MAX_BYTES),
        "max_ratio": archive.MAX_RATIO,
        "date_help": sheet.DATE_HELP,
        "columns": sheet.COLUMNS,
    }


def _job(agency, pk) -> ImportJob:
    job = selectors.import_job_of(agency, pk)
    if job is None:
        raise Http404
    return job


@member_required("district", roles=DISTRICT_ADMIN)
def import_page(request, agency, membership):
    """What the import does, the template, the limits, the upload form and the district's earlier imports."""
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if request.method == "POST" and form.is_valid():
        with refusal_message(request, form):
            job = import_start(
                agency=agency,
                actor=request.user,
                sheet_file=form.cleaned_data["sheet"],
                archive_file=form.cleaned_data["archive"],
            )
            messages.success(request, "The files are uploaded. The portal reads them now: nothing is imported yet.")
            return redirect("portfolio_import_job", slug=agency.slug, pk=job.pk)
    return render(
        request,
        "portfolio/import.html",
        {"agency": agency, "form": form, "jobs": selectors.import_jobs_of(agency), **_limits()},
    )


@member_required("district", roles=DISTRICT_ADMIN)
def template_csv(request, agency, membership):
    response = HttpResponse(sheet.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dpa-import-template.csv"'
    return response


@member_required("district", roles=DISTRICT_ADMIN)
def template_xlsx(request, agency, membership):
    response = HttpResponse(sheet.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="dpa-import-template.xlsx"'
    return response


def _shown(value) -> str:
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(map(str, value)) or "none"
    return str(value)


def _row_views(page):
    for row in page:
        row.proposal_items = [(key, _shown(value)) for key, value in (row.proposals or {}).items()]
        row.pdf_label = PDF_LABELS.get(row.pdf_text, "")
        row.can_be_other = bool(row.vendor_match_id and row.vendor_score is not None and row.vendor_score < 100)
        yield row


@member_required("district", roles=DISTRICT_ADMIN)
def import_job(request, agency, membership, pk):
    """One import: its progress while the worker works, then its rows and what happens to each."""
    job = _job(agency, pk)
    context = {
        "agency": agency,
        "job": job,
        "active": job.status in ACTIVE,
        "imported_before": selectors.same_files_imported(job),
    }
    if job.status in (ImportJob.Status.READY, ImportJob.Status.IMPORTING, ImportJob.Status.DONE):
        page = selectors.import_rows_page(job, request.GET.get("page"))
        context.update(page=page, rows=list(_row_views(page)), counts=selectors.import_counts(job))
    return render(request, "portfolio/import_job.html", context)


@member_required("district", roles=DISTRICT_ADMIN)
def import_progress(request, agency, membership, pk):
    """The progress bar alone, which the page asks for every 2 s (htmx). Once the worker is done with the step, an
    htmx request is told to reload the page, which then shows the rows (and polls no more)."""
    job = _job(agency, pk)
    response = render(request, "portfolio/_import_progress.html", {"agency": agency, "job": job, "active": True})
    if job.status not in ACTIVE and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@member_required("district", roles=DISTRICT_ADMIN)
@require_POST
def import_confirm_view(request, agency, membership, pk):
    """Save the page's "different company" ticks, and with the Confirm button start the import."""
    job = _job(agency, pk)
    shown, different = row_ids(request.POST.getlist("shown")), row_ids(request.POST.getlist("different"))
    url = reverse("portfolio_import_job", args=[agency.slug, job.pk])
    with refusal_message(request):
        if request.POST.get("step") == "save":
            vendor_choices_save(job=job, shown=shown, different=different)
            messages.success(request, "Your choices on this page are saved.")
            page = request.POST.get("page", "")
            return redirect(f"{url}?page={page}" if page.isdigit() else url)
        import_confirm(job=job, actor=request.user, shown=shown, different=different)
        messages.success(request, "Confirmed. The portal imports the rows now; you will get an e-mail when it is done.")
    return redirect(url)


@member_required("district", roles=DISTRICT_ADMIN)
@require_POST
def import_cancel_view(request, agency, membership, pk):
    job = _job(agency, pk)
    with refusal_message(request):
        import_cancel(job=job, actor=request.user)
        messages.success(request, "The import is cancelled. Nothing was imported.")
    return redirect("portfolio_import_job", slug=agency.slug, pk=job.pk)


@member_required("district", roles=DISTRICT_ADMIN)
def import_report(request, agency, membership, pk):
    """The end report as CSV: row, vendor, product, outcome, reason, the agreement's link."""
    job = _job(agency, pk)
    if job.status != ImportJob.Status.DONE:
        messages.error(request, "The report is ready once the import is done.")
        return redirect("portfolio_import_job", slug=agency.slug, pk=job.pk)
    response = StreamingHttpResponse(report_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response
