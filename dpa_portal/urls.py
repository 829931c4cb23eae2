from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from agreements import views

admin.site.site_header = "DPA Portal operations"
admin.site.site_title = "DPA Portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
