"""A district admin and a vendor admin export their agreements in the browser (issue 12.6): ask for an archive, watch
the page follow the real Celery worker without reloading (htmx polls every 2 s), download the ZIP, and meet the 410
page once the link has expired. axe checks each page; screenshots go to /tmp/shots-export/."""

import io
import json
import re
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portfolio.models import ExportJob
from tests.test_celery import celery_worker  # noqa: F401 - a fixture: the real worker that builds the archive

from ..portfolio.test_export import clone
from ..public_helpers import make_agreement
from .conftest import assert_accessible
from .test_signing import signed_in

SHOTS = Path("/tmp/shots-export")  # noqa: S108
AGREEMENTS = 400


@pytest.fixture
def shared_media(monkeypatch, settings, tmp_path):
    """One media folder for the live server (this process) and the worker (started after, with this environment)."""
    root = tmp_path / "media"
    monkeypatch.setenv("DJANGO_MEDIA_ROOT", str(root))
    settings.MEDIA_ROOT = root
    return root


def watch(page, job_id: int, shot: Path | None = None) -> list[str]:
    """What the archive's block says as the page polls, until the download link shows (or two minutes pass); a
    screenshot to `shot` of the bar part way, if the page shows one."""
    seen = []
    block = page.locator(f"#export-{job_id} [role=status]")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = " ".join(block.inner_text().split())
        if not seen or seen[-1] != text:
            seen.append(text)
            if shot and re.match(r"Building: [1-9]", text):
                page.screenshot(path=str(shot), full_page=True)
                shot = None
        if text.startswith("Ready:"):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"the archive never became ready: {seen}")


def test_export_watch_download_and_expire(
    browser,
    live_server,
    shared_media,
    transactional_db,
    catalogues,
    district,
    vendor,
    product,
    people,
    celery_worker,  # noqa: F811 - the fixture imported above
):
    SHOTS.mkdir(exist_ok=True)
    template = make_agreement(agency=district, contractor=vendor, products=[product])
    clone(template, AGREEMENTS - 1)
    context, page = signed_in(browser, live_server, people["district_admin"])
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"/district/{district.slug}/export/")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Export the agreements of {district.name}")
        expect(page.get_by_text("No archive yet.")).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=str(SHOTS / "1-district-export-page.png"), full_page=True)

        page.get_by_role("button", name="Build a new archive").click()
        expect(page.locator(".alert-success")).to_contain_text("The archive is being built")
        job = ExportJob.objects.get(agency=district)
        page.evaluate("window.notReloaded = true")  # gone if the page reloads
        page.screenshot(path=str(SHOTS / "2-district-building.png"), full_page=True)
        assert_accessible(page)
        seen = watch(page, job.pk, SHOTS / "2b-district-part-way.png")
        assert page.evaluate("window.notReloaded === true"), "the page reloaded instead of updating itself"
        assert seen[0].startswith(("Waiting for the worker", "Building:")), seen
        assert seen[-1].startswith(f"Ready: {AGREEMENTS} agreements"), seen
        page.screenshot(path=str(SHOTS / "3-district-ready.png"), full_page=True)
        assert_accessible(page)

        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download the archive (ZIP)").click()
        download = download_info.value
        assert download.suggested_filename.startswith(f"{district.slug}-") and download.suggested_filename.endswith(
            ".zip"
        )
        archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
        assert len(json.loads(archive.read("portfolio.json"))["agreements"]) == AGREEMENTS

        # A week later the link answers 410 with a sentence, and the page says the file is gone.
        job.refresh_from_db()
        url = f"/district/{district.slug}/export/download/{job.token}/"
        ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        response = page.goto(url)
        assert response.status == 410
        expect(page.get_by_role("heading", level=1)).to_have_text("This archive's link has expired")
        assert_accessible(page)
        page.screenshot(path=str(SHOTS / "4-link-expired-410.png"), full_page=True)
    finally:
        context.close()

    context, page = signed_in(browser, live_server, people["vendor_admin"])
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"/vendor/{vendor.slug}/export/")
        page.get_by_role("button", name="Build a new archive").click()
        job = ExportJob.objects.get(contractor=vendor)
        watch(page, job.pk)
        expect(page.get_by_role("link", name="Download the archive (ZIP)")).to_be_visible()
        assert_accessible(page)
        page.screenshot(path=str(SHOTS / "5-vendor-ready.png"), full_page=True)
    finally:
        context.close()
