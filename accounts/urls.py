"""URLs of the accounts pages. Invitations live under /accounts/ with allauth's pages, where the MFA middleware
lets a not-yet-protected admin through; staff pages live beside each organisation's own pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("accounts/invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("accounts/continue/", views.continue_after_mfa, name="accounts_continue"),
    path("accounts/staff/", views.staff_index, name="staff_index"),
    path("district/<slug:slug>/vendors/invite/", views.vendor_invite, name="district_vendor_invite"),
]

for side in ("district", "vendor"):
    kwargs = {"side": side}
    urlpatterns += [
        path(f"{side}/<slug:slug>/staff/", views.staff, kwargs, name=f"{side}_staff"),
        path(f"{side}/<slug:slug>/staff/<int:pk>/role/", views.staff_role, kwargs, name=f"{side}_staff_role"),
        path(f"{side}/<slug:slug>/staff/<int:pk>/remove/", views.staff_remove, kwargs, name=f"{side}_staff_remove"),
        path(
            f"{side}/<slug:slug>/invitations/<int:pk>/revoke/",
            views.invitation_revoke,
            kwargs,
            name=f"{side}_invitation_revoke",
        ),
    ]
