"""Posted agreements for the tests of the public pages, made through agreements.services, without the renderer or
the seal: the lifecycle's allowed path to executed, and small PDFs made with WeasyPrint stored as the sealed executed
DPA and as its public copy (tests/test_public_copy.py makes and reads real ones)."""

import hashlib
import itertools
from datetime import date
from functools import cache

import pytest
from django.core.cache import cache as django_cache

from agreements.models import Agreement, AgreementDocument, PublicScope
from agreements.services import agreement_create, agreement_transition
from exhibits.models import SupplementalInformation
from exhibits.services import bill_of_rights_publish
from vendors.models import Subcontractor

from . import factories

S = Agreement.Status
TO_EXECUTED = [S.WITH_VENDOR, S.SUBMITTED, S.APPROVED, S.VENDOR_SIGNED, S.EXECUTED]
_documents = itertools.count(1)


@cache
def small_pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string="<h1>Executed DPA</h1><p>Sealed copy for the tests.</p>").write_pdf()


@cache
def small_public_pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string="<h1>Public copy</h1><p>Sealed public copy for the tests.</p>").write_pdf()


def exhibit_b(agreement, **answers) -> SupplementalInformation:
    info = agreement.supplemental_information
    values = {
        "purposes": "To provide reading lessons to students.",
        "receives_student_pii": True,
        "subcontractor_use": SupplementalInformation.SubcontractorUse.WILL_USE,
        "data_transition_details": "Data is returned as CSV, then deleted within 30 days.",
        "storage_third_party_cloud": True,
        "security_measures": "Access limited to trained staff; audits each year.",
        "encryption_details": "TLS 1.2+ in motion; AES-256 at rest.",
    }
    values.update(answers)
    for name, value in values.items():
        setattr(info, name, value)
    info.save()
    return info


def make_agreement(*, agency, contractor=None, products=None, status=S.EXECUTED, subcontractor=None, **answers):
    """An agreement of `agency` with Exhibit B answered, moved along the lifecycle to `status`.

    Executed or later: with the stored sealed PDF and its public copy, as the signing flow leaves it.
    """
    contractor = contractor or factories.ContractorFactory()
    if products is None:
        products = [factories.ProductFactory(contractor=contractor)]
    agreement = agreement_create(
        agency=agency,
        contractor=contractor,
        products=products,
        framework=factories.csf("1.1"),
        contract_start=date(2026, 7, 1),
        contract_end=date(2027, 6, 30),
    )
    info = exhibit_b(agreement, **answers)
    if subcontractor is not False:
        subcontractor = (
            subcontractor
            or Subcontractor.objects.get_or_create(
                contractor=contractor,
                name="Cloud Host Co",
                defaults={"purpose": "Hosting", "receives_pii": True, "written_agreement": True},
            )[0]
        )
        info.subcontractors.add(subcontractor)
    move(agreement, status)
    return agreement


def move(agreement, status, *, start=S.DRAFT) -> Agreement:
    """Move along the allowed path from `start`: draft -> ... -> executed -> expired -> closed (or terminated, or
    withdrawn)."""
    path = {
        S.DRAFT: [],
        S.WITH_VENDOR: TO_EXECUTED[:1],
        S.SUBMITTED: TO_EXECUTED[:2],
        S.APPROVED: TO_EXECUTED[:3],
        S.VENDOR_SIGNED: TO_EXECUTED[:4],
        S.EXECUTED: TO_EXECUTED,
        S.EXPIRED: [*TO_EXECUTED, S.EXPIRED],
        S.TERMINATED: [*TO_EXECUTED, S.TERMINATED],
        S.CLOSED: [*TO_EXECUTED, S.EXPIRED, S.CLOSED],
        S.WITHDRAWN: [S.WITH_VENDOR, S.SUBMITTED, S.WITHDRAWN],
    }
    path = path[status][len(path[start]) :]
    for step in path:
        if step == S.EXECUTED:
            store_executed_document(agreement)
        agreement_transition(agreement=agreement, to_status=step)
        if step == S.EXECUTED:
            store_public_copy(agreement)
    return agreement


def store_executed_document(agreement, pdf: bytes | None = None) -> AgreementDocument:
    pdf = pdf or small_pdf()
    return AgreementDocument.objects.create(
        agreement=agreement,
        kind=AgreementDocument.Kind.EXECUTED,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        document_id=f"DPA-TEST{next(_documents):06d}",
    )


def store_public_copy(agreement, pdf: bytes | None = None) -> AgreementDocument:
    """A public copy for what the district posts now (its Exhibit C choice, the parts withheld now)."""
    pdf = pdf or small_public_pdf()
    agreement = Agreement.objects.select_related("agency").get(pk=agreement.pk)
    return AgreementDocument.objects.create(
        agreement=agreement,
        kind=AgreementDocument.Kind.PUBLIC_COPY,
        public_scope=PublicScope.of(agreement).key,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        document_id=f"DPA-TEST{next(_documents):06d}",
    )


# --- fixtures shared by the tests of the public pages: import `<name>_fixture` into a test module to use them ---


@pytest.fixture(name="fresh_cache")
def fresh_cache_fixture():
    """Pages are cached per district slug, and every test reuses the same slugs: start and end each test empty."""
    django_cache.clear()
    yield
    django_cache.clear()


@pytest.fixture(name="posted")
def posted_fixture(fresh_cache, catalogues, district, vendor, product):
    """An executed agreement of the district with Learning Tools' Reading Coach, Exhibit B answered."""
    bill_of_rights_publish(agency=district)
    return make_agreement(agency=district, contractor=vendor, products=[product])
