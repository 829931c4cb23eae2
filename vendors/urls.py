"""URLs of the vendors' pages (included from dpa_portal/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("vendor/<slug:slug>/", views.dashboard, name="vendor_dashboard"),
]
