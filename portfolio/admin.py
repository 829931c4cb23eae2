"""The operators' view of the imports (Django admin): read-only, since the worker and the district's pages own them."""

from django.contrib import admin

from .models import ImportJob, ImportRow


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("pk", "agency", "status", "rows_done", "rows_total", "created_at", "heartbeat_at", "finished_at")
    list_filter = ("status",)
    search_fields = ("agency__name", "sheet_name", "created_by_name")
    raw_id_fields = ("agency", "created_by", "confirmed_by")
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ImportRow)
class ImportRowAdmin(admin.ModelAdmin):
    list_display = ("job", "number", "action", "outcome", "vendor_score", "pdf_text")
    list_filter = ("action", "outcome")
    raw_id_fields = ("job", "vendor_match", "agreement_match", "agreement")
    readonly_fields = [f.name for f in ImportRow._meta.fields]

    def has_add_permission(self, request):
        return False
