"""Statewide search: which districts have posted an agreement with a vendor or for a product.

PostgreSQL full-text search ranks vendor and product names above district names, with prefix matching so that
"code" finds "CodeHS"; on SQLite (`make run`) a case-insensitive match of every word stands in for it.
"""

import re
from dataclasses import dataclass, field

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, OuterRef, Prefetch, Q, Subquery, TextField, Value
from django.db.models.functions import Coalesce, Replace

from agreements.models import Agreement, statuses
from vendors.models import Product

from .labels import STATUS_LABELS

MAX_WORDS = 8
MAX_RESULTS = 200


@dataclass
class Hit:
    pk: int
    vendor: str
    products: list[str]
    status: str

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


@dataclass
class DistrictHits:
    name: str
    slug: str
    hits: list[Hit] = field(default_factory=list)


def search_words(q: str) -> list[str]:
    """Letters and digits only: the words are put into a tsquery, so nothing else may reach it."""
    return re.findall(r"[^\W_]+", q.casefold())[:MAX_WORDS]


def _plain(expression):
    """PostgreSQL's text parser drops anything that looks like an HTML tag; a name is text, so index all of it."""
    for bracket in "<>":
        expression = Replace(expression, Value(bracket), Value(" "), output_field=TextField())
    return expression


def _full_text(agreements, words):
    products = (
        Product.objects.filter(agreements=OuterRef("pk"))
        .values("agreements")
        .annotate(names=StringAgg("name", " "))
        .values("names")
    )
    product_names = Coalesce(Subquery(products), Value(""), output_field=TextField())
    vector = (
        SearchVector(_plain(F("contractor__legal_name")), weight="A", config="simple")
        + SearchVector(_plain(product_names), weight="A", config="simple")
        + SearchVector(_plain(F("agency__name")), weight="B", config="simple")
    )
    query = SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config="simple")
    return (
        agreements.annotate(document=vector)
        .filter(document=query)
        .annotate(rank=SearchRank(F("document"), query))
        .order_by("-rank", "agency__name", "contractor__legal_name", "pk")
    )


def _contains(agreements, words):
    for word in words:
        agreements = agreements.filter(
            Q(contractor__legal_name__icontains=word)
            | Q(products__name__icontains=word)
            | Q(agency__name__icontains=word)
        )
    return agreements.distinct().order_by("agency__name", "contractor__legal_name", "pk")


def statewide_search(q: str) -> list[DistrictHits]:
    """Posted agreements that match, grouped by district, the best match first. Two queries."""
    words = search_words(q)
    if not words:
        return []
    agreements = Agreement.objects.filter(status__in=statuses.POSTED).select_related("agency", "contractor")
    matching = _full_text(agreements, words) if connection.vendor == "postgresql" else _contains(agreements, words)
    matching = matching.prefetch_related(Prefetch("products", queryset=Product.objects.order_by("name")))
    groups: dict[int, DistrictHits] = {}
    for agreement in matching[:MAX_RESULTS]:
        group = groups.setdefault(agreement.agency_id, DistrictHits(agreement.agency.name, agreement.agency.slug))
        products = [p.name for p in agreement.products.all()]
        group.hits.append(Hit(agreement.pk, agreement.contractor.legal_name, products, agreement.status))
    return list(groups.values())
