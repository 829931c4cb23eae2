"""Keep the public pages current: invalidate a district's cached pages when one of its posted agreements changes.

The brief list: a status change to or from a posted status (posted, expired, terminated, closed), a redaction
added or removed, Exhibit B saved, the sealed document or a public copy stored. Also what else the pages show: the
Bill of Rights, the district itself, and the vendor's name, products and subcontractors. A redaction also makes the
agreement's public copy due again (agreements.signing).

Each change makes stale its district's pages and the statewide pages that show that district (cache.py). Only what
the statewide pages list (an agreement entering or leaving the posted statuses, a district, vendor or product name)
makes every statewide page stale; an agreement entering or leaving the posted statuses also counts its district's
posted agreements again (EducationalAgency.posted_count, which the index shows).
"""

from django.db.models import Q
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
from vendors.signals import contractors_merged

from .models import BillOfRights, Redaction, SupplementalInformation
from .public import cache

POSTED = Q(status__in=statuses.POSTED)


def _invalidate_agreements(*, posted_only=True, listed=False, counted=False, **filters) -> None:
    """The districts of these agreements (only the posted ones unless `posted_only` is False); `listed` when what the
    statewide pages list changed too (cache.agreements_changed). No query while a bulk writer holds the invalidation:
    it is resolved once at the end."""
    query = Q(**filters) & POSTED if posted_only else Q(**filters)
    cache.agreements_changed(query, listed=listed, counted=counted)


@receiver(post_save, sender=StatusChange)
def status_changed(sender, instance, raw=False, **kwargs):
    """Into or out of the posted statuses: the statewide pages list it or no longer do, and its district's count
    changes. Between posted statuses (expired, terminated, closed): only its district and the statewide pages that
    show it."""
    if raw:
        return
    was, now = instance.from_status in statuses.POSTED, instance.to_status in statuses.POSTED
    if was or now:
        _invalidate_agreements(posted_only=False, listed=was != now, counted=was != now, pk=instance.agreement_id)


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
    """Product names are what the statewide search finds."""
    if action.startswith("post_"):
        _invalidate_agreements(listed=True, **({"pk__in": pk_set or ()} if reverse else {"pk": instance.pk}))


@receiver(post_save, sender=BillOfRights)
def bill_of_rights_published(sender, instance, raw=False, **kwargs):
    if not raw:
        slug = EducationalAgency.objects.filter(pk=instance.agency_id).values_list("slug", flat=True).first()
        if slug:
            cache.invalidate(slug)  # its own pages only: no statewide page shows the Bill of Rights


@receiver(post_save, sender=EducationalAgency)
def district_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        # Every statewide page: the index lists it, the search and the statewide feed name it. Its posted count is
        # counted again too, so that a district made or restored by other means starts right.
        cache.posted_count_refresh([instance.pk])
        cache.invalidate(instance.slug, statewide=True)


@receiver(post_save, sender=Contractor)
def vendor_saved(sender, instance, raw=False, **kwargs):
    """The vendor's name is what the statewide search finds and the statewide feed shows."""
    if not raw:
        _invalidate_agreements(listed=True, contractor=instance.pk)


@receiver(post_save, sender=Product)
def product_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _invalidate_agreements(listed=True, contractor=instance.contractor_id)


@receiver(post_save, sender=Subcontractor)
def subcontractor_saved(sender, instance, raw=False, **kwargs):
    """Shown on its district's pages only."""
    if not raw:
        _invalidate_agreements(contractor=instance.contractor_id)


@receiver(contractors_merged)
def vendors_merged(sender, agreement_ids, **kwargs):
    """Two contractors merged (issue 14.4): the moved agreements name another vendor, products and subcontractors,
    which the statewide pages list too. Bulk UPDATEs sent no other signal."""
    _invalidate_agreements(listed=True, pk__in=list(agreement_ids))
