"""The database itself refuses data that breaks the model's rules (PostgreSQL in `make test`)."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from agreements.models import Agreement, DistrictMembership
from exhibits.models import BillOfRights, CsfResponse, SupplementalInformation
from vendors.models import ContractorMembership, Product

from . import factories


def refused(callable_, *args, **kwargs):
    """True when the database raises an IntegrityError for the write."""
    try:
        with transaction.atomic():
            callable_(*args, **kwargs)
    except IntegrityError:
        return True
    return False


def test_contract_end_before_start_is_refused(agreement):
    agreement.contract_start = date(2026, 7, 1)
    agreement.contract_end = date(2026, 6, 30)
    assert refused(agreement.save)


def test_contract_term_of_one_day_and_open_end_are_allowed(agreement):
    agreement.contract_start = agreement.contract_end = date(2026, 7, 1)
    agreement.save()
    agreement.contract_end = None
    agreement.save()
    agreement.refresh_from_db()
    assert agreement.contract_start == date(2026, 7, 1) and agreement.contract_end is None


def test_bulk_update_cannot_bypass_the_date_range(agreement):
    assert refused(
        Agreement.objects.filter(pk=agreement.pk).update, contract_start=date(2027, 1, 1), contract_end=date(2026, 1, 1)
    )


def test_second_response_for_the_same_category_is_refused(agreement):
    first = agreement.csf_responses.select_related("category").first()
    assert refused(CsfResponse.objects.create, agreement=agreement, category=first.category, narrative="again")


def test_implementation_tier_must_be_one_to_four(agreement):
    response = agreement.csf_responses.first()
    for tier in (1, 4):
        response.tier = tier
        response.save()
    response.tier = 5
    assert refused(response.save)
    response.tier = 0
    assert refused(response.save)


def test_one_exhibit_b_per_agreement(agreement):
    assert SupplementalInformation.objects.filter(agreement=agreement).count() == 1
    assert refused(SupplementalInformation.objects.create, agreement=agreement)


def test_one_exhibit_c_per_agreement(agreement):
    from exhibits.models import SecurityPlan

    assert refused(SecurityPlan.objects.create, agreement=agreement)


def test_other_storage_must_be_described(agreement):
    info = agreement.supplemental_information
    info.storage_other = True
    assert refused(info.save)
    info.storage_other_description = "On-premises servers at the district"
    info.save()


def test_correction_days_must_be_positive(agreement):
    info = agreement.supplemental_information
    info.correction_days = 0
    assert refused(info.save)


def test_slugs_are_unique(district, vendor):
    assert refused(factories.EducationalAgencyFactory, slug=district.slug)
    assert refused(factories.ContractorFactory, slug=vendor.slug)


def test_product_slug_unique_per_contractor_only(product, other_vendor):
    assert refused(Product.objects.create, contractor=product.contractor, name="Again", slug=product.slug)
    Product.objects.create(contractor=other_vendor, name="Same slug elsewhere", slug=product.slug)


def test_one_membership_per_person_and_organisation(district_admin, district, vendor_editor, vendor):
    assert refused(DistrictMembership.objects.create, agency=district, user=district_admin, role="viewer")
    assert refused(ContractorMembership.objects.create, contractor=vendor, user=vendor_editor, role="admin")


def test_membership_role_must_be_known(district):
    user = factories.UserFactory()
    assert refused(DistrictMembership.objects.create, agency=district, user=user, role="owner")


def test_status_must_be_a_lifecycle_status(agreement):
    assert refused(Agreement.objects.filter(pk=agreement.pk).update, status="signed-ish")


def test_amendment_needs_a_previous_agreement_and_a_new_one_has_none(agreement):
    assert refused(Agreement.objects.filter(pk=agreement.pk).update, kind=Agreement.Kind.AMENDMENT)
    renewal = Agreement.objects.create(
        agency=agreement.agency,
        contractor=agreement.contractor,
        framework=agreement.framework,
        kind=Agreement.Kind.RENEWAL,
        previous=agreement,
    )
    assert refused(Agreement.objects.filter(pk=renewal.pk).update, kind=Agreement.Kind.NEW)


def test_an_agreement_cannot_follow_itself(agreement):
    assert refused(
        Agreement.objects.filter(pk=agreement.pk).update, kind=Agreement.Kind.AMENDMENT, previous=agreement.pk
    )


def test_bill_of_rights_versions_are_unique_per_district(district):
    BillOfRights.objects.create(agency=district, version=1, preamble="p", items=["a"], effective_date=date.today())
    assert refused(
        BillOfRights.objects.create, agency=district, version=1, preamble="q", items=["b"], effective_date=date.today()
    )


def test_emails_are_unique_regardless_of_case(db):
    factories.UserFactory(email="Person@Example.org")
    assert refused(factories.UserFactory, email="person@example.org")


@pytest.mark.parametrize("version", ["1.1", "2.0"])
def test_new_agreement_has_a_response_row_per_category(catalogues, district, vendor, version):
    from agreements.services import agreement_create

    agreement = agreement_create(agency=district, contractor=vendor, framework=factories.csf(version))
    identifiers = list(agreement.csf_responses.values_list("category__identifier", flat=True))
    expected = list(factories.csf(version).categories.values_list("identifier", flat=True))
    assert identifiers == expected
