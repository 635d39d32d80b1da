"""End to end in a real headless Chromium: `archive serve` on a free port,
driven with Playwright's sync API.

The server is the real command (a subprocess, two waitress processes) over
the web test corpus.  Every test fails if a JavaScript dialog opens (the
hostile documents must stay text) or the browser reports a Content Security
Policy violation.  The layout is measured at phone and desktop widths
(nothing wider than the screen, results in the first screen, the facet
panel folding, counts beside their labels).  Screenshots go to the test's
tmp_path; the README's come from scripts/screenshots.py.

Debian's chromium is required (/usr/bin/chromium; `.ci/run` installs it):
without it the tests skip, or fail when CI=true.
"""

import os
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
SCREENSHOTS = {"screenshot-phone.png": (390, 844), "screenshot-results.png": (1366, 900),
               "screenshot-actor.png": (1366, 900), "screenshot-country-phone.png": (390, 844)}
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
def open_page(browser, server):
    """open_page(width, height, js=True): a fresh page at the server in a
    viewport of that size; fails the test on any dialog or CSP report."""
    contexts = []
    problems = []

    def on_dialog(dialog):
        problems.append(f"a {dialog.type} dialog opened: {dialog.message!r}")
        dialog.dismiss()

    def make(width=1200, height=900, js=True):
        context = browser.new_context(base_url=server, viewport={"width": width, "height": height},
                                      locale="ar", java_script_enabled=js)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("dialog", on_dialog)
        page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems == []


@pytest.fixture
def page(open_page):
    return open_page()


def total(page):
    return int(page.locator(".summary .count").get_attribute("data-total"))


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
    # Python-side predicates: the page's CSP forbids the eval that
    # wait_for_function's string expressions need.
    page.wait_for_url(lambda url: "country=" not in url)
    assert total(page) == OIL_TOTAL
    assert page.locator("ul.chips").count() == 0


def test_results_screenshot(page, tmp_path):
    # Two countries ticked: chips, facets, timeline and highlights in one
    # view.  (The README's screenshots come from a real corpus instead:
    # scripts/screenshots.py.)
    page.goto(f"/?q={OIL}&country=IQ&country=IR")
    assert total(page) == 3 and page.locator("ul.chips li.chip").count() == 2
    shot = tmp_path / "results-two-countries.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size < 300_000


def test_timeline_bar_narrows_the_date_range(page):
    page.goto(f"/?q={OIL}")
    page.locator("figure.timeline a.bar[data-month='2015-07']").click()
    page.wait_for_url("**from=2015-07-01**")
    assert "to=2015-07-31" in page.url
    assert total(page) == 9
    assert page.locator("form.dates input[name=from]").input_value() == "2015-07-01"
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


def test_open_a_document_click_its_country_and_land_on_its_articles(page, tmp_path):
    page.goto("/?q=الاستخبارات")
    first_hit(page).locator("h3 a").click()
    page.wait_for_url("**/documents/**")
    page.locator(".entity-countries li", has=page.locator("a[data-code=IQ]")).locator("a.entity-page").click()
    page.wait_for_url("**/country/IQ")
    assert page.locator(".entity-head h1").inner_text().startswith("العراق")
    shown = int(page.locator(".entity-total").get_attribute("data-total"))
    assert shown >= 1 and page.locator(".latest ol.hits li.hit").count() == min(shown, 10)
    page.screenshot(path=str(tmp_path / "country.png"), full_page=True)
    # Its articles, as a results page.
    page.locator(".entity-total a.all").click()
    page.wait_for_url("**country=IQ**")
    assert total(page) == shown and first_hit(page).is_visible()


def test_open_an_actor_page_and_follow_a_companion(page, tmp_path):
    page.goto("/?q=الاستخبارات")
    first_hit(page).locator("h3 a").click()
    page.wait_for_url("**/documents/**")
    page.locator(".entity-actors li", has_text="تحسين الخفاجي").locator("a.entity-page").click()
    page.wait_for_url("**/actor/**")
    assert page.locator(".entity-head h1 .label").inner_text() == "تحسين الخفاجي"
    page.screenshot(path=str(tmp_path / "actor.png"), full_page=True)
    row = page.locator(".companions-actor tbody tr").first
    companion = row.locator("a.companion").get_attribute("data-value")
    count = int(row.locator("td.count").inner_text().replace(",", ""))
    row.locator("a.companion").click()
    page.wait_for_url("**with_actor=**")
    assert total(page) == count >= 1
    chips = page.locator("ul.chips li.chip-with_actor .chip-label").all_inner_texts()
    assert chips == ["تحسين الخفاجي", companion]
    # The pairs under these results name the two together, as many times.
    pair = page.locator(f"section.pairs a[data-a='تحسين الخفاجي'][data-b='{companion}'], "
                        f"section.pairs a[data-a='{companion}'][data-b='تحسين الخفاجي']")
    assert pair.count() == 1
    assert pair.locator("xpath=ancestor::tr").locator("td.count").inner_text() == str(count)


def test_from_the_main_page_to_the_most_named_actor(page):
    page.goto("/")
    page.locator("footer a.all-entities").click()
    page.wait_for_url("**/entities")
    row = page.locator("table.top-actor tbody tr").first
    name = row.locator("a.entity-name .label").inner_text()
    count = int(row.locator("td.count").inner_text().replace(",", ""))
    row.locator("a.entity-name").click()
    page.wait_for_url("**/actor/**")
    assert page.locator(".entity-head h1 .label").inner_text() == name
    assert int(page.locator(".entity-total").get_attribute("data-total")) == count >= 1


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


# --- the layout at phone and desktop widths ------------------------------------

WIDTHS = [(320, 568), (390, 844), (430, 932), (1366, 900)]
PHONE = (390, 844)
WIDE = (1366, 900)
LONG_WORD = "ا" * 40 + "x" * 160  # no break opportunity in 200 characters


def layout_pages(page):
    """(name, path) of every kind of page whose width is measured."""
    doc_id = page.request.get("/api/search?q=الاستخبارات").json()["hits"][0]["id"]
    return [
        ("home", "/"),
        ("results", f"/?q={OIL}&country=IQ&country=IR&source=sabq"),
        ("results-many", f"/?q={OIL}&per_page=31"),
        ("document", f"/documents/{doc_id}?q=الاستخبارات"),
        ("actor", "/actor/تحسين الخفاجي"),
        ("country", "/country/IQ"),
        ("entities", "/entities"),
        ("no-results", f"/?q={LONG_WORD}"),
        ("bad-date", f"/?q={OIL}&from=21/07/2015"),
        ("error", "/export.csv?q="),
    ]


def scroll_width(page):
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


@pytest.mark.parametrize("width,height", WIDTHS, ids=[f"{w}px" for w, _ in WIDTHS])
def test_no_page_is_wider_than_the_screen(open_page, width, height):
    page = open_page(width, height)
    wider = []
    for name, path in layout_pages(page):
        page.goto(path)
        scroll, inner = scroll_width(page)
        if scroll > inner:
            wider.append((name, scroll, inner))
        if width < 800 and page.locator("details.facet-panel").count():
            # Opened, the facets must fit too.
            page.locator("details.facet-panel > summary").click()
            scroll, inner = scroll_width(page)
            if scroll > inner:
                wider.append((name + " (facets open)", scroll, inner))
    assert wider == []


def test_the_search_box_and_its_button_fit_a_phone(open_page):
    page = open_page(320, 568)
    page.goto(f"/?q={OIL}")
    box = page.locator("form.searchbox").bounding_box()
    button = page.locator("form.searchbox button").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    assert button["x"] >= 0 and button["x"] + button["width"] <= 320


def test_the_first_result_is_in_the_first_screen_of_a_phone(open_page):
    page = open_page(*PHONE)
    page.goto(f"/?q={OIL}&country=IQ&country=IR")
    top = first_hit(page).bounding_box()["y"]
    assert 0 < top < PHONE[1] - 100  # its title and a line of text show
    # ...and on the document page the text comes before the entity lists.
    first_hit(page).locator("h3 a").click()
    page.wait_for_url("**/documents/**")
    body = page.locator(".document .body").bounding_box()
    entities = page.locator("aside.entities").bounding_box()
    assert body["y"] < PHONE[1] and entities["y"] >= body["y"] + body["height"]


def test_wide_document_sets_entities_beside_the_text(open_page):
    page = open_page(*WIDE)
    page.goto("/?q=الاستخبارات")
    first_hit(page).locator("h3 a").click()
    body = page.locator(".document .body").bounding_box()
    entities = page.locator("aside.entities").bounding_box()
    assert abs(entities["y"] - body["y"]) < 2
    assert entities["x"] + entities["width"] < body["x"]  # to its left: RTL, text first


@pytest.mark.parametrize("js", [True, False], ids=["script", "no-script"])
def test_the_facet_panel_folds_on_a_phone(open_page, js):
    page = open_page(*PHONE, js=js)
    page.goto(f"/?q={OIL}")
    panel = page.locator("details.facet-panel")
    toggle = panel.locator("> summary")
    iraq = page.locator(".facet-country a[data-value=IQ]")
    assert toggle.is_visible() and not iraq.is_visible()
    # The closed panel is one line between the count and the hits.
    assert toggle.bounding_box()["y"] < first_hit(page).bounding_box()["y"]
    toggle.click()
    assert iraq.is_visible() and page.locator("form.dates").is_visible()
    toggle.click()
    assert not iraq.is_visible()
    # Open, it still leads to a filtered page, which starts with the panel closed.
    toggle.click()
    iraq.click()
    page.wait_for_url("**country=IQ**")
    assert total(page) == 2
    assert not page.locator(".facet-country a[data-value=IQ]").is_visible()
    assert page.locator("details.facet-panel > summary .badge").inner_text() == "1"


@pytest.mark.parametrize("js", [True, False], ids=["script", "no-script"])
def test_the_facet_panel_is_a_sidebar_on_a_wide_screen(open_page, js):
    page = open_page(*WIDE, js=js)
    page.goto(f"/?q={OIL}")
    assert not page.locator("details.facet-panel > summary").is_visible()
    facets = page.locator("aside.facets").bounding_box()
    hits = page.locator("ol.hits").bounding_box()
    assert page.locator(".facet-country a[data-value=IQ]").is_visible()
    assert facets["x"] > hits["x"] + hits["width"]  # on the right, beside the results
    assert abs(facets["y"] - page.locator(".summary").bounding_box()["y"]) < 20


def test_narrowing_the_window_folds_the_panel(open_page):
    page = open_page(*WIDE)
    page.goto(f"/?q={OIL}")
    assert page.locator("details.facet-panel").evaluate("d => d.open")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.locator("details.facet-panel:not([open])").wait_for(state="attached")
    assert not page.locator(".facet-country a[data-value=IQ]").is_visible()


# Every shown facet row as the browser lays it out: the last line box of
# its link, its count, and the bottoms of the row and of its list.
ROWS = """() => [...document.querySelectorAll(".facet li")].filter(li => li.offsetParent).map(li => {
  const rects = li.querySelector("a").getClientRects();
  const line = rects[rects.length - 1], count = li.querySelector(".count").getBoundingClientRect();
  return {text: li.innerText, line: [line.left, line.top, line.bottom],
          count: [count.left, count.right, count.top, count.bottom],
          row: li.getBoundingClientRect().bottom, list: li.closest("ul").getBoundingClientRect().bottom};
})"""


def unfolded_facets(open_page, size):
    """A results page at ``size`` with its facet panel and every "more" open."""
    page = open_page(*size)
    page.goto("/?q=الاستخبارات")
    if size == PHONE:
        page.locator("details.facet-panel > summary").click()
    for fold in page.locator("details.more > summary").all():
        fold.click()
    return page


@pytest.mark.parametrize("size", [PHONE, WIDE], ids=["phone", "wide"])
def test_counts_sit_next_to_their_labels(open_page, size):
    rows = unfolded_facets(open_page, size).evaluate(ROWS)
    assert len(rows) > 10
    for row in rows:
        line_left, line_top, line_bottom = row["line"]
        left, right, top, bottom = row["count"]
        # Right to left: the count follows the label's last line, a space
        # away, on that same line.
        assert 0 <= line_left - right <= 16, row
        assert top < line_bottom and bottom > line_top, row


@pytest.mark.parametrize("size", [PHONE, WIDE], ids=["phone", "wide"])
def test_no_facet_list_cuts_its_last_row(open_page, size):
    page = unfolded_facets(open_page, size)
    lists = page.evaluate("""() => [...document.querySelectorAll('.facet ul')].filter(u => u.offsetParent)
        .map(u => [u.scrollHeight, u.clientHeight])""")
    assert lists and all(scroll <= client for scroll, client in lists), lists
    assert all(row["row"] <= row["list"] + 0.5 for row in page.evaluate(ROWS))


def test_date_fields_take_iso_dates_typed_on_a_phone(open_page):
    page = open_page(*PHONE)
    page.goto(f"/?q={OIL}")
    page.locator("details.facet-panel > summary").click()
    start = page.locator("form.dates input[name=from]")
    assert (start.get_attribute("placeholder"), start.evaluate("e => getComputedStyle(e).direction")) == (
        "YYYY-MM-DD", "ltr")
    assert page.locator("label[for=date-from]").inner_text() == "من تاريخ"
    # A number pad without "-": the digits are set out as a date.
    start.press_sequentially("20150701")
    assert start.input_value() == "2015-07-01"
    end = page.locator("form.dates input[name=to]")
    end.fill("07/31/2015")  # the US order the browser's date box used
    assert not end.evaluate("e => e.checkValidity()")
    end.fill("2015-07-31")
    page.locator("form.dates button").click()
    page.wait_for_url("**from=2015-07-01**")
    assert "to=2015-07-31" in page.url and total(page) == 9
    assert page.locator("ul.chips li.chip-date").count() == 1


def test_a_bad_date_from_the_url_is_explained_in_arabic(page):
    page.goto(f"/?q={OIL}&from=2015-13-01")
    notice = page.locator(".notice-error")
    assert "«2015-13-01» ليس تاريخًا بالصيغة YYYY-MM-DD" in notice.locator(".explanation").inner_text()
    # The English detail is there, but smaller than the Arabic.
    sizes = [notice.locator(s).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
             for s in (".explanation", ".detail")]
    assert sizes[1] < sizes[0]


def test_readme_screenshots_are_the_documented_sizes():
    # Made by scripts/screenshots.py from SaudiNewsNet articles; a PNG's
    # IHDR chunk holds its width and height at bytes 16-24.
    for name, (width, height) in SCREENSHOTS.items():
        data = (ROOT / "docs" / name).read_bytes()[:24]
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (width, height), name
        assert f"](docs/{name})" in (ROOT / "README.md").read_text(encoding="utf-8"), name
