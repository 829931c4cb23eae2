"""URLs of the pages where the vendor answers the exhibits and the district comments on them (included from
dpa_portal/urls.py). The public posting has its own URLs under /public/ (exhibits/public/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("agreements/<int:pk>/comments/", views.comment, name="agreement_comment"),
    path("agreements/<int:pk>/comments/state/", views.comment_state, name="agreement_comment_state"),
    path("agreements/<int:pk>/review/", views.review, name="agreement_review"),
    path("agreements/<int:pk>/exhibit-a/acknowledge/", views.acknowledge_bill_of_rights, name="exhibit_a_ack"),
    path("agreements/<int:pk>/exhibit-b/", views.exhibit_b, name="exhibit_b"),
    path("agreements/<int:pk>/exhibit-c/", views.exhibit_c, name="exhibit_c"),
    path("agreements/<int:pk>/exhibit-c1/", views.exhibit_c1, name="exhibit_c1"),
    path("agreements/<int:pk>/subcontractors/", views.subcontractors, name="exhibit_subcontractors"),
    # The submit form when answers were carried over from another agreement: with the vendor's confirmation.
    path("agreements/<int:pk>/submit/carried/", views.submit_carried, name="agreement_submit_carried"),
]
