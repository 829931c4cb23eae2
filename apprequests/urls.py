from django.urls import path

from . import views, views_public, views_triage

urlpatterns = [
    path("requests/sign-up/", views.sign_up, name="apprequests_sign_up"),
    path("requests/sign-up/<str:token>/", views.sign_up_confirm, name="apprequests_sign_up_confirm"),
    path("requests/<slug:slug>/", views.mine, name="apprequests_mine"),
    path("requests/<slug:slug>/new/", views.new, name="apprequests_new"),
    # The district's approved-apps list among its public pages (issue 16.4).
    path("public/<slug:slug>/apps/", views_public.apps_list, name="apprequests_public_list"),
    path("public/<slug:slug>/apps.json", views_public.apps_json, name="apprequests_public_json"),
    path("public/<slug:slug>/apps.csv", views_public.apps_csv, name="apprequests_public_csv"),
    path("district/<slug:slug>/staff-domains/", views.staff_domains, name="apprequests_staff_domains"),
    # The technology director's queue (issue 16.3); a request names its group (the requests for the same app).
    path("requests/<slug:slug>/<int:pk>/answer/", views_triage.answer, name="apprequests_answer"),
    path("district/<slug:slug>/app-requests/", views_triage.queue, name="apprequests_queue"),
    path("district/<slug:slug>/app-requests/<int:pk>/start/", views_triage.start, name="apprequests_queue_start"),
    path("district/<slug:slug>/app-requests/<int:pk>/ask/", views_triage.ask, name="apprequests_queue_ask"),
    path("district/<slug:slug>/app-requests/<int:pk>/decline/", views_triage.decline, name="apprequests_queue_decline"),
]
