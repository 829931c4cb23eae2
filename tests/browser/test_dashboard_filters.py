"""The district dashboard's menus at a size where they could no longer list every name (issue 13): the vendor and
product fields suggest, as the person types, the few names that match; a name picked or typed in full filters the
list. axe on each state of the page."""

import re

import pytest
from playwright.sync_api import expect

from agreements.models import DistrictMembership

from .. import factories, personas
from ..test_dashboard_scale import make_statewide
from .conftest import assert_accessible


@pytest.fixture
def many_vendors(transactional_db, catalogues):
    """A district with 300 agreements and 150 vendors (two agreements each), and a viewer on its staff."""
    district, vendor = personas.district(), personas.vendor()
    make_statewide(district=district, vendor=vendor, agreements=300, district_share=300, vendors=150)
    viewer = personas.district_user(district, DistrictMembership.Role.VIEWER)
    return district, viewer


def test_the_vendor_and_product_menus_suggest_as_you_type_and_filter(page, many_vendors):
    district, viewer = many_vendors
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(viewer.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(f"/district/{district.slug}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(": agreements")
    expect(page.locator("option")).to_have_count(11)  # the status menu's; the page lists no vendor or product
    assert_accessible(page)

    vendors = page.locator("#vendor-options option")
    field = page.get_by_label("Vendor", exact=True)
    field.click()  # the first names, as soon as the field has the focus
    expect(vendors).to_have_count(20)
    expect(vendors.first).to_have_attribute("value", "Scale Vendor 00001 Learning")
    field.press_sequentially("vendor 0004")
    expect(vendors).to_have_count(10)  # 00040 to 00049
    field.press_sequentially("2")
    expect(vendors).to_have_count(1)
    expect(vendors.first).to_have_attribute("value", "Scale Vendor 00042 Learning")
    assert_accessible(page)

    # Picking the suggestion puts its name in the field, as typing it in full does.
    field.fill("Scale Vendor 00042 Learning")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"vendor=Scale\+Vendor\+00042\+Learning"))
    table = page.get_by_role("table", name="Agreements")
    expect(table.get_by_role("row")).to_have_count(3)  # a header and the vendor's two agreements
    expect(page.get_by_label("Vendor", exact=True)).to_have_value("Scale Vendor 00042 Learning")
    assert_accessible(page)

    # A product typed in full, in any case, without picking; the vendor field emptied means any vendor.
    page.get_by_label("Vendor", exact=True).fill("")
    product = page.get_by_label("Product", exact=True)
    product.press_sequentially("scale product 00007")
    expect(page.locator("#product-options option")).to_have_count(1)
    product.fill("scale product 00007 reader")
    product.press("Enter")
    expect(page).to_have_url(re.compile(r"product=scale\+product\+00007\+reader"))
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table).to_contain_text("Scale Vendor 00007 Learning")
    assert_accessible(page)
