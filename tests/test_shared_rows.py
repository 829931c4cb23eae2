"""tests/shared.py: rows built once for many tests stay invisible to the tests that do not ask for them, and what a
test changes in them is rolled back before the next one (the tests below run in this order; see group_by_layers)."""

from collections import Counter

from django.db import connection

from vendors.models import Contractor, Product

from . import factories
from .shared import SharedRows

SHARED_ROWS = SharedRows()
BUILT = Counter()


@SHARED_ROWS.layer()
def probe_rows(rows):
    BUILT["probe_rows"] += 1
    return {"probe": factories.ContractorFactory(legal_name="Probe", slug="shared-rows-probe")}


@SHARED_ROWS.layer(on="probe_rows")
def upper_rows(rows):
    BUILT["upper_rows"] += 1
    rows["probe"].legal_name = "Probe, changed by the layer above"
    rows["probe"].save()
    return {"product": factories.ProductFactory(contractor=rows["probe"], slug="shared-rows-product")}


probe = SHARED_ROWS.fixture("probe", "probe_rows", lambda rows: rows["probe"])
upper = SHARED_ROWS.fixture("upper", "upper_rows")


def test_a_layer_sees_and_may_change_the_rows_below(upper):
    assert upper["probe"].legal_name == "Probe, changed by the layer above"
    assert Product.objects.get(slug="shared-rows-product").contractor == upper["probe"]
    assert BUILT == {"probe_rows": 1, "upper_rows": 1}


def test_below_it_again_the_layer_above_is_rolled_back(probe):
    assert probe.legal_name == "Probe" and Contractor.objects.get(pk=probe.pk).legal_name == "Probe"
    assert not Product.objects.filter(slug="shared-rows-product").exists()
    assert BUILT["probe_rows"] == 1  # the layer below was kept, not built again


def test_a_test_changes_the_rows(probe):
    probe.legal_name = "Changed by a test"
    probe.save()
    factories.ProductFactory(contractor=probe, slug="shared-rows-product-of-a-test")
    # The changes are in the database (so that the next test, which must not see them, proves the rollback).
    assert Contractor.objects.get(slug="shared-rows-probe").legal_name == "Changed by a test"
    assert Product.objects.filter(contractor=probe).exists()


def test_the_next_test_gets_them_as_built(probe):
    assert probe.legal_name == "Probe"  # its own copy of the instance
    assert Contractor.objects.get(slug="shared-rows-probe").legal_name == "Probe"
    assert not Product.objects.filter(contractor=probe).exists()
    assert BUILT["probe_rows"] == 1


def test_a_test_without_the_rows_does_not_see_them(db):
    assert not Contractor.objects.filter(slug="shared-rows-probe").exists()


def test_a_transactional_test_builds_them_itself_and_commits_them(transactional_db, probe):
    assert not connection.in_atomic_block  # committed: a live server or a worker would see them
    assert Contractor.objects.get(slug="shared-rows-probe") == probe
