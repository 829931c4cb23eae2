"""`manage.py load_demo`: the reference DPA as demo data, one user per persona, idempotent."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management import call_command

from agreements.demo import PERSONAS, SECURITY_PLAN
from agreements.models import Agreement, DistrictMembership
from exhibits.models import SECURITY_PLAN_QUESTIONS
from vendors.models import ContractorMembership

from .shared import SharedRows, demo_rows

PROJECT_APPS = ["accounts", "agreements", "vendors", "exhibits"]

# The tests that only read what the command built share one run of it (two PDFs rendered and sealed); the tests of
# its output and of its settings run it themselves.
SHARED_ROWS = SharedRows()


SHARED_ROWS.layer()(demo_rows)


loaded = SHARED_ROWS.fixture("loaded", "demo_rows")


def snapshot() -> str:
    """Every row of the project's tables, serialized: equal snapshots mean nothing changed."""
    models = [m for app in PROJECT_APPS for m in apps.get_app_config(app).get_models()]
    return serializers.serialize("json", [obj for m in models for obj in m._default_manager.order_by("pk")])


def test_demo_builds_the_reference_agreement(catalogues, capsys, settings):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert settings.DEMO_PASSWORD in out
    for persona in PERSONAS:
        assert persona.email in out

    agreement = Agreement.objects.select_related("agency", "contractor", "framework").get(
        agency__slug="liverpool-csd", contractor__slug="codehs"
    )
    assert agreement.agency.name == "Liverpool Central School District"
    assert agreement.contractor.legal_name == "CodeHS"
    assert str(agreement.service_agreement_date) == "2020-11-02"
    assert agreement.agency.breach_notice_title == "Director of Technology"
    assert agreement.framework.version == "1.1"
    assert agreement.status == Agreement.Status.SUBMITTED
    assert [c.to_status for c in agreement.status_changes.all()] == ["draft", "with_vendor", "submitted"]

    plan = agreement.security_plan
    assert plan.safeguards.startswith("All data and traffic are encrypted using HTTPS.")
    assert all(getattr(plan, field) for field, _ in SECURITY_PLAN_QUESTIONS)
    assert plan.secure_destruction == SECURITY_PLAN["secure_destruction"]
    assert agreement.csf_responses.count() == 23
    assert not agreement.csf_responses.filter(narrative="").exists()
    info = agreement.supplemental_information
    assert info.receives_student_pii and info.storage_third_party_cloud and info.purposes
    assert list(info.subcontractors.values_list("name", flat=True)) == ["Amazon Web Services"]
    assert agreement.bill_of_rights_acknowledgement.bill_of_rights.version == 1
    # The district's complaint contact is written into item 6 of its Bill of Rights.
    items = agreement.agency.bills_of_rights.get().items
    assert len(items) == 9 and "privacy-complaints@example.org" in items[5]


def test_the_demo_has_an_executed_sealed_agreement(loaded):
    from agreements.models import AgreementDocument
    from agreements.verification import document_verify

    executed = Agreement.objects.get(contractor__slug="brightpath-reading")
    assert executed.status == Agreement.Status.EXECUTED
    assert [s.typed_name for s in executed.signatures.order_by("signed_at")] == ["Lena Hartmann", "Dana Whitfield"]
    document = executed.documents.get(kind=AgreementDocument.Kind.EXECUTED)
    assert document_verify(bytes(document.pdf)).intact
    # The deadlines pages have something to show: a parent's access request, and the end of the term.
    duties = set(executed.obligations.values_list("kind", flat=True))
    assert len(duties) >= 2, duties


def test_without_a_sealing_certificate_the_demo_waits_to_be_sealed(catalogues, settings, capsys):
    settings.DPA_SEAL_P12 = ""
    call_command("load_demo")
    assert "waits to be sealed" in capsys.readouterr().out
    assert Agreement.objects.get(contractor__slug="brightpath-reading").status == Agreement.Status.VENDOR_SIGNED


def test_a_second_district_asks_for_the_same_product_in_csf_2(loaded):
    from exhibits.services import reuse_source_for

    second = Agreement.objects.get(agency__slug="onondaga-hills-ufsd")
    assert second.status == Agreement.Status.WITH_VENDOR and second.framework.version == "2.0"
    assert reuse_source_for(second).agency.slug == "liverpool-csd"


def test_demo_admins_have_mfa_with_the_demo_secret(loaded, settings):
    from allauth.mfa.models import Authenticator

    with_totp = set(Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list("user__email", flat=True))
    assert with_totp == {p.email for p in PERSONAS if p.role == "admin"}


def test_one_user_per_persona_with_the_printed_password(loaded, settings):
    User = get_user_model()
    for persona in PERSONAS:
        user = User.objects.get(email=persona.email)
        assert user.check_password(settings.DEMO_PASSWORD)
        assert user.email.endswith("@example.org")
        if persona.side == "district":
            assert DistrictMembership.objects.get(user=user).role == persona.role
        elif persona.side == "vendor":
            assert ContractorMembership.objects.get(user=user).role == persona.role
        else:
            assert user.is_superuser and user.is_staff


def test_running_twice_changes_nothing(loaded):
    first = snapshot()
    call_command("load_demo")
    assert snapshot() == first


def test_no_demo_users_unless_the_command_runs(db):
    assert not get_user_model().objects.filter(email__in=[p.email for p in PERSONAS]).exists()
