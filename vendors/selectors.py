"""Reads of contractors that the pages of several apps need: the vendors already on the portal that a new name may be
(issue 14.4), which a district or the operator sees before creating one."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q

from .matching import FREE_MAIL, VendorIndex, domain_of, name_key
from .models import Contractor, ContractorMembership

# A person is asked about a vendor whose name scores this or more (100: the same name once "Inc.", case and
# punctuation are set aside, or the same domain). Higher than the import's MAYBE (70), which lists possible matches
# beside a row to confirm anyway: "NewCo Learning" and "Learning Tools" score 71, and a district naming a new vendor
# should be stopped only for a name that may well be the same company ("Learning Tool Inc": 96, "Kahn Academy": 92).
ASK = 85

# pg_trgm's similarity (shared trigrams over all trigrams) at or above which PostgreSQL hands a contractor to the
# Python matcher. Low on purpose: the matcher decides; this only has to keep every name it would score ASK or more
# (tests/test_vendor_similar.py compares both over the matcher's own cases). The GIN index on the name answers it.
TRIGRAM_THRESHOLD = 0.2
# And the share of the key's trigrams found in one stretch of the name: "codehs" in "The CodeHS Company, Inc.",
# whose whole-name similarity is low because of the words the key sets aside.
WORD_THRESHOLD = 0.5


@dataclass(frozen=True)
class SimilarVendor:
    contractor: Contractor
    score: int  # 100: the same name once set aside what does not count, or the same domain; else ASK..99
    reason: str


def contractors_similar(name: str, *, email: str = "", website: str = "", exclude=(), limit: int = 5):
    """The contractors already on the portal that `name` (with an e-mail or web address, if known) may be, best first.

    The same answer on every database: on PostgreSQL pg_trgm's index narrows the contractors to those with a name
    close enough or the same domain, and the matcher (vendors.matching) scores them; elsewhere (SQLite, `make run`)
    the matcher scores them all.
    """
    name = (name or "").strip()
    domains = {d for d in (domain_of(email), domain_of(website)) if d and d not in FREE_MAIL}
    if not name_key(name) and not domains:
        return []
    exclude = {pk for pk in exclude if pk}
    with transaction.atomic():  # set_config(..., true) lasts until the end of this transaction
        contractors = _narrowed(name, domains).exclude(pk__in=exclude)
        rows = list(contractors.values_list("pk", "legal_name", "website"))
    staff = _staff_addresses(domains) if domains else []  # the matcher keeps those of `rows` only
    index = VendorIndex(rows, domains=staff)
    candidates = [c for c in index.candidates(name, website=website, email=email, limit=limit) if c.score >= ASK]
    by_pk = Contractor.objects.in_bulk([c.contractor_id for c in candidates])
    return [SimilarVendor(by_pk[c.contractor_id], c.score, c.reason) for c in candidates if c.contractor_id in by_pk]


def _narrowed(name: str, domains: set[str]):
    contractors = Contractor.objects.all()
    if connection.vendor != "postgresql":
        return contractors
    key = name_key(name)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true),"
            " set_config('pg_trgm.word_similarity_threshold', %s, true)",
            [str(TRIGRAM_THRESHOLD), str(WORD_THRESHOLD)],
        )
    close = Q(pk__in=[])
    for text in {name, key} - {""}:
        close |= Q(legal_name__trigram_similar=text)
    if key:
        close |= Q(legal_name__trigram_word_similar=key)
    for domain in domains:
        close |= Q(website__icontains=domain) | Q(pk__in=_staff_at(domain).values("contractor_id"))
    return contractors.filter(close)


def _staff_at(domain: str):
    return ContractorMembership.objects.filter(
        Q(user__email__iendswith=f"@{domain}") | Q(user__email__iendswith=f".{domain}")
    )


def _staff_addresses(domains) -> list[tuple[int, str]]:
    """(contractor id, e-mail) of the staff at these domains: a vendor whose people write from codehs.com is CodeHS."""
    at = Q(pk__in=[])
    for domain in domains:
        at |= Q(pk__in=_staff_at(domain).values("pk"))
    return list(ContractorMembership.objects.filter(at).values_list("contractor_id", "user__email"))
