"""Business rules for contractors and their products; merging two contractors that are one company (issue 14.4)."""

from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils.text import slugify

from dpa_portal.errors import EXISTS, FORBIDDEN, INVALID, STATE, ApplicationError

from .models import Contractor, ContractorMembership, ContractorMerge, Product, Subcontractor
from .signals import contractors_merged


def unique_slug(model, base: str, *, max_length: int = 80, **scope) -> str:
    """slugify(base), with -2, -3, ... appended until no row of `model` in `scope` has it."""
    root = slugify(base)[: max_length - 4] or "item"
    slug, n = root, 1
    while model.objects.filter(slug=slug, **scope).exists():
        n += 1
        slug = f"{root}-{n}"
    return slug


def contractor_create(*, legal_name: str, **fields) -> Contractor:
    """A new contractor organisation, e.g. one a district names when it first invites the vendor."""
    legal_name = legal_name.strip()
    if Contractor.objects.filter(legal_name__iexact=legal_name).exists():
        raise ApplicationError(f"{legal_name} is already on the portal: choose it from the list.", code=EXISTS)
    return Contractor.objects.create(legal_name=legal_name, slug=unique_slug(Contractor, legal_name), **fields)


def product_get_or_create(*, contractor: Contractor, name: str) -> Product:
    """The contractor's product of this name (case-insensitive), created if new."""
    name = name.strip()
    existing = Product.objects.filter(contractor=contractor, name__iexact=name).first()
    if existing:
        return existing
    return Product.objects.create(
        contractor=contractor, name=name, slug=unique_slug(Product, name, contractor=contractor)
    )


# --- merging two contractors (issue 14.4) -------------------------------------------------------------------------

# Every foreign key to a contractor, and how its rows follow a merge. Read from the model graph at each merge, so
# that a key added elsewhere without a line here stops the merge instead of deleting its rows with the merged
# contractor (tests/test_vendor_merge.py fails first). "move": the rows now point at the kept contractor.
CONTRACTOR_LINKS = {
    "vendors.ContractorMembership.contractor": "people",  # one membership per person: the higher role stays
    "vendors.Product.contractor": "products",  # a product of the same name becomes the kept one's
    "vendors.Subcontractor.contractor": "subcontractors",  # likewise
    "vendors.HistoricalSubcontractor.contractor": "move",  # a moved subcontractor's history follows it
    "vendors.ContractorMerge.kept": "move",  # the merges into the merged contractor, now into the kept one
    "accounts.Invitation.contractor": "move",
    "agreements.Agreement.contractor": "agreements",
    "agreements.BreachReport.contractor": "move",
    "agreements.Obligation.contractor": "move",
    "portfolio.ImportRow.vendor_match": "move",
    "portfolio.ExportJob.contractor": "move",
}
# The links to a product or a subcontractor (many-to-many or foreign keys), which follow it when it becomes the kept
# contractor's of the same name.
# A teacher's app request names the product it matched, and a declined one the approved alternative (issue 16).
PRODUCT_LINKS = {
    "agreements.Agreement.products",
    "apprequests.AppRequest.product",
    "apprequests.AppRequest.alternative",
}
SUBCONTRACTOR_LINKS = {"exhibits.SupplementalInformation.subcontractors", "exhibits.ReviewComment.subcontractor"}
# Blank on the kept contractor, filled from the merged one.
FILLED_IN = ["website", "privacy_policy_url", "incident_response_plan_url"]


def links_to(model) -> dict[str, models.Field]:
    """Every concrete foreign key and many-to-many field of any model that points at `model`, by "app.Model.field"."""
    found = {}
    for relation in model._meta.get_fields(include_hidden=True):
        if relation.auto_created and not relation.concrete and relation.is_relation:
            remote = relation.remote_field  # the field on the other model
            if remote.model._meta.auto_created:
                continue  # a many-to-many's own table: its field stands for it
            found[f"{remote.model._meta.label}.{remote.name}"] = remote
    return found


def _unhandled() -> set[str]:
    return (
        (set(links_to(Contractor)) ^ set(CONTRACTOR_LINKS))
        | (set(links_to(Product)) ^ PRODUCT_LINKS)
        | (set(links_to(Subcontractor)) ^ SUBCONTRACTOR_LINKS)
    )


@dataclass
class MergePlan:
    """What a merge of `merged` into `kept` would do: the admin's confirmation page shows it, the merge does it."""

    kept: Contractor
    merged: Contractor
    counts: dict[str, int] = field(default_factory=dict)  # verbose name (plural from 2) -> rows that move
    people: list = field(default_factory=list)  # the merged contractor's memberships
    same_products: list = field(default_factory=list)  # (merged's, kept's) of the same name
    same_subcontractors: list = field(default_factory=list)


def contractor_merge_plan(*, kept: Contractor, merged: Contractor) -> MergePlan:
    """What merging `merged` into `kept` moves; refuses what cannot merge (ApplicationError)."""
    _check_mergeable(kept, merged)
    plan = MergePlan(kept=kept, merged=merged)
    for label, fk in links_to(Contractor).items():
        if label.startswith("vendors.Historical"):
            continue  # follows its subcontractor
        count = fk.model._meta.default_manager.filter(**{fk.name: merged}).count()
        if count:
            meta = fk.model._meta
            plan.counts[str(meta.verbose_name if count == 1 else meta.verbose_name_plural)] = count
    plan.people = list(merged.memberships.select_related("user").order_by("user__email"))
    plan.same_products = _same_names(Product, "name", kept, merged)
    plan.same_subcontractors = _same_names(Subcontractor, "name", kept, merged)
    return plan


def _same_names(model, name_field, kept, merged) -> list:
    keeps = {getattr(o, name_field).strip().casefold(): o for o in model.objects.filter(contractor=kept)}
    pairs = []
    for other in model.objects.filter(contractor=merged):
        mine = keeps.get(getattr(other, name_field).strip().casefold())
        if mine:
            pairs.append((other, mine))
    return pairs


def _check_mergeable(kept, merged) -> None:
    if kept is None or merged is None or kept.pk is None or merged.pk is None:
        raise ApplicationError("Choose the two contractors to merge.", code=INVALID)
    if kept.pk == merged.pk:
        raise ApplicationError(f"{kept} cannot be merged into itself: choose two different contractors.", code=INVALID)
    unhandled = _unhandled()
    if unhandled:
        # A programming error, named for the operator: rows of these tables would be lost or left behind.
        raise ApplicationError(
            "The portal does not know how to move these links to a contractor yet, so nothing was merged: "
            + ", ".join(sorted(unhandled))
            + ".",
            code=STATE,
        )


def contractor_merge(*, kept: Contractor, merged: Contractor, actor) -> ContractorMerge:
    """Merge `merged` into `kept`, which a platform operator found to be one company: its people, products,
    subcontractors, agreements (with their answers, deadlines, breach reports), invitations and every other row that
    points at it move to `kept`, in one transaction; then `merged` is deleted and the merge logged (ContractorMerge).

    A person on both staffs keeps one membership, with the higher role. A product or subcontractor whose name the kept
    contractor already has (case aside) becomes that one: its agreements and Exhibits B name the kept one instead.
    Blank web addresses of `kept` are filled from `merged`. Executed agreements keep their sealed documents as signed.
    The public pages and the statewide search follow through `vendors.signals.contractors_merged`.
    """
    if actor is None or not (actor.is_active and actor.is_staff):
        raise ApplicationError("Only a platform operator can merge contractors.", code=FORBIDDEN)
    _check_mergeable(kept, merged)
    with transaction.atomic():
        # Both rows locked, in the order of their ids so that two merges cannot wait for each other.
        locked = {c.pk: c for c in Contractor.objects.select_for_update().filter(pk__in=[kept.pk, merged.pk])}
        if len(locked) != 2:
            raise ApplicationError("One of the two contractors is no longer on the portal: merged already?", code=STATE)
        kept, merged = locked[kept.pk], locked[merged.pk]
        moved: dict = {}
        moved["people"] = _merge_people(kept, merged)
        moved["products"] = _merge_named(Product, kept, merged, slugged=True)
        moved["subcontractors"] = _merge_named(Subcontractor, kept, merged, slugged=False)
        agreement_ids: list[int] = []
        agency_ids: set[int] = set()
        for label, fk in sorted(links_to(Contractor).items()):
            if CONTRACTOR_LINKS[label] in ("people", "products", "subcontractors"):
                continue
            rows = fk.model._meta.default_manager.filter(**{fk.name: merged})
            if CONTRACTOR_LINKS[label] == "agreements":
                for pk, agency_id in rows.values_list("pk", "agency_id"):
                    agreement_ids.append(pk)
                    agency_ids.add(agency_id)
                ids = list(agreement_ids)
            else:
                ids = list(rows.values_list("pk", flat=True))
            if ids:
                rows.update(**{fk.name: kept})
                moved[label] = ids
        filled = [name for name in FILLED_IN if not getattr(kept, name) and getattr(merged, name)]
        if filled:
            Contractor.objects.filter(pk=kept.pk).update(**{name: getattr(merged, name) for name in filled})
            moved["filled_in"] = filled
        merge = ContractorMerge.objects.create(
            kept=kept,
            merged_contractor_id=merged.pk,
            merged_name=merged.legal_name,
            merged_slug=merged.slug,
            actor=actor,
            moved=moved,
        )
        merged_id = merged.pk
        merged.delete()  # nothing points at it any more
        contractors_merged.send(
            sender=Contractor, kept=kept, merged_id=merged_id, agreement_ids=agreement_ids, agency_ids=agency_ids
        )
    return merge


def _merge_people(kept, merged) -> dict:
    """The merged contractor's staff join the kept one's; someone on both keeps the higher of their two roles."""
    theirs = {m.user_id: m for m in ContractorMembership.objects.filter(contractor=kept)}
    result = {"moved": [], "already_staff": []}
    for membership in ContractorMembership.objects.filter(contractor=merged):
        mine = theirs.get(membership.user_id)
        if mine is None:
            result["moved"].append(membership.pk)
            continue
        result["already_staff"].append(membership.user_id)
        if membership.role == ContractorMembership.Role.ADMIN and mine.role != membership.role:
            ContractorMembership.objects.filter(pk=mine.pk).update(role=ContractorMembership.Role.ADMIN)
        membership.delete()
    ContractorMembership.objects.filter(pk__in=result["moved"]).update(contractor=kept)
    return result


def _merge_named(model, kept, merged, *, slugged: bool) -> dict:
    """Products or subcontractors: one of a name the kept contractor has already becomes that one (its links follow,
    without a second link to the same row); the others move, with a new slug where the kept one's products use it."""
    result = {"moved": [], "same_as": {}}
    for other, mine in _same_names(model, "name", kept, merged):
        for link in links_to(model).values():
            if not link.many_to_many:  # a foreign key (a review comment on one subcontractor)
                link.model._meta.default_manager.filter(**{link.name: other}).update(**{link.name: mine})
                continue
            through = link.remote_field.through
            own, target = link.m2m_field_name(), link.m2m_reverse_field_name()
            both = through._meta.default_manager.filter(**{target: mine}).values(own)
            through._meta.default_manager.filter(**{target: other, f"{own}__in": both}).delete()
            through._meta.default_manager.filter(**{target: other}).update(**{target: mine})
        result["same_as"][str(other.pk)] = mine.pk
        other.delete()
    for other in model.objects.filter(contractor=merged):
        changes = {"contractor": kept}
        if slugged and model.objects.filter(contractor=kept, slug=other.slug).exists():
            changes["slug"] = unique_slug(model, other.name, contractor=kept)
        model.objects.filter(pk=other.pk).update(**changes)
        result["moved"].append(other.pk)
    return result
