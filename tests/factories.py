"""factory_boy factories for the domain model."""

import factory
from django.contrib.auth import get_user_model

from agreements.models import DistrictMembership, EducationalAgency
from exhibits.models import Framework
from vendors.models import Contractor, ContractorMembership, Product, Subcontractor

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class EducationalAgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EducationalAgency

    name = factory.Sequence(lambda n: f"District {n} Central School District")
    slug = factory.Sequence(lambda n: f"district-{n}")
    street_address = "1 School Street"
    city = "Albany"
    postal_code = "12207"
    breach_notice_name = "Data Protection Officer"
    breach_notice_email = factory.Sequence(lambda n: f"dpo{n}@example.org")
    complaint_email = factory.Sequence(lambda n: f"privacy{n}@example.org")


class DistrictMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DistrictMembership

    agency = factory.SubFactory(EducationalAgencyFactory)
    user = factory.SubFactory(UserFactory)
    role = DistrictMembership.Role.ADMIN


class ContractorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contractor

    legal_name = factory.Sequence(lambda n: f"Vendor {n}, Inc.")
    slug = factory.Sequence(lambda n: f"vendor-{n}")


class ContractorMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractorMembership

    contractor = factory.SubFactory(ContractorFactory)
    user = factory.SubFactory(UserFactory)
    role = ContractorMembership.Role.EDITOR


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    contractor = factory.SubFactory(ContractorFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")


class SubcontractorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subcontractor

    contractor = factory.SubFactory(ContractorFactory)
    name = factory.Sequence(lambda n: f"Hosting Provider {n}")
    purpose = "Hosting"


def csf(version: str) -> Framework:
    return Framework.objects.get(code="nist-csf", version=version)
