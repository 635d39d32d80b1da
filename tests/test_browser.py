"""End to end in a real headless Chromium: `archive serve` on a free port,
driven with Playwright's sync API.

The server is the real command (a subprocess, two waitress processes) over
the web test corpus.  Every test fails if a JavaScript dialog opens (the
hostile documents must stay text) or the browser reports a Content Security
Policy violation.  Screenshots go to the test's tmp_path; the results page
is copied to docs/screenshot-results.png for the README when that file is
missing or ARCHIVE_UPDATE_SCREENSHOTS=1.

Debian's chromium is required (/usr/bin/chromium; `.ci/run` installs it):
without it the tests skip, or fail when CI=true.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.web_fixtures import OIL_TOTAL, XSS_BODY, XSS_SOURCE, XSS_TITLE, web_index  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
README_SCREENSHOT = ROOT / "docs" / "screenshot-results.png"
OIL = "النفط"
TIMEOUT_MS = 10_000


def _need(condition, reason):
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(web_index):
    """`archive serve` on the web corpus; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "ARCHIVE_WEB_WORKERS": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "indexer.cli", "--index-dir", str(web_index), "serve",
         "--host", "127.0.0.1", "--port", str(port), "--threads", "4"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"archive serve did not start:\n{proc.stdout.read()}")
        time.sleep(0.2)
    yield base
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("archive serve did not stop on SIGTERM")


@pytest.fixture(scope="module")
def browser():
    _need(CHROMIUM.exists(), f"needs Debian's chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "needs the playwright Python package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    """A fresh page at the server; fails the test on any dialog or CSP report."""
    context = browser.new_context(base_url=server, viewport={"width": 1200, "height": 900},
                                  locale="ar")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems = []

    def on_dialog(dialog):
        problems.append(f"a {dialog.type} dialog opened: {dialog.message!r}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    yield page
    context.close()
    assert problems == []


def total(page):
    return int(page.locator(".summary .count strong").inner_text().replace(",", ""))


def first_hit(page):
    return page.locator("ol.hits > li.hit").first


def test_query_with_diacritics_shows_the_seed_article_first(page, tmp_path):
    seed_title = page.request.get("/api/search?q=الاستخبارات").json()["hits"][0]["title"]
    page.goto("/")
    page.locator("#q").fill("الاستخباراتُ")
    page.locator("#q").press("Enter")
    page.wait_for_selector("ol.hits")
    assert page.locator("#q").input_value() == "الاستخباراتُ"
    assert first_hit(page).locator("h3").inner_text() == seed_title
    marks = first_hit(page).locator(".snippet mark").all_inner_texts()
    assert "الاستخبارات" in marks
    assert page.locator("html").get_attribute("dir") == "rtl"
    # The highlight is visibly styled, not just present in the markup.
    background = first_hit(page).locator(".snippet mark").first.evaluate(
        "m => getComputedStyle(m).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    page.screenshot(path=str(tmp_path / "results-seed.png"))


def test_country_facet_narrows_and_its_chip_undoes_it(page, tmp_path):
    page.goto(f"/?q={OIL}")
    assert total(page) == OIL_TOTAL
    source_counts = page.locator(".facet-source .count").all_inner_texts()
    page.screenshot(path=str(tmp_path / "results.png"))

    iraq = page.locator(".facet-country a[data-value=IQ]")
    assert "العراق" in iraq.inner_text() and "Iraq" in iraq.inner_text()
    iraq.click()
    page.wait_for_url("**country=IQ**")
    assert total(page) == 2
    assert page.locator(".facet-source .count").all_inner_texts() != source_counts
    assert page.locator(".facet-country li.selected .label").inner_text() == "العراق"
    chip = page.locator("ul.chips li.chip")
    assert chip.count() == 1 and "العراق" in chip.inner_text()
    page.screenshot(path=str(tmp_path / "results-iraq.png"))

    chip.locator("a.chip-remove").click()
    page.wait_for_function("!location.search.includes('country=')")
    assert total(page) == OIL_TOTAL
    assert page.locator("ul.chips").count() == 0


def test_readme_screenshot(page, tmp_path):
    # Two countries ticked: chips, facets, timeline and highlights in one view.
    page.goto(f"/?q={OIL}&country=IQ&country=IR")
    assert total(page) == 3 and page.locator("ul.chips li.chip").count() == 2
    shot = tmp_path / "results-two-countries.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size < 300_000
    if not README_SCREENSHOT.exists() or os.environ.get("ARCHIVE_UPDATE_SCREENSHOTS") == "1":
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, README_SCREENSHOT)


def test_timeline_bar_narrows_the_date_range(page):
    page.goto(f"/?q={OIL}")
    page.locator("figure.timeline a.bar[data-month='2015-07']").click()
    page.wait_for_url("**from=2015-07-01**")
    assert "to=2015-07-31" in page.url
    assert total(page) == 9
    assert page.locator("input[type=date][name=from]").input_value() == "2015-07-01"
    assert page.locator("ul.chips li.chip-date").count() == 1


def test_open_a_document_and_follow_an_actor(page, tmp_path):
    page.goto("/?q=الاستخباراتُ")
    first_hit(page).locator("h3 a").click()
    page.wait_for_url("**/documents/**")
    assert "الاستخبارات" in page.locator(".body mark").all_inner_texts()
    assert page.locator(".entity-countries a[data-code=IQ]").inner_text().startswith("العراق")
    page.screenshot(path=str(tmp_path / "document.png"), full_page=True)

    page.locator(".entity-actors a", has_text="تحسين الخفاجي").click()
    page.wait_for_url("**actor=**")
    assert total(page) >= 1
    assert "تحسين الخفاجي" in page.locator("ul.chips li.chip-actor").inner_text()


def test_hostile_documents_render_as_text(page):
    page.goto(f"/?q={OIL}&source={XSS_SOURCE}")
    titles = set(page.locator("ol.hits h3").all_inner_texts())
    assert titles == {XSS_TITLE, XSS_BODY}
    assert page.locator("section.results img").count() == 0
    page.locator("ol.hits h3 a", has_text="<img").click()
    page.wait_for_url("**/documents/xss-body**")
    assert page.locator("h1").inner_text() == XSS_BODY
    assert XSS_TITLE in page.locator(".body").inner_text()
    assert page.locator("article img").count() == 0
    # The query box reflects a hostile query as text, too.
    page.goto("/")
    page.locator("#q").fill(XSS_TITLE)
    page.locator("#q").press("Enter")
    page.wait_for_url("**q=**")
    assert page.locator("#q").input_value() == XSS_TITLE
    # (the page fixture fails the test if any dialog opened)
