"""Reads for the public pages, each a fixed number of queries however many agreements a district has."""

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from agreements.models import (
    Agreement,
    AgreementDocument,
    DestructionCertificate,
    EducationalAgency,
    PublicScope,
    StatusChange,
    Termination,
    statuses,
)
from exhibits.models import BillOfRights
from vendors.models import Product


def _became(status):
    """When the agreement last became `status`, from its log of status changes."""
    changes = StatusChange.objects.filter(agreement=OuterRef("pk"), to_status=status).order_by("-created_at")
    return Subquery(changes.values("created_at")[:1])


def destruction_certified_at():
    """When the vendor certified that the data is destroyed (DPA II.9(c)): the accepted DestructionCertificate's date.

    An agreement closed without a certificate in the portal (by an operator, for a certification received on paper)
    falls back to when it became closed, which only a certification does.
    """
    accepted = DestructionCertificate.objects.filter(
        agreement=OuterRef("pk"), status=DestructionCertificate.Status.ACCEPTED
    ).order_by("-reviewed_at")
    return Coalesce(Subquery(accepted.values("certified_at")[:1]), _became(Agreement.Status.CLOSED))


def posted_agreements():
    """Every posted agreement with what its public record needs: seven queries for any number of them."""
    posted = Agreement.objects.filter(status__in=statuses.POSTED)
    return (
        # outside_signing: an agreement signed outside the portal (issue 12), joined here so that no row costs a query.
        posted.select_related("agency", "contractor", "supplemental_information", "outside_signing")
        .prefetch_related(
            Prefetch("products", queryset=Product.objects.order_by("name")),
            "supplemental_information__subcontractors",
            "redactions",
            # The public copies, never the executed DPA: records.py picks the one of the district's current choice.
            Prefetch(
                "documents",
                queryset=AgreementDocument.objects.filter(kind=AgreementDocument.Kind.PUBLIC_COPY).defer(
                    "pdf", "public_source"
                ),
                to_attr="public_copies",
            ),
        )
        .annotate(
            destruction_certified_at=destruction_certified_at(),
            # An amendment or renewal is a new agreement: link the two when both are posted.
            replaces_id=Subquery(posted.filter(pk=OuterRef("previous_id")).values("pk")[:1]),
            replaced_by_id=Subquery(posted.filter(previous=OuterRef("pk")).order_by("-pk").values("pk")[:1]),
            # Ended early (issue 11): the effective date the district recorded, which the page states.
            ended_early_on=Subquery(Termination.objects.filter(agreement=OuterRef("pk")).values("effective_on")[:1]),
        )
    )


def posted_history(*, agency, pk: int) -> list[Agreement]:
    """The posted agreements of the chain of amendments and renewals that agreement `pk` belongs to, oldest first, so
    that its public page shows the current one and its history (issue 11.3). One query: the district's posted
    agreements, walked in memory (a step seen twice ends the walk, whatever the data says)."""
    posted = {
        a.pk: a
        for a in Agreement.objects.filter(status__in=statuses.POSTED, agency=agency)
        .only("pk", "previous_id", "kind", "status", "contract_start", "agency_id")
        .order_by("pk")
    }
    if pk not in posted:
        return []
    later = {}
    for a in posted.values():
        later.setdefault(a.previous_id, a)  # of several made from one agreement, the earliest
    chain, seen = [posted[pk]], {pk}
    while (earlier := posted.get(chain[0].previous_id)) and earlier.pk not in seen:
        chain.insert(0, earlier)
        seen.add(earlier.pk)
    while (after := later.get(chain[-1].pk)) and after.pk not in seen:
        chain.append(after)
        seen.add(after.pk)
    return chain


def district_public(slug: str) -> EducationalAgency:
    return get_object_or_404(EducationalAgency, slug=slug)


def bill_of_rights_current(agency) -> BillOfRights | None:
    return BillOfRights.objects.filter(agency=agency).order_by("-version").first()


def districts_with_counts():
    """All districts by name, each with the number of its posted agreements. One query."""
    posted = Count("agreements", filter=Q(agreements__status__in=statuses.POSTED))
    return EducationalAgency.objects.annotate(posted_count=posted).order_by("name")


def public_copy(*, slug: str, pk: int) -> AgreementDocument | None:
    """The sealed public copy of a posted agreement of this district, for what the district posts now: without the
    parts it withholds, with Exhibit C only if it posts it. None while that copy is still being made. Three queries."""
    agreement = (
        Agreement.objects.filter(pk=pk, agency__slug=slug, status__in=statuses.POSTED)
        .select_related("agency")
        .prefetch_related("redactions")
        .first()
    )
    if agreement is None:
        return None
    return (
        AgreementDocument.objects.select_related("agreement__agency", "agreement__contractor")
        .defer("public_source")
        .filter(
            agreement=agreement,
            kind=AgreementDocument.Kind.PUBLIC_COPY,
            public_scope=PublicScope.of(agreement).key,
        )
        .first()
    )
