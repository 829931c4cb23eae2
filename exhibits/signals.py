"""Keep the public pages current: invalidate a district's cached pages when one of its posted agreements changes.

The brief list: a status change to or from a posted status (posted, expired, terminated, closed), a redaction
added or removed, Exhibit B saved, the sealed document or a public copy stored. Also what else the pages show: the
Bill of Rights, the district itself, and the vendor's name, products and subcontractors. A redaction also makes the
agreement's public copy due again (agreements.signing).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from agreements.models import (
    Agreement,
    AgreementDocument,
    EducationalAgency,
    OutsideSigning,
    StatusChange,
    statuses,
)
from vendors.models import Contractor, Product, Subcontractor

from .models import BillOfRights, Redaction, SupplementalInformation
from .public import cache


def _invalidate_agreements(*, posted_only=True, **filters) -> None:
    if cache.held():  # a bulk writer invalidates its districts once when it ends
        return
    agreements = Agreement.objects.filter(**filters)
    if posted_only:
        agreements = agreements.filter(status__in=statuses.POSTED)
    slugs = set(agreements.values_list("agency__slug", flat=True))
    if slugs:
        cache.invalidate(*slugs)


@receiver(post_save, sender=StatusChange)
def status_changed(sender, instance, raw=False, **kwargs):
    if not raw and (instance.to_status in statuses.POSTED or instance.from_status in statuses.POSTED):
        _invalidate_agreements(posted_only=False, pk=instance.agreement_id)


@receiver(post_save, sender=Redaction)
@receiver(post_delete, sender=Redaction)
def redaction_changed(sender, instance, raw=False, **kwargs):
    """Also the public copy: one without the part withheld now, or with the part shown again, is made (here, so that
    a redaction made anywhere, the Django admin included, is followed)."""
    from agreements.signing import public_copies_schedule

    if not raw:
        _invalidate_agreements(pk=instance.agreement_id)
        public_copies_schedule(Agreement.objects.filter(pk=instance.agreement_id))


@receiver(post_save, sender=SupplementalInformation)
def exhibit_b_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _invalidate_agreements(pk=instance.agreement_id)


@receiver(post_save, sender=OutsideSigning)
def outside_signing_saved(sender, instance, raw=False, **kwargs):
    """An agreement signed outside the portal: its page shows items 2 and 4 and the upload date from this row, which
    the district may complete later (issue 12)."""
    if not raw:
        _invalidate_agreements(pk=instance.agreement_id)


@receiver(post_save, sender=AgreementDocument)
def document_stored(sender, instance, raw=False, **kwargs):
    if not raw and instance.kind in (AgreementDocument.Kind.EXECUTED, AgreementDocument.Kind.PUBLIC_COPY):
        _invalidate_agreements(posted_only=False, pk=instance.agreement_id)


@receiver(m2m_changed, sender=SupplementalInformation.subcontractors.through)
def exhibit_b_subcontractors_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    if action.startswith("post_"):
        if reverse:  # a subcontractor's list of exhibits changed
            _invalidate_agreements(supplemental_information__pk__in=pk_set or ())
        else:
            _invalidate_agreements(pk=instance.agreement_id)


@receiver(m2m_changed, sender=Agreement.products.through)
def agreement_products_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    if action.startswith("post_"):
        _invalidate_agreements(**({"pk__in": pk_set or ()} if reverse else {"pk": instance.pk}))


@receiver(post_save, sender=BillOfRights)
def bill_of_rights_published(sender, instance, raw=False, **kwargs):
    if not raw:
        slug = EducationalAgency.objects.filter(pk=instance.agency_id).values_list("slug", flat=True).first()
        if slug:
            cache.invalidate(slug)


@receiver(post_save, sender=EducationalAgency)
def district_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        cache.invalidate(instance.slug)  # and the statewide index, which lists it


@receiver(post_save, sender=Contractor)
def vendor_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _invalidate_agreements(contractor=instance.pk)


@receiver(post_save, sender=Product)
@receiver(post_save, sender=Subcontractor)
def vendor_detail_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _invalidate_agreements(contractor=instance.contractor_id)
