"""One vendor per company (issues 12.1 and 14.4): the contractors that a name may be, with a score to confirm: an
imported row's vendor (portfolio), a new vendor that a district names, or one the operator creates (vendors.selectors).

"CodeHS" and "CodeHS, Inc." are one vendor: names are compared by a key without case, accents, punctuation, legal
suffixes or a leading "the"; a shared web or e-mail domain is as good as the same name. Otherwise the score is
rapidfuzz's token_sort_ratio on the keys: order-insensitive ("Academy Khan" is "Khan Academy"), and, unlike WRatio,
it never scores a name found inside a longer one as nearly equal ("Code" in "CodeHS", "Khan" in "Khan Academy"),
which would propose unrelated short names as the same vendor. It is computed as `ratio` on keys whose words were
sorted once, which is what token_sort_ratio does, four times faster over 20,000 contractors. A similar name scores
at most 99: 100 means the same key or domain. A person confirms every proposal.

Pure Python over what the caller loaded: no query here (vendors.selectors narrows the contractors on PostgreSQL).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process

SAME_VENDOR = 95  # at or above: proposed as the same vendor, the admin confirms
MAYBE = 70  # at or above: listed as a possible match; below: not shown

LEGAL_SUFFIXES = {
    "inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "company", "pbc", "plc", "lp", "llp",
}  # fmt: skip
# Anyone can have an address there: a shared one says nothing about the company.
FREE_MAIL = {
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "icloud.com",
    "me.com", "aol.com", "proton.me", "protonmail.com",
}  # fmt: skip
# Suffixes under which a company registers the second label down ("acme.co.uk"), not the first.
SHARED_SUFFIXES = re.compile(r"\.(co|com|org|net|ac|gov|edu|ne|or)\.[a-z]{2}$")
SCHOOL_SUFFIX = re.compile(r"\.k12\.[a-z]{2}\.us$")  # "liverpool.k12.ny.us": a district's own domain


@dataclass(frozen=True)
class Candidate:
    contractor_id: int
    name: str
    score: int  # 0..100
    reason: str


def name_key(name: str) -> str:
    """The name as compared: "CodeHS, Inc.", "codehs" and "The CodeHS Company" all give "codehs"."""
    text = unicodedata.normalize("NFKD", (name or "").casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))  # "Académie" -> "academie"
    text = text.replace("&", " and ")
    text = re.sub("['\u2019.]", "", text)  # "L.L.C." -> "llc", "Children's" -> "childrens"
    words = re.sub(r"[\W_]+", " ", text).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:  # "Acme Co. Ltd": both go; a lone "Company" stays
        words.pop()
    return " ".join(words)


def domain_of(url_or_email: str) -> str:
    """The registrable part of a web address's or e-mail address's host, without "www.": "" if there is none."""
    value = (url_or_email or "").strip().casefold()
    if "@" in value and "://" not in value:
        host = value.rsplit("@", 1)[1]
    else:
        host = urlsplit(value if "://" in value else f"//{value}").hostname or ""
    host = host.strip(".")
    if "." not in host or not re.fullmatch(r"[\w.-]+", host):  # "localhost", junk
        return ""
    keep = 4 if SCHOOL_SUFFIX.search(host) else 3 if SHARED_SUFFIXES.search(host) else 2
    return ".".join(host.split(".")[-keep:])


class VendorIndex:
    """The portal's contractors, indexed once for many lookups (one import's rows)."""

    def __init__(self, contractors: Iterable[tuple[int, str, str]], domains: Iterable[tuple[int, str]] = ()):
        """`contractors`: (contractor_id, legal_name, website), as the caller loads them with one query; `domains`:
        more (contractor_id, e-mail or web address) known of them, such as their staff's e-mail addresses."""
        self._names: dict[int, str] = {}
        by_key: dict[str, list[int]] = defaultdict(list)
        self._by_domain: dict[str, list[int]] = defaultdict(list)
        for contractor_id, legal_name, website in contractors:
            self._names[contractor_id] = legal_name
            key = name_key(legal_name)
            if key:
                by_key[key].append(contractor_id)
            domain = domain_of(website)
            if domain and domain not in FREE_MAIL:
                self._by_domain[domain].append(contractor_id)
        for contractor_id, address in domains:
            domain = domain_of(address)
            known = contractor_id in self._names and domain and domain not in FREE_MAIL
            if known and contractor_id not in self._by_domain[domain]:
                self._by_domain[domain].append(contractor_id)
        self._by_key = dict(by_key)
        # The choices rapidfuzz scores: each distinct key once, its words sorted (see the module's docstring).
        self._keys = list(self._by_key)
        self._sorted = [_sorted_words(key) for key in self._keys]

    def candidates(self, name: str, website: str = "", email: str = "", limit: int = 3) -> list[Candidate]:
        """The contractors that `name` (with the row's website and contact e-mail, if any) may be, best first: score
        100 for the same key or domain, otherwise the similarity of the keys if at least MAYBE."""
        found: dict[int, Candidate] = {}
        key = name_key(name)
        for contractor_id in self._by_key.get(key, []) if key else []:
            same = self._names[contractor_id].strip().casefold() == (name or "").strip().casefold()
            reason = (
                "same name" if same else "same name once case, accents, punctuation and \u201cInc.\u201d are set aside"
            )
            found[contractor_id] = Candidate(contractor_id, self._names[contractor_id], 100, reason)
        for kind, value in [("web", website), ("e-mail", email)]:
            domain = domain_of(value)
            if not domain or domain in FREE_MAIL:
                continue
            for contractor_id in self._by_domain.get(domain, []):
                reason = f"same {kind} domain {domain}"
                if contractor_id in found:
                    if "domain" not in found[contractor_id].reason:
                        earlier = found[contractor_id]
                        found[contractor_id] = Candidate(
                            contractor_id, earlier.name, 100, f"{earlier.reason}; {reason}"
                        )
                else:
                    found[contractor_id] = Candidate(contractor_id, self._names[contractor_id], 100, reason)
        if key and len(found) < limit:
            # Enough keys to fill `limit` after those already found (which may come back here too).
            for _, score, index in process.extract(
                _sorted_words(key),
                self._sorted,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=MAYBE,
                limit=limit + len(found) + 1,
            ):
                score = min(round(score), 99)
                shuffled = score == 99 and self._sorted[index] == _sorted_words(key)
                for contractor_id in self._by_key[self._keys[index]]:
                    if contractor_id not in found:
                        reason = "same words in another order" if shuffled else f"similar name ({score}%)"
                        found[contractor_id] = Candidate(contractor_id, self._names[contractor_id], score, reason)
        ordered = sorted(found.values(), key=lambda c: (-c.score, c.name.casefold(), c.contractor_id))
        return ordered[:limit]


def _sorted_words(key: str) -> str:
    return " ".join(sorted(key.split()))
