from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AnswerReuse,
    BillOfRights,
    BillOfRightsAcknowledgement,
    CsfResponse,
    Framework,
    FrameworkCategory,
    FrameworkFunction,
    PublicSearchEntry,
    Redaction,
    ReviewComment,
    SecurityPlan,
    Submission,
    SupplementalInformation,
)


class FrameworkFunctionInline(admin.TabularInline):
    model = FrameworkFunction
    extra = 0


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "version", "published"]
    search_fields = ["name", "code", "version"]
    inlines = [FrameworkFunctionInline]


@admin.register(FrameworkFunction)
class FrameworkFunctionAdmin(admin.ModelAdmin):
    list_display = ["identifier", "name", "framework", "position"]
    list_filter = ["framework"]
    search_fields = ["identifier", "name"]


@admin.register(FrameworkCategory)
class FrameworkCategoryAdmin(admin.ModelAdmin):
    list_display = ["identifier", "name", "function", "framework", "position"]
    list_filter = ["framework", "function__name"]
    search_fields = ["identifier", "name", "description"]
    list_select_related = ["function", "framework"]


@admin.register(BillOfRights)
class BillOfRightsAdmin(admin.ModelAdmin):
    list_display = ["agency", "version", "effective_date", "created_at"]
    list_filter = ["agency"]
    search_fields = ["agency__name", "preamble"]
    list_select_related = ["agency"]

    def get_readonly_fields(self, request, obj=None):
        # A published version is never edited: a change is a new version.
        return [f.name for f in self.model._meta.fields] if obj else []


@admin.register(BillOfRightsAcknowledgement)
class BillOfRightsAcknowledgementAdmin(admin.ModelAdmin):
    list_display = ["agreement", "bill_of_rights", "acknowledged_by", "acknowledged_at"]
    search_fields = ["agreement__agency__name", "agreement__contractor__legal_name", "acknowledged_by__email"]
    list_select_related = ["agreement__agency", "agreement__contractor", "bill_of_rights", "acknowledged_by"]


@admin.register(SupplementalInformation)
class SupplementalInformationAdmin(SimpleHistoryAdmin):
    list_display = ["agreement", "receives_student_pii", "receives_appr_data", "subcontractor_use", "updated_at"]
    list_filter = ["receives_student_pii", "receives_appr_data", "subcontractor_use", "storage_third_party_cloud"]
    search_fields = ["agreement__agency__name", "agreement__contractor__legal_name", "purposes"]
    list_select_related = ["agreement__agency", "agreement__contractor"]
    filter_horizontal = ["subcontractors"]


@admin.register(SecurityPlan)
class SecurityPlanAdmin(SimpleHistoryAdmin):
    list_display = ["agreement", "updated_at"]
    search_fields = ["agreement__agency__name", "agreement__contractor__legal_name"]
    list_select_related = ["agreement__agency", "agreement__contractor"]


@admin.register(CsfResponse)
class CsfResponseAdmin(SimpleHistoryAdmin):
    list_display = ["category", "agreement", "tier", "updated_at"]
    list_filter = ["tier", "category__framework", "category__function__name"]
    search_fields = ["category__identifier", "narrative", "agreement__contractor__legal_name"]
    list_select_related = ["category", "agreement__agency", "agreement__contractor"]
    autocomplete_fields = ["category"]


@admin.register(ReviewComment)
class ReviewCommentAdmin(admin.ModelAdmin):
    list_display = [
        "agreement",
        "section",
        "field",
        "category",
        "author",
        "recommendation",
        "created_at",
        "resolved_at",
    ]
    list_filter = ["section", "recommendation"]
    raw_id_fields = ["subcontractor"]  # one of the contractor's, among every vendor's in the state
    search_fields = ["body", "author__email", "agreement__agency__name", "agreement__contractor__legal_name"]
    list_select_related = ["agreement__agency", "agreement__contractor", "category", "author"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["agreement", "number", "submitted_by", "submitted_at"]
    list_filter = ["submitted_at"]
    search_fields = ["agreement__agency__name", "agreement__contractor__legal_name", "submitted_by__email"]
    list_select_related = ["agreement__agency", "agreement__contractor", "submitted_by"]
    readonly_fields = ["agreement", "number", "answers", "submitted_by", "submitted_at"]


@admin.register(AnswerReuse)
class AnswerReuseAdmin(admin.ModelAdmin):
    list_display = ["agreement", "source", "actor", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["agreement__agency__name", "agreement__contractor__legal_name", "source__agency__name"]
    list_select_related = [
        "agreement__agency",
        "agreement__contractor",
        "source__agency",
        "source__contractor",
        "actor",
    ]
    readonly_fields = ["agreement", "source", "answers", "actor", "created_at"]


@admin.register(Redaction)
class RedactionAdmin(SimpleHistoryAdmin):
    list_display = ["agreement", "field", "reason", "created_by", "created_at"]
    list_filter = ["field"]
    search_fields = ["reason", "agreement__agency__name", "agreement__contractor__legal_name"]
    list_select_related = ["agreement__agency", "agreement__contractor", "created_by"]


@admin.register(PublicSearchEntry)
class PublicSearchEntryAdmin(admin.ModelAdmin):
    """What the statewide search finds each posted agreement by: read only, written from the tables by
    exhibits/public/search_index.py (entries_refresh repairs it)."""

    list_display = ["agreement", "district", "vendor", "products", "subcontractors"]
    search_fields = ["district", "vendor", "products", "subcontractors"]
    list_select_related = ["agreement__agency", "agreement__contractor"]
    readonly_fields = ["agreement", "agency", "district", "vendor", "products", "subcontractors", "document"]
    exclude = ["names", "suppliers"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
