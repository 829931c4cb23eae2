from django.urls import path

from . import views

urlpatterns = [
    path("deadlines/", views.deadlines, name="deadlines"),
    path("deadlines/calendar/", views.calendar_issue, name="deadlines_calendar"),
    path("deadlines/calendar/revoke/", views.calendar_revoke, name="deadlines_calendar_revoke"),
    path("deadlines/calendar/<str:token>.ics", views.calendar_feed, name="deadlines_feed"),
    path("deadlines/<int:pk>/", views.obligation_detail, name="obligation_detail"),
    path("deadlines/<int:pk>/done/", views.obligation_done, name="obligation_done"),
    path("deadlines/<int:pk>/delay/", views.obligation_delay, name="obligation_delay"),
    path("deadlines/<int:pk>/remedied/", views.obligation_remedied, name="obligation_remedied"),
    path("deadlines/<int:pk>/extend/", views.obligation_extend, name="obligation_extend"),
    path("district/<slug:slug>/breaches/", views.district_breaches, name="district_breaches"),
    path("district/<slug:slug>/breaches/new/", views.district_breach_new, name="district_breach_new"),
    path("district/<slug:slug>/breaches/<int:pk>/", views.district_breach, name="district_breach"),
    path("district/<slug:slug>/breaches/<int:pk>/letter/", views.district_breach_letter, name="district_breach_letter"),
    path(
        "district/<slug:slug>/breaches/<int:pk>/nysed.txt", views.district_breach_export, name="district_breach_nysed"
    ),
    path("district/<slug:slug>/requests/", views.district_requests, name="district_requests"),
    path("district/<slug:slug>/requests/new/", views.district_request_new, name="district_request_new"),
    path("district/<slug:slug>/requests/<int:pk>/", views.district_request, name="district_request"),
    path("district/<slug:slug>/closures/", views.district_closures, name="district_closures"),
    path(
        "district/<slug:slug>/closures/<int:pk>/delete/", views.district_closure_delete, name="district_closure_delete"
    ),
    path("vendor/<slug:slug>/breaches/", views.vendor_breaches, name="vendor_breaches"),
    path("vendor/<slug:slug>/breaches/new/", views.vendor_breach_new, name="vendor_breach_new"),
    path("vendor/<slug:slug>/breaches/<int:pk>/", views.vendor_breach, name="vendor_breach"),
    path("agreements/<int:pk>/destruction/", views.agreement_destruction, name="agreement_destruction"),
    path("agreements/<int:pk>/notices/", views.agreement_notices, name="agreement_notices"),
    path("agreements/<int:pk>/notices/reimbursement/", views.agreement_reimbursement, name="agreement_reimbursement"),
    path(
        "agreements/<int:pk>/destruction/<int:certificate_pk>/decide/",
        views.destruction_decide,
        name="destruction_decide",
    ),
]
