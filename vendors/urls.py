"""URLs of the vendors' pages (included from dpa_portal/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("vendor/<slug:slug>/", views.dashboard, name="vendor_dashboard"),
    # The dashboard's district and product menus, searched as you type (issue 13).
    path("vendor/<slug:slug>/suggest/districts/", views.suggest_districts, name="vendor_suggest_districts"),
    path("vendor/<slug:slug>/suggest/products/", views.suggest_products, name="vendor_suggest_products"),
]
