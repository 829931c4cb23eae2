"""The import's upload form: the sheet and the ZIP of PDFs, each refused over its limit before anything is stored."""

from django import forms

from dpa_portal.errors import ApplicationError

from . import archive, sheet
from .imports import upload_check


class ImportUploadForm(forms.Form):
    sheet = forms.FileField(
        label="The filled-in template (CSV or XLSX)",
        help_text=f"At most {sheet.MAX_ROWS:,} rows and {archive.human_size(sheet.SHEET_MAX_BYTES)}.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt,text/csv"}),
    )
    archive = forms.FileField(
        label="The signed PDFs, in one ZIP (optional)",
        required=False,
        help_text=f"At most {archive.human_size(archive.ARCHIVE_MAX_BYTES)}; each PDF is named in the sheet's "
        "pdf_file column.",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def clean_sheet(self):
        upload = self.cleaned_data["sheet"]
        try:
            upload_check(sheet_file=upload)
        except ApplicationError as error:
            raise forms.ValidationError(error.message) from None
        return upload

    def clean_archive(self):
        upload = self.cleaned_data.get("archive")
        if upload:
            try:
                upload_check(archive_file=upload)
            except ApplicationError as error:
                raise forms.ValidationError(error.message) from None
        return upload or None


# A page shows at most 200 rows; more ids than this in a post are not a page's.
MAX_IDS = 1_000


def row_ids(values) -> set[int]:
    """The row ids a page posted (the rows shown, or those ticked "a different company"); anything else is ignored:
    the service keeps only the job's own rows."""
    return {int(value) for value in list(values)[:MAX_IDS] if str(value).isdigit()}
