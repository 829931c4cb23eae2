"""One vendor per company (issue 12.1): names, domains and the candidates an imported vendor may be."""

import random
import string
import time

import pytest

from portfolio.matching import MAYBE, SAME_VENDOR, Candidate, VendorIndex, domain_of, name_key

CONTRACTORS = [
    (1, "CodeHS, Inc.", "https://www.codehs.com/"),
    (2, "Khan Academy Inc", "khanacademy.org"),
    (3, "Brightpath Learning", ""),
    (4, "Brightpath Reading Co.", ""),
    (5, "Tiny Tutors", "http://www.gmail.com"),  # a vendor that gave its contact's mail host as its website
    (6, "Académie Française Éditions SA", ""),
    (7, "Learning Tools, Inc.", "https://learningtools.example"),
    (8, "Learning Tools LLC", ""),  # a duplicate the portal already holds
]
INDEX = VendorIndex(CONTRACTORS)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("CodeHS, Inc.", "codehs"),
        ("codehs", "codehs"),
        ("The CodeHS Company", "codehs"),
        ("Acme Co. Ltd", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Khan Academy, PBC", "khan academy"),
        ("A & B Learning", "a and b learning"),
        ("Children\u2019s Press LLP", "childrens press"),
        ("Académie  Française", "academie francaise"),
        ("STRASSE GmbH", "strasse gmbh"),  # casefold; a suffix the list does not know stays
        ("Company", "company"),  # a name that is only a suffix keeps it
        ("The", "the"),
        ("", ""),
        ("  ,.  ", ""),
    ],
)
def test_name_key(name, key):
    assert name_key(name) == key


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("https://www.codehs.com/x", "codehs.com"),
        ("dfarsaci@codehs.com", "codehs.com"),
        ("mailto:dfarsaci@codehs.com", "codehs.com"),
        ("HTTPS://WWW.CodeHS.com", "codehs.com"),
        ("codehs.com", "codehs.com"),
        ("http://app.codehs.com:8080/login", "codehs.com"),
        ("www.acme.co.uk", "acme.co.uk"),
        ("https://liverpool.k12.ny.us/", "liverpool.k12.ny.us"),
        ("localhost", ""),
        ("not a web address", ""),
        ("", ""),
    ],
)
def test_domain_of(value, domain):
    assert domain_of(value) == domain


def test_a_legal_suffix_makes_no_other_vendor():
    [codehs] = INDEX.candidates("CodeHS")
    assert codehs == Candidate(
        1, "CodeHS, Inc.", 100, "same name once case, accents, punctuation and \u201cInc.\u201d are set aside"
    )
    [khan] = INDEX.candidates("Khan Academy")
    assert (khan.contractor_id, khan.score) == (2, 100)
    assert INDEX.candidates("Khan Academy Inc")[0] == Candidate(2, "Khan Academy Inc", 100, "same name")


def test_names_that_share_a_word_are_only_similar():
    [reading, learning] = INDEX.candidates("Brightpath Reading")
    assert reading.score == 100
    assert (learning.contractor_id, learning.reason) == (3, f"similar name ({learning.score}%)")
    assert MAYBE <= learning.score < SAME_VENDOR


def test_a_name_inside_a_longer_one_is_not_proposed_as_the_same():
    """token_sort_ratio, not WRatio: "Khan" is not "Khan Academy", nor "Code" "CodeHS" (WRatio scores both 90)."""
    assert INDEX.candidates("Khan") == []
    assert INDEX.candidates("Code") == [Candidate(1, "CodeHS, Inc.", 80, "similar name (80%)")]


def test_the_same_words_in_another_order_are_proposed_as_the_same_vendor():
    assert INDEX.candidates("Academy Khan") == [Candidate(2, "Khan Academy Inc", 99, "same words in another order")]


def test_the_same_web_or_email_domain_is_the_same_vendor():
    assert INDEX.candidates("Code High School Inc", website="http://codehs.com") == [
        Candidate(1, "CodeHS, Inc.", 100, "same web domain codehs.com")
    ]
    assert INDEX.candidates("CHS", email="dfarsaci@codehs.com") == [
        Candidate(1, "CodeHS, Inc.", 100, "same e-mail domain codehs.com")
    ]
    [both] = INDEX.candidates("CodeHS", website="www.codehs.com", email="a@codehs.com")
    assert (both.score, both.reason.count("domain")) == (100, 1)
    assert both.reason.endswith("; same web domain codehs.com")


def test_a_free_mail_domain_matches_nobody():
    assert INDEX.candidates("Zebra Maths", email="owner@gmail.com") == []
    assert INDEX.candidates("Zebra Maths", website="https://www.gmail.com") == []


def test_accents_are_set_aside():
    [academie] = INDEX.candidates("Academie Francaise Editions SA")
    assert (academie.contractor_id, academie.score) == (6, 100)


def test_empty_input_gives_no_candidates():
    assert INDEX.candidates("") == []
    assert INDEX.candidates("  ", website="", email="") == []
    assert VendorIndex([]).candidates("CodeHS", website="codehs.com") == []


def test_candidates_come_best_first_and_no_more_than_asked():
    index = VendorIndex([
        (10, "Learning Tools", ""),
        (11, "Learning Toolbox", ""),
        (12, "Learning Tool Co", ""),
        (13, "Learning Tools LLC", ""),
        (14, "Unrelated Name", ""),
    ])  # fmt: skip

    found = index.candidates("Learning Tools, Inc.", limit=4)

    # The two with the same key (by name, then id), then the similar ones, best first; never the unrelated one.
    assert [c.contractor_id for c in found] == [10, 13, 12, 11]
    assert [c.score for c in found][:2] == [100, 100]
    assert found[2].score > found[3].score >= MAYBE
    assert index.candidates("Learning Tools, Inc.", limit=1) == found[:1]


def test_twenty_thousand_contractors_and_five_hundred_lookups_take_seconds():
    rng = random.Random(12)  # noqa: S311 - made-up names, the same on every run
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(3000)]
    contractors = [
        (
            n,
            " ".join(rng.sample(words, rng.randint(1, 4))).title() + rng.choice(["", ", Inc.", " LLC"]),
            f"v{n}.example",
        )
        for n in range(20_000)
    ]
    queries = [(contractors[rng.randrange(20_000)][1][:-1] + "x", f"v{n}.example") for n in range(500)]

    started = time.monotonic()
    index = VendorIndex(contractors)
    results = [index.candidates(name, website=website) for name, website in queries]
    elapsed = time.monotonic() - started

    print(f"20,000 contractors indexed and 500 lookups in {elapsed:.2f} s")
    assert all(found and found[0].score == 100 for found in results)  # each query's website is a contractor's
    assert elapsed < 10
