"""Statewide search: which districts have posted an agreement with a vendor, for a product, or naming a subcontractor.

It reads the stored document of each posted agreement (exhibits.models.PublicSearchEntry, kept by search_index.py),
never the exhibits themselves, so a search costs the same at a million agreements as at a thousand: one query, whose
ranking reads GIN indexes and stops at MAX_RESULTS.

Ranked by where every word was found, as the document's weights say: in the vendor's or a product's name (A), then
also among the subcontractors of Exhibit B (B), then also in the district's name (C); within a tier, the newest
first; shown grouped by district. Each tier is its own column with its own GIN index and statistics; a search reads
the newest agreements first, and a GIN index only for a rare word, one index at most (see _RANKED); ranking never
reads every match. Newest first rather than by district name: the matches of a word of district names lie together
in that order ("New Paltz", "New Rochelle"), where what many districts and vendors share is spread out in the order
agreements were posted. Prefix matching from three letters, so that "code" finds "CodeHS"; the GIN indexes hold each
word's first letters as words of their own, so that a prefix is read from them as a whole word is (see
exhibits.models.PREFIX_FROM). On SQLite (`make run`) a case-insensitive match of each word in the entry's text stands
in for it.
"""

import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When

from agreements.models import Agreement, statuses
from exhibits.models import PREFIX_FROM, PREFIX_TO, PublicSearchEntry

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


# The tiers, best first: the column each reads (exhibits.models.PublicSearchEntry). Each holds the one before it
# (a vendor's name is also among the suppliers, and both are in the document), so a row's tier is the first column
# that matches.
TIERS = ("names", "suppliers", "document")
# The newest WINDOW entries are read in order first: a word most documents hold finds its matches there at once.
# Reading them costs about a microsecond each; a match found by the GIN index several (its page is read out of order,
# and each match is on a page of its own: 9,000 matches of a word in 1% of a million entries took 15 ms from memory,
# 80-130 ms from a cold PostgreSQL).
WINDOW = 20_000
# Where the window does not fill a tier (see below) but holds enough of its matches that the next FURTHER entries can
# be expected to hold the rest (the word is in 0.3-1% of the entries), those are read on in order, up to MAX_RESULTS
# more matches of that tier or better, before any GIN index. They are the same entries for every search, so they stay
# in memory, where the pages of a GIN index's matches are new to each (at a million entries, from a cold PostgreSQL:
# "harbor math" 82-100 -> 38 ms, "meadow classroom" 84-99 -> 11-14 ms).
FURTHER = 40_000
# The first MAX_RESULTS by tier, newest first within a tier. The newest entries read (the window, and what was read on
# after it: every match of the tiers it reads) give each of their matches a tier; a tier with at least MAX_RESULTS
# matches there needs nothing more, for they are the newest entries. Otherwise the broadest column with fewer than
# MAX_RESULTS matches there (so that the word is rare) is read through its GIN index, every match given its tier: ONE
# index scan, never one per tier (three took 180 ms where two common words seldom meet, "meadow classroom"). What the
# newest entries add after it is of a worse tier, and they have enough of those, so the union is the true first
# MAX_RESULTS.
# A branch not needed is cut by its one-time filter before it reads anything. "+ 0": never the key's index, which
# would walk the whole table. The tsquery is a constant in each branch, so the planner estimates it with the index's
# statistics. Two tsqueries of the same words (ranked_sql): %(query)s matches a row's words, with prefixes;
# %(indexed)s the index's expression (exhibits.models.SearchPrefixes), whose prefixes are words of their own.
_TIER_OF = """CASE WHEN names @@ to_tsquery('simple'::regconfig, %(query)s) THEN 1
    WHEN suppliers @@ to_tsquery('simple'::regconfig, %(query)s) THEN 2 ELSE 3 END"""


# How many matches each column holds among some rows' (agreement_id, tier): a tier's and the better ones'.
_TIER_COUNTS = (
    "count(*) FILTER (WHERE tier = 1) AS names, count(*) FILTER (WHERE tier <= 2) AS suppliers, count(*) AS document"
)


def _indexed(column: str) -> str:
    """The expression of the column's GIN index (exhibits.models.SearchPrefixes), as the index has it."""
    return f"public_search_prefixes({column}, {PREFIX_FROM}, {PREFIX_TO})"


_RANKED = f"""
WITH window_matches AS (
    SELECT agreement_id, {_TIER_OF} AS tier FROM (
        SELECT agreement_id, names, suppliers, document FROM exhibits_publicsearchentry
        ORDER BY agreement_id DESC LIMIT %(window)s
    ) AS window_
    WHERE document @@ to_tsquery('simple'::regconfig, %(query)s)
),
in_window AS (
    SELECT {_TIER_COUNTS} FROM window_matches
),
read_on AS (
    SELECT CASE WHEN document < %(limit)s THEN 3 WHEN suppliers < %(limit)s THEN 2 WHEN names < %(limit)s THEN 1 END
            AS tier,
        CASE WHEN document < %(limit)s THEN document WHEN suppliers < %(limit)s THEN suppliers
            WHEN names < %(limit)s THEN names END AS matches
    FROM in_window
),
further_matches AS (
    SELECT agreement_id, tier FROM (
        SELECT agreement_id, {_TIER_OF} AS tier FROM (
            SELECT agreement_id, names, suppliers, document FROM exhibits_publicsearchentry
            WHERE agreement_id < (SELECT min(agreement_id) FROM window_matches)
            ORDER BY agreement_id DESC LIMIT %(further)s
        ) AS further_
        WHERE document @@ to_tsquery('simple'::regconfig, %(query)s)
    ) AS matched
    WHERE tier <= (SELECT tier FROM read_on) AND (SELECT matches FROM read_on) >= %(read_on_from)s
    ORDER BY agreement_id DESC LIMIT %(limit)s
),
found AS (
    SELECT w.names + f.names AS names, w.suppliers + f.suppliers AS suppliers, w.document + f.document AS document
    FROM in_window w, (
        SELECT {_TIER_COUNTS} FROM further_matches
    ) AS f
)
SELECT agreement_id, min(tier) AS tier FROM (
    SELECT agreement_id, tier FROM window_matches
    UNION ALL
    SELECT agreement_id, tier FROM further_matches
    UNION ALL
    (SELECT agreement_id, {_TIER_OF} FROM exhibits_publicsearchentry
        WHERE {_indexed("document")} @@ to_tsquery('simple'::regconfig, %(indexed)s)
        AND (SELECT document FROM found) < %(limit)s
        ORDER BY 2, agreement_id + 0 DESC LIMIT %(limit)s)
    UNION ALL
    (SELECT agreement_id, {_TIER_OF} FROM exhibits_publicsearchentry
        WHERE {_indexed("suppliers")} @@ to_tsquery('simple'::regconfig, %(indexed)s)
        AND (SELECT document FROM found) >= %(limit)s AND (SELECT suppliers FROM found) < %(limit)s
        ORDER BY 2, agreement_id + 0 DESC LIMIT %(limit)s)
    UNION ALL
    (SELECT agreement_id, 1 FROM exhibits_publicsearchentry
        WHERE {_indexed("names")} @@ to_tsquery('simple'::regconfig, %(indexed)s)
        AND (SELECT suppliers FROM found) >= %(limit)s AND (SELECT names FROM found) < %(limit)s
        ORDER BY agreement_id + 0 DESC LIMIT %(limit)s)
) AS hits
GROUP BY agreement_id
ORDER BY min(tier), agreement_id DESC
LIMIT %(limit)s
"""  # noqa: S608 -- built at import from constants; the words reach it only as the %(query)s and %(indexed)s parameters
# What a result shows of each ranked agreement, in the ranking's order: one query with the ranking. The status is the
# agreement's own (the entry does not copy it), and only a posted one is shown, whatever the entry says.
_HITS = f"""
SELECT a.id, a.status, a.agency_id, d.name, d.slug, c.legal_name,
    ARRAY(SELECT p.name FROM agreements_agreement_products ap JOIN vendors_product p ON p.id = ap.product_id
        WHERE ap.agreement_id = a.id ORDER BY p.name, p.id)
FROM ({_RANKED}) AS ranked
JOIN agreements_agreement a ON a.id = ranked.agreement_id AND a.status = ANY(%(posted)s)
JOIN agreements_educationalagency d ON d.id = a.agency_id
JOIN vendors_contractor c ON c.id = a.contractor_id
ORDER BY ranked.tier, ranked.agreement_id DESC
"""  # noqa: S608 -- as _RANKED


def ranked_sql(words: list[str], *, window: int = WINDOW, further: int = FURTHER) -> tuple[str, dict]:
    """The PostgreSQL query of the ranked agreement ids, and its parameters (the scale test EXPLAINs it, and tries
    smaller windows)."""
    query = " & ".join(f"{word}:*" if len(word) >= PREFIX_FROM else word for word in words)
    indexed = " & ".join(word if len(word) <= PREFIX_TO else f"{word}:*" for word in words)
    return _RANKED, {
        "query": query,
        "indexed": indexed,
        "limit": MAX_RESULTS,
        "window": window,
        "further": further,
        # Matches of the tier in the window from which the window and the further entries should hold MAX_RESULTS.
        "read_on_from": -(-MAX_RESULTS * window // (window + further)),
    }


def _full_text(words) -> list[tuple]:
    """The rows of the hits (_HITS), best first."""
    _, params = ranked_sql(words)
    with connection.cursor() as cursor:
        cursor.execute(_HITS, params | {"posted": [str(status) for status in statuses.POSTED]})
        return cursor.fetchall()


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


def _rows_of(ids) -> list[tuple]:
    """_HITS' rows of these ranked ids through the ORM, for SQLite (`make run`)."""
    if not ids:
        return []
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
    return [(*rows[pk], products.get(pk, [])) for pk in ids if pk in rows]


def statewide_search(q: str) -> list[DistrictHits]:
    """Posted agreements that match, grouped by district, the best match first. One query (three on SQLite)."""
    words = search_words(q)
    if not words:
        return []
    rows = _full_text(words) if connection.vendor == "postgresql" else _rows_of(_contains(words))
    # Plain values: what a result shows, without building 200 agreements with every column.
    groups: dict[int, DistrictHits] = {}
    for pk, status, agency_id, district, slug, vendor, products in rows:
        group = groups.setdefault(agency_id, DistrictHits(district, slug))
        group.hits.append(Hit(pk, vendor, products, status))
    return list(groups.values())
