from django.contrib import admin

from .models import AppRequest, Requester, StaffDomain


@admin.register(StaffDomain)
class StaffDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "agency"]
    search_fields = ["domain"]
    raw_id_fields = ["agency"]


@admin.register(Requester)
class RequesterAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "created_at"]
    raw_id_fields = ["user", "agency"]


@admin.register(AppRequest)
class AppRequestAdmin(admin.ModelAdmin):
    list_display = ["app_name", "agency", "status", "created_at"]
    list_filter = ["status"]
    # Every foreign key by id: a select would list all the state's products (alternative) and users (decided_by).
    raw_id_fields = ["agency", "requester", "product", "agreement", "alternative", "decided_by"]
