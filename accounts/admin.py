from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q
from django.utils import timezone

from dpa_portal.errors import ApplicationError

from .models import Invitation, User, invitations_pending_q
from .services import invitation_revoke


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class InvitationStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("pending", "Pending"), ("accepted", "Accepted"), ("revoked", "Revoked"), ("expired", "Expired")]

    def queryset(self, request, queryset):
        now = timezone.now()
        conditions = {
            "pending": invitations_pending_q(now),
            "accepted": Q(accepted_at__isnull=False),
            "revoked": Q(revoked_at__isnull=False),
            "expired": Q(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now),
        }
        condition = conditions.get(self.value())
        return queryset.filter(condition) if condition is not None else queryset


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Operators look invitations up and withdraw them; they never see the token hash nor create one here (the
    raw token exists only in the e-mail that accounts.services.invitation_create sends)."""

    list_display = ["email", "kind", "organisation", "role", "status", "invited_by", "created_at", "expires_at"]
    list_filter = ["kind", InvitationStatusFilter]
    search_fields = ["email", "agency__name", "contractor__legal_name"]
    list_select_related = ["agency", "contractor", "invited_by"]
    date_hierarchy = "created_at"
    fields = ["kind", "email", "role", "agency", "contractor", "agreement", "invited_by", "created_at",
              "expires_at", "accepted_at", "accepted_by", "revoked_at"]  # fmt: skip
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="status")
    def status(self, obj):
        return obj.status

    @admin.display(description="organisation")
    def organisation(self, obj):
        return obj.organisation

    @admin.action(description="Withdraw the selected pending invitations")
    def revoke(self, request, queryset):
        withdrawn = 0
        for invitation in queryset:
            try:
                invitation_revoke(invitation=invitation, actor=request.user)
            except ApplicationError:
                continue
            withdrawn += 1
        self.message_user(request, f"{withdrawn} invitation(s) withdrawn.", messages.SUCCESS)
