"""The export pages (issue 12.6): who may ask for, watch and download an archive; the link that expires; the page
that updates itself while the worker builds."""

import re
import zipfile
from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone

from portfolio import exports
from portfolio.models import ExportJob

from ..public_helpers import make_agreement
from ..test_workflow_views import PERSONAS


@pytest.fixture
def world(catalogues, district, vendor, product, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_agreement(agency=district, contractor=vendor, products=[product])
    jobs = {}
    for side, owner in (("district", {"agency": district}), ("vendor", {"contractor": vendor})):
        job = ExportJob.objects.create(**owner)
        exports.export_build(job.pk)
        job.refresh_from_db()
        jobs[side] = job
    return {"district": district, "vendor": vendor, "jobs": jobs}


def _page(side):
    return lambda w: [w[side].slug]


def _job(side):
    return lambda w: [w[side].slug, w["jobs"][side].pk]


def _download(side):
    return lambda w: [w[side].slug, w["jobs"][side].token]


# (url name, method, arguments, the one persona who may use it): each side's admins, for their own organisation.
PAGES = [
    ("district_export", "get", _page("district"), "district_admin"),
    ("district_export", "post", _page("district"), "district_admin"),
    ("district_export_progress", "get", _job("district"), "district_admin"),
    ("district_export_download", "get", _download("district"), "district_admin"),
    ("vendor_export", "get", _page("vendor"), "vendor_admin"),
    ("vendor_export", "post", _page("vendor"), "vendor_admin"),
    ("vendor_export_progress", "get", _job("vendor"), "vendor_admin"),
    ("vendor_export_download", "get", _download("vendor"), "vendor_admin"),
]


@pytest.mark.parametrize(("name", "method", "args", "allowed"), PAGES)
def test_each_export_page_refuses_every_wrong_persona(client, world, people, name, method, args, allowed):
    """Reviewer, viewer, vendor editor, another district, another vendor, the other side's admin: a 404, even with
    the download link's token; the anonymous: the sign-in page."""
    url = reverse(name, args=args(world))
    for persona in PERSONAS:
        client.logout()
        if people[persona]:
            client.force_login(people[persona])
        response = getattr(client, method)(url, {})
        if persona == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], persona
        elif persona == allowed:
            assert response.status_code in (200, 302), (persona, response.status_code)
            assert "/accounts/" not in response.get("Location", ""), persona
        else:
            assert response.status_code == 404, (persona, response.status_code)


def test_another_organisations_archive_is_not_found_through_ones_own(client, world, people, other_district):
    """Another district's admin, at their own district's URLs, reaches neither this district's job nor its file."""
    client.force_login(people["other_district"])
    job = world["jobs"]["district"]
    assert client.get(reverse("district_export_progress", args=[other_district.slug, job.pk])).status_code == 404
    assert client.get(reverse("district_export_download", args=[other_district.slug, job.token])).status_code == 404
    # and a vendor's token is no good at the district's URL, nor a wrong token anywhere
    client.force_login(people["district_admin"])
    district = world["district"].slug
    assert (
        client.get(reverse("district_export_download", args=[district, world["jobs"]["vendor"].token])).status_code
        == 404
    )
    assert client.get(reverse("district_export_download", args=[district, "not-the-token"])).status_code == 404


def test_the_admin_downloads_the_archive_until_the_link_expires_then_410(client, world, people):
    client.force_login(people["district_admin"])
    job = world["jobs"]["district"]
    url = reverse("district_export_download", args=[world["district"].slug, job.token])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'attachment; filename="hometown-csd-' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data == job.file.open("rb").read()
    assert "portfolio.json" in zipfile.ZipFile(BytesIO(data)).namelist()

    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    gone = client.get(url)
    assert gone.status_code == 410
    assert "This archive's link has expired" in gone.content.decode()
    assert "its file has been deleted" in gone.content.decode()
    assert exports.exports_sweep()["expired"] == 1
    assert client.get(url).status_code == 410  # and after the sweep deleted the file
    page = client.get(reverse("district_export", args=[world["district"].slug])).content.decode()
    assert "Expired: the file was deleted" in page and url not in page


def test_asking_for_an_archive_shows_its_progress_updating_itself_then_the_link(client, world, people, district):
    client.force_login(people["district_admin"])
    page_url = reverse("district_export", args=[district.slug])
    response = client.post(page_url)
    assert response.status_code == 302 and response["Location"] == page_url
    job = ExportJob.objects.filter(agency=district).latest("pk")
    assert job.status == ExportJob.Status.QUEUED and job.requested_by == people["district_admin"]
    assert client.post(page_url).status_code == 302
    assert ExportJob.objects.filter(agency=district, status=ExportJob.Status.QUEUED).count() == 1  # one job

    page = client.get(page_url).content.decode()
    progress = reverse("district_export_progress", args=[district.slug, job.pk])
    assert f'hx-get="{progress}" hx-trigger="every 2s" hx-swap="outerHTML"' in page
    assert "vendor/htmx/htmx.min.js" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script (Content-Security-Policy)
    assert "Waiting for the worker to start" in page

    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.BUILDING, items_total=40, items_done=20)
    fragment = client.get(progress).content.decode()
    assert "Building: 20 of 40 agreements written." in fragment
    assert '<progress class="w-100" max="40" value="20"' in fragment and "hx-trigger" in fragment

    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.QUEUED)
    exports.export_build(job.pk)
    job.refresh_from_db()
    fragment = client.get(progress).content.decode()
    assert "hx-trigger" not in fragment  # done: it stops polling
    assert reverse("district_export_download", args=[district.slug, job.token]) in fragment
    assert "Ready: 1 agreement," in fragment and job.sha256 in fragment


def test_the_vendor_page_says_what_its_archive_leaves_out(client, world, people):
    client.force_login(people["vendor_admin"])
    page = client.get(reverse("vendor_export", args=[world["vendor"].slug])).content.decode()
    assert "internal records (their review notes, parents' requests, breaches they recorded themselves)" in " ".join(
        page.split()
    )
    assert reverse("vendor_export_download", args=[world["vendor"].slug, world["jobs"]["vendor"].token]) in page


def test_the_ready_email_goes_to_the_admin_who_asked(world, district, people):
    from agreements.models import OutboundEmail

    job = exports.export_request(actor=people["district_admin"], agency=district)
    exports.export_build(job.pk)
    email = OutboundEmail.objects.filter(template="export_ready").latest("pk")
    assert email.to == [people["district_admin"].email]
    assert "/district/hometown-csd/export/" in email.body_text and job.token not in email.body_text
