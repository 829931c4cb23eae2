"""Business rules for contractors and their products."""

from django.utils.text import slugify

from dpa_portal.errors import EXISTS, ApplicationError

from .models import Contractor, Product


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
