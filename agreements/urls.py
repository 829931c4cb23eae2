"""URLs of the agreements app: the landing page, the district's pages, the agreement and its signing (included from
dpa_portal/urls.py). The deadlines have their own (agreements/deadlines/urls.py)."""

from django.urls import path

from .views import agreement, district, ending, outside, progress, public, signing, term, verify

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("agreements/", public.agreements_home, name="agreements_home"),
    path("verify/", verify.verify, name="verify"),
    path("district/<slug:slug>/", district.dashboard, name="district_dashboard"),
    # The dashboard's vendor and product menus, searched as you type (issue 13).
    path("district/<slug:slug>/suggest/vendors/", district.suggest_vendors, name="district_suggest_vendors"),
    path("district/<slug:slug>/suggest/products/", district.suggest_products, name="district_suggest_products"),
    path("district/<slug:slug>/agreements/new/", district.agreement_new, name="agreement_new"),
    path("district/<slug:slug>/contacts/", district.contacts, name="district_contacts"),
    # An e-mail that did not go out, sent again by a district admin (issue 15).
    path(
        "district/<slug:slug>/emails/<int:pk>/send-again/", district.email_send_again, name="district_email_send_again"
    ),
    path("agreements/<int:pk>/", agreement.detail, name="agreement_detail"),
    path("agreements/<int:pk>/send/", agreement.send, name="agreement_send"),
    path("agreements/<int:pk>/term/", agreement.edit_term, name="agreement_term"),
    path("agreements/<int:pk>/term/change/", term.change, name="agreement_term_change"),
    path("agreements/<int:pk>/term/review/", term.review, name="agreement_term_review"),
    path("agreements/<int:pk>/request-changes/", agreement.request_changes, name="agreement_request_changes"),
    path("agreements/<int:pk>/approve/", agreement.approve, name="agreement_approve"),
    path("agreements/<int:pk>/withdraw/", agreement.withdraw, name="agreement_withdraw"),
    path("agreements/<int:pk>/submit/", agreement.submit, name="agreement_submit"),
    path("agreements/<int:pk>/reuse/", agreement.reuse, name="agreement_reuse"),
    path("agreements/<int:pk>/sign/", signing.sign, name="agreement_sign"),
    path("agreements/<int:pk>/documents/<slug:kind>/", signing.document, name="agreement_document"),
    # A document while a worker makes it: the panel the agreement and signing pages ask for every 2 s (issue 14.1).
    path(
        "agreements/<int:pk>/documents/<slug:kind>/progress/",
        progress.document_status,
        name="agreement_document_progress",
    ),
    path("agreements/<int:pk>/amend/", signing.amend, name="agreement_amend"),
    path("agreements/<int:pk>/terminate/", ending.terminate, name="agreement_terminate"),
    path("agreements/<int:pk>/carry-over/", ending.carry_over, name="agreement_carry_over"),
    # An agreement signed outside the portal (issue 12): the PDF as uploaded, and the district's completion of it.
    path("agreements/<int:pk>/signed-outside/pdf/", outside.document, name="outside_document"),
    path("agreements/<int:pk>/signed-outside/complete/", outside.complete, name="outside_complete"),
]
