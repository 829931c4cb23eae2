"""The portal's URLs: each app mounts its own; this file only includes them (import-linter checks that it imports no
app's views, see [tool.importlinter] in pyproject.toml)."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "DPA Portal operations"
admin.site.site_title = "DPA Portal"

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("public/", include("exhibits.public.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("", include("agreements.urls")),
    path("", include("vendors.urls")),
    path("", include("exhibits.urls")),
    path("", include("agreements.deadlines.urls")),
    path("", include("portfolio.urls")),
    path("admin/", admin.site.urls),
]
