"""Issue 11.9: CSF 2.0 agreements name their framework version (Article I.8, Exhibit C), and C.1 answers carried
from a CSF 1.1 agreement follow NIST's published CSF 1.1-to-2.0 mapping (exhibits/frameworks/crosswalks/)."""

import json

import pytest
from django.urls import reverse

from agreements.documents.render import render_dpa_html
from agreements.services import agreement_send_to_vendor, agreement_start, agreement_submit
from exhibits import crosswalk
from exhibits.answers import agreement_answers, carried_over
from exhibits.catalogues import CATALOGUE_DIR
from exhibits.models import CsfResponse, Section
from exhibits.services import answers_reuse

from . import factories
from .helpers import TERM, fill_complete

DATA = crosswalk.CROSSWALK_DIR / "csf-1.1-to-2.0.json"


def _categories(version: str) -> list[str]:
    data = json.loads((CATALOGUE_DIR / f"nist-csf-{version}.json").read_text(encoding="utf-8"))
    return [c["identifier"] for f in data["functions"] for c in f["categories"]]


# Worked out by hand from NIST's withdrawal reasons in the data file, to check the code that derives it.
EXPECTED = {
    "ID.AM": {"ID.AM", "GV.RR", "GV.SC"},
    "ID.BE": {"GV.OC"},
    "ID.GV": {"GV.PO", "GV.OC", "GV.RR", "GV.RM"},
    "ID.RA": {"ID.RA"},
    "ID.RM": {"GV.RM", "GV.RR"},
    "ID.SC": {"GV.SC", "GV.RM", "GV.OC", "ID.RA", "ID.IM"},
    "PR.AC": {"PR.AA", "PR.IR"},
    "PR.AT": {"PR.AT"},
    "PR.DS": {"PR.DS", "ID.AM", "PR.PS", "PR.IR", "ID.RA", "DE.CM"},
    "PR.IP": {"PR.PS", "ID.AM", "ID.RA", "PR.DS", "PR.IR", "ID.IM", "GV.RR"},
    "PR.MA": {"ID.AM", "PR.PS"},
    "PR.PT": {"PR.PS", "PR.DS", "PR.AA", "PR.IR"},
    "DE.AE": {"DE.AE", "ID.AM"},
    "DE.CM": {"DE.CM", "ID.RA"},
    "DE.DP": {"GV.RR", "DE.AE", "ID.IM"},
    "RS.RP": {"RS.MA"},
    "RS.CO": {"RS.CO", "PR.AT", "RS.MA"},
    "RS.AN": {"RS.AN", "RS.MA", "ID.RA"},
    "RS.MI": {"RS.MI", "ID.RA"},
    "RS.IM": {"ID.IM"},
    "RC.RP": {"RC.RP"},
    "RC.IM": {"ID.IM"},
    "RC.CO": {"RC.CO"},
}


def test_the_mapping_file_cites_nist_and_accounts_for_every_csf_1_1_subcategory():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    assert data["source"]["url"].startswith("https://csrc.nist.gov/")
    assert "Withdrawn CSF 1.1 Elements" in data["source"]["title"]
    assert data["source"]["published"] == "2024-02-26"
    assert data["derivation"]
    subcategories = set(data["withdrawn"]) | set(data["retained"])
    assert len(subcategories) == len(data["withdrawn"]) + len(data["retained"]) == 108  # CSF 1.1 has 108
    assert {crosswalk.category_of(s) for s in subcategories} == set(_categories("1.1"))
    assert set(data["category_notes"]) <= set(_categories("1.1"))


def test_the_category_mapping_is_derived_from_nists_subcategory_reasons():
    walk = crosswalk.crosswalk_for("1.1", "2.0")
    assert {source: set(targets) for source, targets in walk.categories.items()} == EXPECTED
    targets = {t for targets in walk.categories.values() for t in targets}
    assert targets <= set(_categories("2.0"))
    assert set(_categories("2.0")) - targets == {"GV.OV"}  # the one 2.0 category nothing in 1.1 maps to
    assert walk.sources_of("GV.OC") == ["ID.BE", "ID.GV", "ID.SC"]  # 5, 2 and 1 subcategories
    # Equal weights in CSF 1.1's order, not the mapping file's (which lists retained subcategories first).
    assert walk.sources_of("PR.IR") == ["PR.AC", "PR.DS", "PR.PT", "PR.IP"]  # 2, 2, 2 and 1 subcategories
    assert walk.sources_of("RS.MA") == ["RS.AN", "RS.RP", "RS.CO"]  # 3, 1 and 1
    assert list(walk.categories) == _categories("1.1")
    assert walk.sources_of("GV.OV") == []
    assert crosswalk.crosswalk_for("2.0", "1.1") is None


@pytest.fixture
def submitted_1_1(agreement, district_admin, vendor_editor):
    """A CSF 1.1 agreement submitted with a different answer, and tier, in each category."""
    agreement_send_to_vendor(agreement=agreement, actor=district_admin)
    fill_complete(agreement, actor=vendor_editor)
    for response in CsfResponse.objects.filter(agreement=agreement).select_related("category"):
        response.narrative = f"{response.category.identifier} answer"
        response.tier = 3 if response.category.identifier.startswith("PR") else 2
        response.save()
    agreement_submit(agreement=agreement, actor=vendor_editor)
    return agreement


def _new_2_0(agreement, district):
    admin = factories.DistrictMembershipFactory(agency=district).user
    return agreement_start(
        agency=district,
        actor=admin,
        contractor=agreement.contractor,
        product_name=agreement.products.get().name,
        framework=factories.csf("2.0"),
        **TERM,
    )


def test_answers_carried_to_2_0_follow_the_mapping_and_are_marked_for_review(submitted_1_1, district, vendor_editor):
    new = _new_2_0(submitted_1_1, district)
    reuse = answers_reuse(agreement=new, source=submitted_1_1, actor=vendor_editor)
    c1 = {r.category.identifier: r for r in new.csf_responses.select_related("category")}

    # One source: its words and tier as they were.
    assert (c1["RS.AN"].narrative, c1["RS.AN"].tier) == ("RS.AN answer", 2)
    assert (c1["RC.RP"].narrative, c1["RC.RP"].tier) == ("RC.RP answer", 2)
    # Several: one paragraph each, named, the heaviest first; the same tier carries, different tiers do not.
    assert c1["GV.OC"].narrative == (
        "From CSF 1.1 ID.BE Business Environment: ID.BE answer\n\n"
        "From CSF 1.1 ID.GV Governance: ID.GV answer\n\n"
        "From CSF 1.1 ID.SC Supply Chain Risk Management: ID.SC answer"
    )
    assert c1["GV.OC"].tier == 2
    assert c1["PR.AA"].narrative.startswith("From CSF 1.1 PR.AC ")
    assert "From CSF 1.1 PR.PT Protective Technology: PR.PT answer" in c1["PR.AA"].narrative
    assert c1["PR.AA"].tier == 3
    assert "ID.AM answer" in c1["ID.AM"].narrative and "PR.DS answer" in c1["ID.AM"].narrative
    assert c1["ID.AM"].tier is None  # ID.AM (2) and PR.DS (3) differ: the vendor chooses
    # Nothing maps to GV.OV: it starts empty, and the reuse says so.
    assert (c1["GV.OV"].narrative, c1["GV.OV"].tier) == ("", None)
    record = reuse.answers[crosswalk.C1_CROSSWALK]
    assert record["unmapped"] == ["GV.OV"]
    assert record["from"]["GV.OC"] == ["ID.BE", "ID.GV", "ID.SC"]
    assert record["source"]["url"].startswith("https://csrc.nist.gov/")

    kept = carried_over(reuse.answers, agreement_answers(new))
    carried_c1 = {key for section, key in kept if section == Section.EXHIBIT_C1}
    assert carried_c1 == set(_categories("2.0")) - {"GV.OV"}
    c1["GV.OC"].narrative = "Reviewed for CSF 2.0"
    c1["GV.OC"].save()
    assert (Section.EXHIBIT_C1, "GV.OC") not in carried_over(reuse.answers, agreement_answers(new))


def test_answers_too_long_to_combine_are_named_not_cut(submitted_1_1, district, vendor_editor):
    long_answer = ("Access is reviewed every quarter. " * 45).strip()
    previous = submitted_1_1.submissions.get()
    previous.answers[Section.EXHIBIT_C1]["PR.AC"]["narrative"] = long_answer
    previous.answers[Section.EXHIBIT_C1]["PR.PT"]["narrative"] = long_answer + " Protective."
    previous.save()
    new = _new_2_0(submitted_1_1, district)
    reuse = answers_reuse(agreement=new, source=submitted_1_1, actor=vendor_editor)
    narrative = new.csf_responses.get(category__identifier="PR.AA").narrative
    assert narrative == "From CSF 1.1 PR.AC Identity Management, Authentication and Access Control: " + long_answer
    assert reuse.answers[crosswalk.C1_CROSSWALK]["left_out"]["PR.AA"] == ["PR.PT"]


def test_the_c1_page_says_what_was_carried_and_what_starts_empty(client, people, submitted_1_1, district):
    new = _new_2_0(submitted_1_1, district)
    agreement_send_to_vendor(agreement=new, actor=people["district_admin"])
    answers_reuse(agreement=new, source=submitted_1_1, actor=people["vendor_editor"])
    client.force_login(people["vendor_editor"])
    page = client.get(reverse("exhibit_c1", args=[new.pk])).text
    assert "The NIST CSF 2.0 Core With Withdrawn CSF 1.1 Elements" in page
    assert "No CSF 1.1 category maps to GV.OV in NIST's mapping" in page
    assert "this response starts empty" in page
    assert "From your CSF 1.1 answers for ID.BE, ID.GV, ID.SC" in page
    detail = client.get(reverse("agreement_detail", args=[new.pk])).text  # the agreement page, for both sides
    assert (
        "From your CSF 1.1 answers for ID.BE, ID.GV, ID.SC" in detail and "No CSF 1.1 category maps to GV.OV" in detail
    )
    client.force_login(people["district_reviewer"])
    detail = client.get(reverse("agreement_detail", args=[new.pk])).text
    assert (
        "From the vendor's CSF 1.1 answers for ID.BE, ID.GV, ID.SC" in detail
        and "your" not in detail.split("GV.OV")[1][:200]
    )


@pytest.mark.parametrize(
    "version, definition",
    [
        (
            "1.1",
            "The U.S. Department of Commerce National Institute for Standards and Technology Framework for "
            "Improving Critical Infrastructure Cybersecurity Version 1.1.",
        ),
        (
            "2.0",
            "The U.S. Department of Commerce National Institute of Standards and Technology Cybersecurity "
            "Framework (CSF) Version 2.0.",
        ),
    ],
)
def test_article_i_8_and_exhibit_c_name_the_agreements_framework_version(agreement, version, definition):
    agreement.framework = factories.csf(version)
    agreement.save(update_fields=["framework"])
    html = render_dpa_html(agreement)
    assert f"<strong>NIST Cybersecurity Framework:</strong> {definition}</li>" in html
    other = "2.0" if version == "1.1" else "1.1"
    assert f"Version {other}" not in html
    assert f"alignment with the NIST Cybersecurity Framework (Version {version}), which is the standard" in html
    assert f"materially align with the NIST CSF v{version} using the Framework chart below" in html
