"""The portal's URLs and /bench/bare/?size=N, for the benchmark only (bench/statewide/settings.py)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/bare/", views.bare, name="bench_bare"),
    path("", include("dpa_portal.urls")),
]
