from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from dpa_portal.errors import ApplicationError

from .forms import SIMILAR, ContractorAdminForm, ContractorMergeForm
from .models import Contractor, ContractorMembership, ContractorMerge, Product, Subcontractor
from .services import contractor_merge, contractor_merge_plan


class ContractorMembershipInline(admin.TabularInline):
    model = ContractorMembership
    extra = 0
    autocomplete_fields = ["user"]


class ProductInline(admin.TabularInline):
    model = Product
    extra = 0
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Contractor)
class ContractorAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "slug", "city", "state", "website", "created_at"]
    list_filter = ["state"]
    search_fields = ["legal_name", "slug", "website", "city"]
    prepopulated_fields = {"slug": ["legal_name"]}
    inlines = [ContractorMembershipInline, ProductInline]
    form = ContractorAdminForm  # a new name close to another vendor's asks which it is (issue 14.4)
    actions = ["merge_contractors"]

    def get_fields(self, request, obj=None):
        """The question about close names right under the name."""
        fields = [f for f in super().get_fields(request, obj) if f != SIMILAR]
        fields.insert(fields.index("legal_name") + 1, SIMILAR)
        return fields

    @admin.action(description="Merge two selected contractors (one company)", permissions=["delete"])
    def merge_contractors(self, request, queryset):
        """Two contractors that are one company: choose the one to keep; the other's people, products,
        subcontractors, agreements and everything else that points at it move to it (vendors.services)."""
        contractors = list(queryset.order_by("created_at", "pk")[:3])
        if len(contractors) != 2:
            self.message_user(request, "Select exactly two contractors to merge.", messages.WARNING)
            return None
        form = ContractorMergeForm(request.POST if "confirm" in request.POST else None, contractors=contractors)
        if form.is_bound and form.is_valid():
            kept, merged = form.kept_and_merged()
            try:
                merge = contractor_merge(kept=kept, merged=merged, actor=request.user)
            except ApplicationError as error:
                self.message_user(request, str(error), messages.ERROR)
                return None
            moved = ", ".join(
                f"{len(ids)} {label if len(ids) > 1 else label.removesuffix('s')}"
                for label, ids in _moved_summary(merge.moved)
                if ids
            )
            self.log_change(request, kept, f"Merged {merge.merged_name} (id {merge.merged_contractor_id}) into it.")
            self.message_user(
                request,
                f"{merge.merged_name} was merged into {kept}: {moved or 'nothing else moved'}.",
                messages.SUCCESS,
            )
            return None
        plans = []
        for kept, merged in [(contractors[0], contractors[1]), (contractors[1], contractors[0])]:
            try:
                plans.append(contractor_merge_plan(kept=kept, merged=merged))
            except ApplicationError as error:
                self.message_user(request, str(error), messages.ERROR)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge two contractors",
            "opts": self.model._meta,
            "form": form,
            "plans": plans,
            "contractors": contractors,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "vendors/admin/merge.html", context)


@admin.register(ContractorMembership)
class ContractorMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "contractor", "role", "created_at"]
    list_filter = ["role", "contractor"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "contractor__legal_name"]
    list_select_related = ["user", "contractor"]
    autocomplete_fields = ["user", "contractor"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "contractor", "website"]
    list_filter = ["contractor"]
    search_fields = ["name", "slug", "contractor__legal_name"]
    list_select_related = ["contractor"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["contractor"]


@admin.register(Subcontractor)
class SubcontractorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "contractor", "receives_pii", "written_agreement"]
    list_filter = ["receives_pii", "written_agreement", "contractor"]
    search_fields = ["name", "purpose", "contractor__legal_name"]
    list_select_related = ["contractor"]
    autocomplete_fields = ["contractor"]


def _moved_summary(moved: dict):
    """(label, ids) of what a merge moved, for the operator's message."""
    names = {
        "agreements.Agreement.contractor": "agreements",
        "accounts.Invitation.contractor": "invitations",
        "agreements.Obligation.contractor": "deadlines",
        "agreements.BreachReport.contractor": "breach reports",
    }
    yield "staff members", moved.get("people", {}).get("moved", [])
    yield "products", moved.get("products", {}).get("moved", []) + list(moved.get("products", {}).get("same_as", {}))
    yield (
        "subcontractors",
        moved.get("subcontractors", {}).get("moved", []) + list(moved.get("subcontractors", {}).get("same_as", {})),
    )
    for label, name in names.items():
        yield name, moved.get(label, [])


@admin.register(ContractorMerge)
class ContractorMergeAdmin(admin.ModelAdmin):
    """The log of merges: read only."""

    list_display = ["merged_name", "kept", "actor", "created_at"]
    search_fields = ["merged_name", "merged_slug", "kept__legal_name"]
    list_select_related = ["kept", "actor"]
    readonly_fields = ["kept", "merged_contractor_id", "merged_name", "merged_slug", "actor", "created_at", "moved"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
