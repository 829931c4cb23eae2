"""Operators' views of deadlines. Duties, reminders and certificates are records: read-only here, changed only
through the services (and the sweep); closure dates and the district's defaults can be edited."""

from django.contrib import admin

from .models import (
    BreachReport,
    CalendarFeed,
    DeadlinePolicy,
    DestructionCertificate,
    DistrictClosure,
    Obligation,
    ParentRequest,
    Reminder,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReminderInline(admin.TabularInline):
    model = Reminder
    extra = 0
    fields = ["kind", "claimed_at", "email"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdmin):
    list_display = ["title", "agency", "contractor", "owed_by", "due_on", "status", "met_at"]
    list_filter = ["status", "kind", "owed_by"]
    search_fields = ["title", "agency__name", "contractor__legal_name"]
    date_hierarchy = "due_on"
    list_select_related = ["agency", "contractor"]
    inlines = [ReminderInline]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["obligation", "kind", "claimed_at", "email"]
    list_filter = ["kind"]
    list_select_related = ["obligation__agency", "email"]


@admin.register(BreachReport)
class BreachReportAdmin(ReadOnlyAdmin):
    list_display = ["contractor", "filed_at", "incident_date", "discovery_date", "records_affected"]
    search_fields = ["contractor__legal_name", "contact_name", "contact_email"]
    list_select_related = ["contractor"]


@admin.register(ParentRequest)
class ParentRequestAdmin(ReadOnlyAdmin):
    list_display = ["agency", "kind", "requester", "received_on", "closed_at"]
    list_filter = ["kind", "requester"]
    list_select_related = ["agency"]


@admin.register(DestructionCertificate)
class DestructionCertificateAdmin(ReadOnlyAdmin):
    list_display = ["agreement", "signer_name", "destroyed_on", "certified_at", "status"]
    list_filter = ["status", "method"]
    list_select_related = ["agreement__agency", "agreement__contractor"]


@admin.register(DistrictClosure)
class DistrictClosureAdmin(admin.ModelAdmin):
    list_display = ["agency", "date", "reason"]
    list_filter = ["agency"]
    search_fields = ["agency__name", "reason"]
    autocomplete_fields = ["agency"]
    exclude = ["created_by"]


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["agency", "term_reminder_days", "destruction_days"]
    autocomplete_fields = ["agency"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Operators can revoke a link (delete); the token itself is never stored, only its hash."""

    list_display = ["user", "created_at"]
    search_fields = ["user__email"]
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]

    def has_add_permission(self, request):
        return False
