"""dpa_portal.links.Links: each view reversed once, its URLs the ones reverse() gives, slugs and ids put in place."""

import pytest
from django.urls import reverse

from dpa_portal.links import Links

CASES = [
    ("public_agreement", "hometown-csd", 12),
    ("public_agreement", "other_district-2", 7),
    ("public_agreement_pdf", "hometown-csd", 3),
    ("public_district", "hometown-csd"),
    ("public_district", "links-mark-0-"),  # a slug that looks like the stand-in
    ("agreement_detail", 5),
]


def test_every_url_is_the_one_reverse_gives():
    links = Links()
    for view, *args in CASES * 2:
        assert links.url(view, *args) == reverse(view, args=args)


def test_one_reverse_per_view_and_shape_whatever_the_slugs(monkeypatch):
    import dpa_portal.links

    calls = []
    monkeypatch.setattr(dpa_portal.links, "reverse", lambda view, args: calls.append(view) or reverse(view, args=args))
    links = Links(lambda path: "https://portal.example" + path)
    urls = [links.url("public_agreement", f"district-{n}", n) for n in range(200)]
    assert urls[7] == "https://portal.example" + reverse("public_agreement", args=["district-7", 7])
    assert [links.url("public_district", f"district-{n}") for n in range(3)][
        2
    ] == "https://portal.example/public/district-2/"
    assert calls == ["public_agreement", "public_district"]


def test_a_slug_a_pattern_would_not_take_is_reversed_for_itself():
    with pytest.raises(Exception, match="Reverse for 'public_district'"):
        Links().url("public_district", "no/slash")
