"""The NIST CSF catalogues: counts, identifiers, and idempotent loading."""

import json

import pytest

from exhibits.catalogues import CATALOGUE_DIR, load_all_catalogues, load_catalogue
from exhibits.models import Framework, FrameworkCategory, FrameworkFunction

CSF_11 = {
    "ID": ["ID.AM", "ID.BE", "ID.GV", "ID.RA", "ID.RM", "ID.SC"],
    "PR": ["PR.AC", "PR.AT", "PR.DS", "PR.IP", "PR.MA", "PR.PT"],
    "DE": ["DE.AE", "DE.CM", "DE.DP"],
    "RS": ["RS.RP", "RS.CO", "RS.AN", "RS.MI", "RS.IM"],
    "RC": ["RC.RP", "RC.IM", "RC.CO"],
}
CSF_20 = {
    "GV": ["GV.OC", "GV.RM", "GV.RR", "GV.PO", "GV.OV", "GV.SC"],
    "ID": ["ID.AM", "ID.RA", "ID.IM"],
    "PR": ["PR.AA", "PR.AT", "PR.DS", "PR.PS", "PR.IR"],
    "DE": ["DE.CM", "DE.AE"],
    "RS": ["RS.MA", "RS.AN", "RS.CO", "RS.MI"],
    "RC": ["RC.RP", "RC.CO"],
}


@pytest.mark.parametrize(
    ("version", "expected", "n_categories"), [("1.1", CSF_11, 23), ("2.0", CSF_20, 22)], ids=["csf-1.1", "csf-2.0"]
)
def test_catalogue_functions_and_categories(catalogues, version, expected, n_categories):
    framework = Framework.objects.get(code="nist-csf", version=version)
    functions = list(framework.functions.order_by("position").values_list("identifier", flat=True))
    assert functions == list(expected)
    categories = list(framework.categories.order_by("position").select_related("function"))
    assert len(categories) == n_categories
    assert [c.identifier for c in categories] == [c for cats in expected.values() for c in cats]
    for category in categories:
        assert category.identifier.startswith(category.function.identifier + ".")
        assert category.name and len(category.description) > 40


def test_csf_11_descriptions_match_the_reference_dpa(catalogues):
    """Exhibit C.1 of the model DPA prints these descriptions; spot-check two against its wording."""
    am = FrameworkCategory.objects.get(framework__version="1.1", identifier="ID.AM")
    assert am.description.startswith("The data, personnel, devices, systems, and facilities that enable")
    co = FrameworkCategory.objects.get(framework__version="1.1", identifier="RC.CO")
    assert "coordinating centers, Internet Service Providers" in co.description


def test_both_versions_live_side_by_side(catalogues):
    assert set(Framework.objects.values_list("version", flat=True)) >= {"1.1", "2.0"}
    assert FrameworkCategory.objects.filter(identifier="PR.DS").count() == 2


def test_loading_again_changes_nothing(catalogues):
    before = {c.pk: (c.identifier, c.name, c.description, c.position) for c in FrameworkCategory.objects.all()}
    counts = (Framework.objects.count(), FrameworkFunction.objects.count())
    results = load_all_catalogues()
    assert [changed for _, changed in results] == [False, False]
    after = {c.pk: (c.identifier, c.name, c.description, c.position) for c in FrameworkCategory.objects.all()}
    assert after == before
    assert (Framework.objects.count(), FrameworkFunction.objects.count()) == counts


def test_an_edited_data_file_updates_in_place(catalogues):
    data = json.loads((CATALOGUE_DIR / "nist-csf-2.0.json").read_text())
    data["functions"][0]["categories"][0]["description"] = "Revised wording"
    original = FrameworkCategory.objects.get(framework__version="2.0", identifier="GV.OC")
    _, changed = load_catalogue(data)
    assert changed
    revised = FrameworkCategory.objects.get(framework__version="2.0", identifier="GV.OC")
    assert revised.pk == original.pk and revised.description == "Revised wording"


def test_load_frameworks_command(catalogues, capsys):
    from django.core.management import call_command

    call_command("load_frameworks")
    out = capsys.readouterr().out
    assert "NIST Cybersecurity Framework 1.1: 23 categories (unchanged)" in out
    assert "2.0: 22 categories (unchanged)" in out
