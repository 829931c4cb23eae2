"""NIST's CSF 1.1-to-2.0 mapping, read from exhibits/frameworks/crosswalks/*.json, for carrying C.1 answers across.

The file holds NIST's own facts, one per CSF 1.1 Subcategory: withdrawn in CSF 2.0 with NIST's reason ("Incorporated
into GV.RR-02, GV.SC-02", "Moved to PR.AA"), or retained under its identifier. The Category mapping is derived here,
never typed by hand: a 1.1 Category maps to each 2.0 Category its Subcategories went to, weighted by how many went
there. A 2.0 Category that no 1.1 Subcategory went to has no source and starts empty.
"""

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from dpa_portal.lengths import line_count, max_lines

CROSSWALK_DIR = Path(__file__).resolve().parent / "frameworks" / "crosswalks"
# An identifier in a withdrawal reason: a Category ("ID.IM") or a Subcategory ("ID.IM-03"). A Function alone ("GV",
# in "Incorporated into GV") names no Category, so it carries nothing.
_IDENTIFIER = re.compile(r"\b([A-Z]{2}\.[A-Z]{2})(?:-\d{2})?\b")


# The key, in AnswerReuse.answers, of how C.1 answers were carried by NIST's mapping: {"source": {...}, "from": {2.0
# category: [1.1 categories]}, "left_out": {...}, "unmapped": [2.0 categories]}.
C1_CROSSWALK = "c1_crosswalk"


def category_of(identifier: str) -> str:
    return identifier.split("-")[0]


@dataclass(frozen=True)
class Crosswalk:
    from_version: str
    to_version: str
    source: dict
    # 1.1 Category -> {2.0 Category: how many of its Subcategories went there}
    categories: dict = field(default_factory=dict)

    def sources_of(self, target: str) -> list[str]:
        """The 1.1 Categories that went (in part) into `target`, the heaviest first, then in CSF order."""
        weighted = [(source, targets[target]) for source, targets in self.categories.items() if target in targets]
        return [source for source, _ in sorted(weighted, key=lambda pair: -pair[1])]


def _catalogue_order(framework: dict) -> dict[str, int]:
    """Each Category of a framework version ({"code": "nist-csf", "version": "1.1"}) -> its place in the framework,
    from the catalogue beside the crosswalks (exhibits/frameworks/)."""
    path = CROSSWALK_DIR.parent / f"{framework['code']}-{framework['version']}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    identifiers = (category["identifier"] for function in data["functions"] for category in function["categories"])
    return {identifier: n for n, identifier in enumerate(identifiers)}


def parse(data: dict) -> Crosswalk:
    categories: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for subcategory in data["retained"]:
        categories[category_of(subcategory)][category_of(subcategory)] += 1
    for subcategory, reason in data["withdrawn"].items():
        for target in dict.fromkeys(_IDENTIFIER.findall(reason)):  # each 2.0 Category once per Subcategory
            categories[category_of(subcategory)][target] += 1
    order = _catalogue_order(data["from"])
    return Crosswalk(
        from_version=data["from"]["version"],
        to_version=data["to"]["version"],
        source=data["source"],
        # In CSF order (not the file's, retained then withdrawn), so that sources_of breaks ties in CSF order.
        categories={source: dict(categories[source]) for source in sorted(categories, key=order.__getitem__)},
    )


@cache
def _all() -> tuple[Crosswalk, ...]:
    return tuple(parse(json.loads(path.read_text(encoding="utf-8"))) for path in sorted(CROSSWALK_DIR.glob("*.json")))


def crosswalk_for(from_version: str, to_version: str) -> Crosswalk | None:
    return next((c for c in _all() if (c.from_version, c.to_version) == (from_version, to_version)), None)


@dataclass
class Carried:
    """What one target Category receives: the text, the tier, where they came from, and what was left out."""

    narrative: str = ""
    tier: int | None = None
    sources: list = field(default_factory=list)  # 1.1 Categories whose answers are in the narrative
    left_out: list = field(default_factory=list)  # 1.1 Categories mapped here whose answers did not fit
    mapped: bool = True  # False: NIST's mapping sends no 1.1 Category here


def carry(crosswalk: Crosswalk, target: str, previous: dict, names: dict, max_length: int) -> Carried:
    """Compose the answer for 2.0 Category `target` from the 1.1 answers `previous` ({identifier: {"narrative",
    "tier"}}), following the mapping. One source: its words as they were. Several: one paragraph each, headed by
    the 1.1 Category, the heaviest first, as many as fit the field's limits (the rest are named, not cut)."""
    sources = crosswalk.sources_of(target)
    if not sources:
        return Carried(mapped=False)
    answered = [s for s in sources if (previous.get(s) or {}).get("narrative", "").strip()]
    carried = Carried()
    if len(answered) == 1:
        only = previous[answered[0]]
        if len(only["narrative"]) <= max_length:
            return Carried(narrative=only["narrative"], tier=only.get("tier"), sources=answered)
    paragraphs, seen = [], set()
    for source in answered:
        text = previous[source]["narrative"].strip()
        if text in seen:  # the same words answered two 1.1 Categories: carry them once
            carried.sources.append(source)
            continue
        paragraph = f"From CSF 1.1 {source} {names.get(source, '')}".rstrip() + f": {text}"
        candidate = "\n\n".join([*paragraphs, paragraph])
        if len(candidate) > max_length or line_count(candidate) > max_lines(max_length):
            carried.left_out.append(source)
            continue
        paragraphs.append(paragraph)
        seen.add(text)
        carried.sources.append(source)
    carried.narrative = "\n\n".join(paragraphs)
    tiers = {previous[s].get("tier") for s in carried.sources}
    carried.tier = tiers.pop() if len(tiers) == 1 else None  # different tiers: the vendor chooses one
    return carried
