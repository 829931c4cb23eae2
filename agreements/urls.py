from django.urls import path

from exhibits import views as exhibits
from vendors import views as vendors

from .views import agreement, district, signing, verify

urlpatterns = [
    path("verify/", verify.verify, name="verify"),
    path("district/<slug:slug>/", district.dashboard, name="district_dashboard"),
    path("district/<slug:slug>/agreements/new/", district.agreement_new, name="agreement_new"),
    path("district/<slug:slug>/contacts/", district.contacts, name="district_contacts"),
    path("vendor/<slug:slug>/", vendors.dashboard, name="vendor_dashboard"),
    path("agreements/<int:pk>/", agreement.detail, name="agreement_detail"),
    path("agreements/<int:pk>/send/", agreement.send, name="agreement_send"),
    path("agreements/<int:pk>/term/", agreement.edit_term, name="agreement_term"),
    path("agreements/<int:pk>/request-changes/", agreement.request_changes, name="agreement_request_changes"),
    path("agreements/<int:pk>/approve/", agreement.approve, name="agreement_approve"),
    path("agreements/<int:pk>/withdraw/", agreement.withdraw, name="agreement_withdraw"),
    path("agreements/<int:pk>/submit/", agreement.submit, name="agreement_submit"),
    path("agreements/<int:pk>/reuse/", agreement.reuse, name="agreement_reuse"),
    path("agreements/<int:pk>/comments/", agreement.comment, name="agreement_comment"),
    path("agreements/<int:pk>/sign/", signing.sign, name="agreement_sign"),
    path("agreements/<int:pk>/documents/<slug:kind>/", signing.document, name="agreement_document"),
    path("agreements/<int:pk>/amend/", signing.amend, name="agreement_amend"),
    path("agreements/<int:pk>/exhibit-a/acknowledge/", exhibits.acknowledge_bill_of_rights, name="exhibit_a_ack"),
    path("agreements/<int:pk>/exhibit-b/", exhibits.exhibit_b, name="exhibit_b"),
    path("agreements/<int:pk>/exhibit-c/", exhibits.exhibit_c, name="exhibit_c"),
    path("agreements/<int:pk>/exhibit-c1/", exhibits.exhibit_c1, name="exhibit_c1"),
    path("agreements/<int:pk>/subcontractors/", exhibits.subcontractors, name="exhibit_subcontractors"),
]
