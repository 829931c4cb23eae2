from django.contrib import admin
from django.urls import include, path

from agreements.views import public as views

admin.site.site_header = "DPA Portal operations"
admin.site.site_title = "DPA Portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("agreements/", views.agreements_home, name="agreements_home"),
    path("accounts/", include("allauth.urls")),
    path("public/", include("exhibits.public.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("", include("agreements.urls")),
    path("", include("agreements.deadlines.urls")),
    path("admin/", admin.site.urls),
]
