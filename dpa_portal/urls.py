"""The portal's URLs: each app mounts its own; this file only includes them (import-linter checks that it imports no
app's views, see [tool.importlinter] in pyproject.toml)."""

from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_safe

admin.site.site_header = "DPA Portal operations"
admin.site.site_title = "DPA Portal"


@require_safe
def favicon(request):
    """Browsers, feed readers and PDF viewers ask for /favicon.ico whatever a page's <link rel="icon"> says (issue 14):
    the portal's one icon, the SVG among the static files (its URL is found per request: a deployment's manifest names
    it with its hash). Not permanent, so that a new icon's hashed name is followed; cached for a day."""
    response = redirect(static("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/", include("allauth.urls")),
    path("public/", include("exhibits.public.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("", include("agreements.urls")),
    path("", include("vendors.urls")),
    path("", include("exhibits.urls")),
    path("", include("agreements.deadlines.urls")),
    path("", include("portfolio.urls")),
    path("", include("apprequests.urls")),
    path("admin/", admin.site.urls),
]
