"""The import and the export are found from the dashboards, by the admins who may use them (issue 12)."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("district_admin", True), ("district_reviewer", False), ("district_viewer", False)],
)
def test_the_district_dashboard_links_import_and_export_for_admins(client, district, people, persona, shown):
    client.force_login(people[persona])
    page = client.get(reverse("district_dashboard", args=[district.slug])).content.decode()
    for url in (reverse("portfolio_import", args=[district.slug]), reverse("district_export", args=[district.slug])):
        assert (f'href="{url}"' in page) is shown


@pytest.mark.parametrize(("persona", "shown"), [("vendor_admin", True), ("vendor_editor", False)])
def test_the_vendor_dashboard_links_the_export_for_admins(client, vendor, people, persona, shown):
    client.force_login(people[persona])
    response = client.get(reverse("vendor_dashboard", args=[vendor.slug]))
    assert response.status_code == 200
    assert (f'href="{reverse("vendor_export", args=[vendor.slug])}"' in response.content.decode()) is shown
