from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Contractor, ContractorMembership, Product, Subcontractor


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
