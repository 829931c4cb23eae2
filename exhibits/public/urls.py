"""Every public URL lives under /public/ (included from dpa_portal/urls.py). Fixed paths come before a district's
slug, so a district cannot be named "search" or "manage" here."""

from django.urls import path

from . import feeds, opendata, redactions, views

urlpatterns = [
    path("", views.index, name="public_index"),
    path("search/", views.search, name="public_search"),
    path("feed.atom", feeds.statewide_feed, name="public_feed"),
    path("manage/<slug:slug>/agreements/<int:pk>/redactions/", redactions.manage, name="public_redactions"),
    path("<slug:slug>/", views.district, name="public_district"),
    path("<slug:slug>/agreements/<int:pk>/", views.agreement, name="public_agreement"),
    path("<slug:slug>/agreements/<int:pk>/dpa.pdf", views.sealed_pdf, name="public_agreement_pdf"),
    path("<slug:slug>/agreements.json", opendata.agreements_json, name="public_agreements_json"),
    path("<slug:slug>/agreements.csv", opendata.agreements_csv, name="public_agreements_csv"),
    path("<slug:slug>/feed.atom", feeds.district_feed, name="public_district_feed"),
    path("<slug:slug>/embed/", views.embed, name="public_embed"),
    path("<slug:slug>/open-data/", views.open_data, name="public_open_data"),
]
