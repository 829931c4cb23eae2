from django.urls import path

from . import views

urlpatterns = [
    path("requests/sign-up/", views.sign_up, name="apprequests_sign_up"),
    path("requests/sign-up/<str:token>/", views.sign_up_confirm, name="apprequests_sign_up_confirm"),
    path("requests/<slug:slug>/", views.mine, name="apprequests_mine"),
    path("requests/<slug:slug>/new/", views.new, name="apprequests_new"),
    path("district/<slug:slug>/staff-domains/", views.staff_domains, name="apprequests_staff_domains"),
]
