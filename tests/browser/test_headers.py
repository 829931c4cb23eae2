"""The headers as Chromium obeys them: the check on Content-Security-Policy violations (conftest.py) sees one when
there is one, another site may frame the embeddable list and no other page, and the 429 page passes axe."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .conftest import CSP_VIOLATIONS, assert_accessible


def test_an_inline_script_or_style_is_refused_and_reported(page, transactional_db):
    page.goto("/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true;";
            document.body.append(script);
            document.body.setAttribute("style", "background: red");
        }"""
    )
    page.wait_for_timeout(200)  # the console messages arrive after the call
    assert page.evaluate("() => window.injected") is None
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    found = "\n".join(CSP_VIOLATIONS)
    assert "inline script" in found and "inline style" in found, found
    CSP_VIOLATIONS.clear()  # seen: the check of conftest.py would fail this test otherwise


@pytest.fixture
def district_website():
    """Another site, on the loopback: a page that frames the URLs it is given (`district_website(*urls) -> url`)."""
    frames: list[str] = []

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            body = "".join(f'<iframe src="{url}" title="{url}"></iframe>' for url in frames)
            data = f"<!doctype html><html lang=en><title>A district's website</title>{body}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def site(*urls):
        frames[:] = urls
        return f"http://127.0.0.1:{server.server_port}/"

    yield site
    server.shutdown()
    server.server_close()


def test_another_site_may_frame_the_embeddable_list_and_nothing_else(
    page, live_server, district, transactional_db, district_website
):
    embed = f"{live_server.url}/public/{district.slug}/embed/"
    other = f"{live_server.url}/public/{district.slug}/"
    page.goto(district_website(embed, other))
    listed = page.frame_locator("iframe").first.locator("h1")
    expect(listed).to_contain_text("Data privacy agreements of")
    expect(listed).to_have_css("font-size", "18.4px")  # its stylesheet (static/css/embed.css) loaded: 1.15rem
    # The district's page is refused: Chromium shows its own error page in the frame instead.
    expect(page.frame_locator("iframe").last.locator("body")).not_to_contain_text(district.name)
    page.wait_for_timeout(200)
    refused = [message for message in CSP_VIOLATIONS if "frame-ancestors 'none'" in message]
    assert len(refused) == 1 and f"Framing '{live_server.url}/'" in refused[0], CSP_VIOLATIONS
    CSP_VIOLATIONS.clear()


@pytest.fixture
def search_limit(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "search": "1/h"}


def test_the_429_page_says_when_to_try_again_and_passes_axe(page, search_limit, catalogues):
    url = reverse("public_search") + "?q=reading"
    assert page.goto(url).status == 200
    refused = page.goto(url)
    assert refused.status == 429 and int(refused.headers["retry-after"]) > 0
    expect(page.locator("h1")).to_have_text("Too many attempts")
    expect(page.locator("main")).to_contain_text("Try again in")
    assert_accessible(page)
