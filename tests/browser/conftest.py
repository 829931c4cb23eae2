"""Headless Chromium (Debian's) driven by Playwright, and axe-core for WCAG 2.1 AA."""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


@pytest.fixture(scope="package")
def browser():
    # One browser for the tests of this package (each test opens contexts of its own), not for the session:
    # sync_playwright keeps an asyncio loop running in this thread until it stops, and libraries with synchronous
    # wrappers over asyncio (pyHanko: agreements/documents/seal.py runs them on a thread of their own when a loop
    # runs) refuse to run inside a running loop; the tests outside this package run after it has stopped.
    # ORM calls from a test inside sync_playwright() need DJANGO_ALLOW_ASYNC_UNSAFE (set by make test).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _report_csp_violations(browser)
        yield browser
        browser.close()


# What Chromium reports of the Content-Security-Policy (dpa_portal/settings.py) in any page of any context of the
# browser: "Refused to execute inline script because it violates the following Content Security Policy directive..."
CSP_VIOLATIONS: list[str] = []


def _report_csp_violations(browser):
    new_context = browser.new_context

    def new_context_reporting(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.on("console", _note_csp_violation)
        return context

    browser.new_context = new_context_reporting


def _note_csp_violation(message):
    if "Content Security Policy" in message.text:
        CSP_VIOLATIONS.append(f"{message.page.url if message.page else '?'}: {message.text}")


@pytest.fixture(autouse=True)
def no_csp_violation():
    """Every page the browser tests walk keeps working under the Content-Security-Policy: none refused anything."""
    CSP_VIOLATIONS.clear()
    yield
    assert not CSP_VIOLATIONS, "\n".join(CSP_VIOLATIONS)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


_axe = Axe()


def assert_accessible(page):
    """axe-core finds no WCAG 2.1 A/AA (or best-practice) violation on the page as it is now."""
    results = _axe.run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
    assert not CSP_VIOLATIONS, "\n".join(CSP_VIOLATIONS)
