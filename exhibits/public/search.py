"""Statewide search: which districts have posted an agreement with a vendor, for a product, or naming a subcontractor.

It reads the stored document of each posted agreement (exhibits.models.PublicSearchEntry, kept by search_index.py),
never the exhibits themselves, so a search costs the same at a million agreements as at a thousand: three queries,
the first of which reads GIN indexes and stops at MAX_RESULTS.

Ranked by where every word was found, as the document's weights say: in the vendor's or a product's name (A), then
also among the subcontractors of Exhibit B (B), then also in the district's name (C); within a tier, the newest
first; shown grouped by district. Each tier is its own column with its own GIN index and statistics, and reads
either the newest agreements until it has enough (a word most documents hold) or, for a rare word, its GIN index
(see _RANKED); ranking never reads every match. Newest first rather than by district name: the matches of a word of
district names lie together in that order ("New Paltz", "New Rochelle"), where what many districts and vendors share
is spread out in the order agreements were posted. Prefix matching, so that "code" finds "CodeHS". On SQLite (`make
run`) a case-insensitive match of each word in the entry's text stands in for it.
"""

import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When

from agreements.models import Agreement, statuses
from exhibits.models import PublicSearchEntry

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


# The first MAX_RESULTS of each tier, newest first, then the best of those by tier. A tier's column holds the one
# before it, so its first MAX_RESULTS rows hold at least MAX_RESULTS - (matches of the tiers before) of its own: the
# union is always the true first MAX_RESULTS.
#
# Each tier in two steps whose cost is bounded whatever the planner estimates: the newest WINDOW entries are read in
# order until MAX_RESULTS match (a word most documents hold stops at once); only when fewer match there, so that the
# word is rare, the GIN index finds every match (a Bitmap Index Scan) and they are sorted ("+ 0": never the key's
# index, which would walk the whole table when two common words seldom meet, "codehs lakeview"). The tsquery is a
# constant in each branch, so the planner estimates it with the column's statistics.
# Reading the newest entries costs about a microsecond each; a match found by the GIN index several (its page is read
# out of order). A word that fills fewer than MAX_RESULTS of the window matches under 1% of the entries: at a million,
# at most about 10,000 rows for the index, against 3 x 20,000 read in order for a word nothing matches.
WINDOW = 20_000
# The tiers, best first: the column each reads (exhibits.models.PublicSearchEntry).
TIERS = ("names", "suppliers", "document")
_RECENT = """{column}_recent AS (
    SELECT agreement_id FROM (
        SELECT agreement_id, {column} FROM exhibits_publicsearchentry ORDER BY agreement_id DESC LIMIT %(window)s
    ) AS newest
    WHERE {column} @@ to_tsquery('simple'::regconfig, %(query)s) LIMIT %(limit)s
)"""
_TIER = """SELECT agreement_id, {tier} AS tier FROM {column}_recent
    UNION ALL
    (SELECT agreement_id, {tier} FROM exhibits_publicsearchentry
        WHERE {column} @@ to_tsquery('simple'::regconfig, %(query)s)
        AND (SELECT count(*) FROM {column}_recent) < %(limit)s
        ORDER BY agreement_id + 0 DESC LIMIT %(limit)s)"""
_WITH = ",\n".join(_RECENT.format(column=column) for column in TIERS)
_UNION = "\n    UNION ALL\n    ".join(_TIER.format(tier=n, column=column) for n, column in enumerate(TIERS, 1))
# Built at import from the constant TIERS; the words reach it only as the %(query)s parameter.
_RANKED = f"""
WITH {_WITH}
SELECT agreement_id FROM (
    {_UNION}
) AS hits
GROUP BY agreement_id
ORDER BY min(tier), agreement_id DESC
LIMIT %(limit)s
"""  # noqa: S608


def ranked_sql(words: list[str]) -> tuple[str, dict]:
    """The PostgreSQL query of the ranked agreement ids, and its parameters (the scale test EXPLAINs it)."""
    return _RANKED, {"query": " & ".join(f"{word}:*" for word in words), "limit": MAX_RESULTS, "window": WINDOW}


def _full_text(words) -> list[int]:
    sql, params = ranked_sql(words)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _contains(words) -> list[int]:
    def every_word(*fields):
        condition = Q()
        for word in words:
            condition &= Q.create([(f"{name}__icontains", word) for name in fields], connector=Q.OR)
        return condition

    tier = Case(
        When(every_word("vendor", "products"), then=Value(1)),
        When(every_word("vendor", "products", "subcontractors"), then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    matching = PublicSearchEntry.objects.filter(every_word("vendor", "products", "subcontractors", "district"))
    ranked = matching.annotate(tier=tier).order_by("tier", "-agreement_id")
    return list(ranked.values_list("agreement_id", flat=True)[:MAX_RESULTS])


def statewide_search(q: str) -> list[DistrictHits]:
    """Posted agreements that match, grouped by district, the best match first. Three queries."""
    words = search_words(q)
    if not words:
        return []
    ids = _full_text(words) if connection.vendor == "postgresql" else _contains(words)
    if not ids:
        return []
    # The status is the agreement's own (the entry does not copy it), and only a posted one is shown, whatever the
    # entry says. Plain values: what a result shows, without building 200 agreements with every column.
    rows = {
        row[0]: row
        for row in Agreement.objects.filter(pk__in=ids, status__in=statuses.POSTED).values_list(
            "pk", "status", "agency_id", "agency__name", "agency__slug", "contractor__legal_name"
        )
    }
    products: dict[int, list[str]] = {}
    links = Agreement.products.through.objects.filter(agreement_id__in=rows).order_by("product__name", "product_id")
    for agreement_id, name in links.values_list("agreement_id", "product__name"):
        products.setdefault(agreement_id, []).append(name)
    groups: dict[int, DistrictHits] = {}
    for pk, status, agency_id, district, slug, vendor in (rows[pk] for pk in ids if pk in rows):
        group = groups.setdefault(agency_id, DistrictHits(district, slug))
        group.hits.append(Hit(pk, vendor, products.get(pk, []), status))
    return list(groups.values())
