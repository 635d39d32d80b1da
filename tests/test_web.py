"""The web app through Flask's test client, on a real index with entity facets.

Pages are checked as parsed HTML (BeautifulSoup), as Datasette's
test_html.py does: direction and language, highlights, facet counts,
chips, pagination and timeline links, escaping of hostile documents, the
security headers; the JSON API is checked against the CLI's JSON.
"""

import csv
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from search_web import CONTENT_SECURITY_POLICY, create_app
from search_web.service import get_service, shutdown
from search_web.views import PARAM_PROBLEM
from tests.web_fixtures import OIL_TOTAL, XSS_BODY, XSS_SOURCE, XSS_TITLE, web_index  # noqa: F401

OIL = "النفط"


@pytest.fixture(scope="module")
def app(web_index):
    app = create_app({"INDEX_DIR": str(web_index), "TESTING": True})
    yield app
    shutdown(app)


@pytest.fixture
def client(app):
    return app.test_client()


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def params(href):
    return parse_qs(urlsplit(href).query)


def hits(soup):
    return [
        {"title": li.h3.get_text(strip=True), "href": li.h3.a["href"], "li": li}
        for li in soup.select("ol.hits > li.hit")
    ]


def facet(soup, name):
    """{value: {"label", "en", "count", "selected", "href"}} of one facet."""
    out = {}
    for li in soup.select(f"section.facet-{name} li"):
        a = li.a
        en = a.select_one(".en")
        count = li.select_one(".count").get_text(strip=True)
        out[a["data-value"]] = {
            "label": a.select_one(".label").get_text(strip=True),
            "en": en.get_text(strip=True) if en else "",
            "count": int(count.replace(",", "")) if count else None,
            "selected": "selected" in (li.get("class") or []),
            "href": a["href"],
        }
    return out


def chips(soup):
    return [
        {"param": [c for c in li["class"] if c.startswith("chip-")][0][5:],
         "label": li.select_one(".chip-label").get_text(strip=True),
         "href": li.select_one("a.chip-remove")["href"]}
        for li in soup.select("ul.chips li.chip")
    ]


def total(soup):
    return int(soup.select_one(".summary .count strong").get_text().replace(",", ""))


def seed_id(client):
    return client.get("/api/search?q=الاستخبارات").get_json()["hits"][0]["id"]


# --- the page itself ---------------------------------------------------------

def test_home_page_is_arabic_right_to_left(client):
    soup = page(client, "/")
    html = soup.find("html")
    assert (html["lang"], html["dir"]) == ("ar", "rtl")
    assert soup.select_one("form.searchbox input[name=q]")["value"] == ""
    assert re.search(r"ابحث في \d+ مقالة", soup.select_one(".notice h2").get_text())
    assert soup.select("ul.tips li")


def test_security_headers_and_no_inline_script_or_style(client):
    response = client.get(f"/?q={OIL}")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    scripts = soup.find_all("script")
    assert scripts and all(s.get("src", "").startswith("/static/") and not s.string for s in scripts)
    assert soup.find_all("style") == []
    for tag in soup.find_all(True):
        assert "style" not in tag.attrs, tag
        assert not [a for a in tag.attrs if a.lower().startswith("on")], tag
    # Stylesheet and script are served locally; no other host is named.
    assert all(link["href"].startswith("/static/") for link in soup.find_all("link", rel="stylesheet"))
    assert not re.search(r"(src|href)=\"(https?:)?//", response.get_data(as_text=True))


def test_static_files_are_served(client):
    assert client.get("/static/archive.css").status_code == 200
    assert client.get("/static/archive.js").status_code == 200


def test_query_with_diacritics_finds_the_seed_article_highlighted(client):
    soup = page(client, "/?q=الاستخباراتُ")
    assert soup.select_one("input[name=q]")["value"] == "الاستخباراتُ"
    assert total(soup) == 1
    took = soup.select_one(".summary .took").get_text()
    assert re.search(r"\d+ ملّي ثانية", took)
    (hit,) = hits(soup)
    marks = [m.get_text() for m in hit["li"].select(".snippet mark")]
    assert "الاستخبارات" in marks
    assert hit["href"].startswith("/documents/")
    assert params(hit["href"])["q"] == ["الاستخباراتُ"]


def test_conflation_end_to_end(client):
    # Hamza, no article, attached clitics: all find the seed's الاستخبارات.
    for query in ("الإستخبارات", "استخبارات", "وبالاستخبارات"):
        assert total(page(client, f"/?q={query}")) == 1, query


def test_hits_show_date_and_source(client):
    soup = page(client, "/?q=موسكو")
    (hit,) = [h for h in hits(soup) if "وزير" in h["title"]]
    meta = hit["li"].select_one(".meta")
    assert meta.time["datetime"].startswith("2015-07-05")
    assert meta.select_one(".source").get_text() == "alriyadh"


def test_country_facet_with_arabic_and_english_labels(client):
    soup = page(client, f"/?q={OIL}")
    countries = facet(soup, "country")
    assert countries["IQ"]["label"] == "العراق" and countries["IQ"]["en"] == "Iraq"
    assert countries["IR"]["en"] == "Iran"
    api = client.get(f"/api/search?q={OIL}").get_json()["facets"]["country"]
    assert {v: c["count"] for v, c in countries.items()} == {e["value"]: e["count"] for e in api}
    assert not any(c["selected"] for c in countries.values())
    assert params(countries["IQ"]["href"])["country"] == ["IQ"]


def test_source_and_year_facets_count(client):
    soup = page(client, f"/?q={OIL}")
    sources = facet(soup, "source")
    assert sources["aleqtisadiya"]["count"] == 24
    assert sum(s["count"] for s in sources.values()) == OIL_TOTAL
    years = facet(page(client, f"/?q={OIL} OR مباراة"), "year")
    assert {y: v["count"] for y, v in years.items()} == {"2015": OIL_TOTAL, "2016": 1}


def test_actor_facet_lists_actors(client):
    actors = facet(page(client, "/?q=الاستخبارات"), "actor")
    assert "تحسين الخفاجي" in actors
    assert all(a["count"] == 1 for a in actors.values())


def test_selecting_a_country_narrows_and_shows_a_removable_chip(client):
    before = page(client, f"/?q={OIL}")
    soup = page(client, facet(before, "country")["IQ"]["href"])
    assert total(soup) == 2
    assert {h["href"].split("?")[0].rsplit("/", 1)[1] for h in hits(soup)} == {"iq-oil", "iq-ir-oil"}
    (chip,) = chips(soup)
    assert chip["param"] == "country" and chip["label"] == "العراق"
    assert "country" not in params(chip["href"])
    assert total(page(client, chip["href"])) == OIL_TOTAL
    # Other facets are counted over the narrowed results...
    assert facet(soup, "source") == {**facet(soup, "source")} and sum(
        s["count"] for s in facet(soup, "source").values()) == 2
    # ...the country facet over everything but its own filter, so ticking a
    # second country says how many it would add.
    countries = facet(soup, "country")
    assert countries["IQ"]["selected"] and not countries["IR"]["selected"]
    assert countries["IR"]["count"] == 2
    assert params(countries["IQ"]["href"]).get("country") is None  # unticks


def test_several_values_of_one_facet_are_alternatives(client):
    soup = page(client, f"/?q={OIL}&country=IQ&country=IR")
    assert total(soup) == 3
    assert [c["label"] for c in chips(soup)] == ["العراق", "إيران"]
    assert params(chips(soup)[0]["href"])["country"] == ["IR"]


def test_country_names_resolve_to_codes(client):
    soup = page(client, f"/?q={OIL}&country=Iraq")
    assert total(soup) == 2
    assert params(chips(soup)[0]["href"]).get("country") is None
    assert params(facet(soup, "source")["sabq"]["href"])["country"] == ["IQ"]


def test_filters_of_different_facets_must_all_hold(client):
    assert total(page(client, f"/?q={OIL}&country=IQ&source=sabq")) == 1
    soup = page(client, f"/?q={OIL}&country=SA&source=sabq")
    assert hits(soup) == []
    assert "ضمن عوامل التصفية" in soup.select_one(".empty-state h2").get_text()


def test_date_range_and_its_chip(client):
    soup = page(client, f"/?q={OIL}&from=2015-09-01&to=2015-09-30")
    assert total(soup) == 6
    assert soup.select_one("input[name=from]")["value"] == "2015-09-01"
    (chip,) = chips(soup)
    assert chip["param"] == "date"
    assert "from" not in params(chip["href"]) and "to" not in params(chip["href"])


def test_new_query_keeps_the_filters(client):
    soup = page(client, f"/?q={OIL}&country=IQ&sort=date")
    hidden = {(i["name"], i["value"]) for i in soup.select("form.searchbox input[type=hidden]")}
    assert hidden == {("country", "IQ"), ("sort", "date")}


def test_timeline_bars_link_to_their_month(client):
    soup = page(client, f"/?q={OIL}")
    bars = {a["data-month"]: a for a in soup.select("figure.timeline svg a.bar")}
    assert list(bars) == ["2015-07", "2015-08", "2015-09", "2015-10", "2015-11"]
    july = params(bars["2015-07"]["href"])
    assert (july["from"], july["to"], july["q"]) == (["2015-07-01"], ["2015-07-31"], [OIL])
    assert bars["2015-07"].title.get_text() == "يوليو 2015: 9"
    heights = {m: float(a.select_one("rect.fill")["height"]) for m, a in bars.items()}
    assert heights["2015-07"] == max(heights.values())
    assert total(page(client, bars["2015-07"]["href"])) == 9


def test_timeline_fills_months_without_matches(client):
    soup = page(client, f"/?q={OIL} OR مباراة")
    bars = {a["data-month"]: a for a in soup.select("figure.timeline svg a.bar")}
    assert "2015-12" in bars and float(bars["2015-12"].select_one("rect.fill")["height"]) == 0
    assert "bar-empty" in bars["2015-12"]["class"]


def test_pagination_links(client):
    soup = page(client, f"/?q={OIL}")
    first = [h["href"] for h in hits(soup)]
    assert len(first) == 10
    nav = soup.select_one("nav.pages")
    assert nav.select_one("[aria-current=page]").get_text() == "1"
    numbers = [a.get_text() for a in nav.find_all("a") if a.get_text().isdigit()]
    assert numbers == ["2", "3", "4"]
    next_href = nav.find("a", rel="next")["href"]
    assert params(next_href)["page"] == ["2"]
    second = page(client, next_href)
    assert not set(first) & {h["href"] for h in hits(second)}
    assert second.select_one("ol.hits")["start"] == "11"
    assert params(second.select_one("nav.pages a[rel=prev]")["href"]).get("page") is None
    last = page(client, f"/?q={OIL}&page=4")
    assert len(hits(last)) == 1 and last.select_one("nav.pages a[rel=next]") is None


def test_page_past_the_end_shows_the_last_page_and_says_so(client):
    soup = page(client, f"/?q={OIL}&page=9")
    last = page(client, f"/?q={OIL}&page=4")
    assert hits(soup) and [h["title"] for h in hits(soup)] == [h["title"] for h in hits(last)]
    assert "الصفحة 9 بعد آخر صفحة" in soup.select_one("ul.notices").get_text()


def test_sort_by_date(client):
    soup = page(client, f"/?q={OIL}&sort=date&per_page=31")
    dates = [h["li"].time["datetime"] for h in hits(soup)]
    assert len(dates) == OIL_TOTAL and dates == sorted(dates, reverse=True)
    current = soup.select_one("nav.sort a[aria-current]")
    assert current.get_text() == "الأحدث"
    assert params(soup.select_one("nav.sort a:not([aria-current])")["href"]).get("sort") is None


def test_changing_a_filter_goes_back_to_page_one(client):
    soup = page(client, f"/?q={OIL}&page=2")
    for href in [f["href"] for f in facet(soup, "source").values()] + [
            a["href"] for a in soup.select("nav.sort a")]:
        assert "page" not in params(href)


def test_empty_state_offers_spellings_from_the_index(client):
    soup = page(client, "/?q=الاستخبرات")
    assert hits(soup) == []
    empty = soup.select_one(".empty-state")
    assert "لا توجد نتائج" in empty.h2.get_text()
    suggestions = empty.select(".suggestions a")
    assert [a.get_text() for a in suggestions] == ["الاستخبارات"]
    assert total(page(client, suggestions[0]["href"])) == 1
    assert empty.select("ul.tips li")


@pytest.mark.parametrize("query,arabic", [
    ("في من", "لا كلمة يُبحث عنها"), ("NOT النفط", "لا كلمة يُبحث عنها"), ("x" * 1001, "أطول"),
])
def test_unreadable_query_is_a_message_not_an_error(client, query, arabic):
    soup = page(client, f"/?q={query}", status=400)
    notice = soup.select_one(".notice-error")
    assert notice.h2.get_text() == "تعذّر فهم هذا البحث"
    assert arabic in notice.select_one(".explanation").get_text()
    assert notice.select_one(".detail").get_text()
    assert soup.select("ul.tips li")


@pytest.mark.parametrize("args", [
    "page=0", "page=abc", "per_page=500", "sort=popular", "from=yesterday",
    "country=Atlantis", "year=15",
])
def test_bad_parameters_are_a_message(client, args):
    soup = page(client, f"/?q={OIL}&{args}", status=400)
    assert soup.select_one(".notice-error .detail").get_text()
    assert soup.select_one(".notice-error .explanation").get_text() == PARAM_PROBLEM
    assert soup.select_one("input[name=q]")["value"] == OIL


def test_filters_without_words_browse_newest_first(client):
    # A document's country link is such a page.
    soup = page(client, "/?country=IQ")
    assert chips(soup)[0]["label"] == "العراق"
    dates = [h["li"].time["datetime"] for h in hits(soup) if h["li"].time]
    assert len(dates) > 1 and dates == sorted(dates, reverse=True)
    assert total(soup) == facet(soup, "country")["IQ"]["count"]


def test_reversed_dates_are_repaired_and_said(client):
    soup = page(client, f"/?q={OIL}&from=2015-09-01&to=2015-07-01")
    assert "قُلب النطاق" in soup.select_one("ul.notices").get_text()
    assert total(soup) == total(page(client, f"/?q={OIL}&from=2015-07-01&to=2015-09-01"))


# --- escaping -----------------------------------------------------------------

def test_hostile_documents_render_as_text_in_results(client):
    soup = page(client, f"/?q={OIL}&source={XSS_SOURCE}")
    titles = {h["title"] for h in hits(soup)}
    assert titles == {XSS_TITLE, XSS_BODY}
    results = soup.select_one("section.results")
    assert results.find("script") is None and results.find("img") is None
    assert XSS_BODY in results.get_text()
    assert facet(soup, "source")[XSS_SOURCE]["label"] == XSS_SOURCE
    assert soup.select_one("section.facet-source b") is None
    assert chips(soup)[0]["label"] == XSS_SOURCE


def test_hostile_query_is_escaped(client):
    for url in (f"/?q={XSS_TITLE}", f"/?q={XSS_BODY}", "/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body
        soup = BeautifulSoup(body, "html.parser")
        assert soup.select_one("input[name=q]")["value"].startswith(('"', "<"))


def test_hostile_document_page(client):
    soup = page(client, f"/documents/xss-body?q={OIL}")
    assert soup.h1.get_text() == XSS_BODY
    body = soup.select_one(".body")
    assert body.find("script") is None and body.find("img") is None
    assert XSS_TITLE in body.get_text() and XSS_BODY in body.get_text()
    assert [m.get_text() for m in body.select("mark")] == [OIL]
    assert soup.title.get_text().startswith(XSS_BODY)


def test_javascript_urls_are_not_linked(client):
    soup = page(client, "/documents/formula")
    assert soup.select_one("a.original") is None


# --- the document page ------------------------------------------------------

def test_document_page(client):
    doc_id = seed_id(client)
    soup = page(client, f"/documents/{doc_id}?q=الاستخباراتُ&country=IQ")
    assert (soup.html["lang"], soup.html["dir"]) == ("ar", "rtl")
    assert "الاستخبارات" in [m.get_text() for m in soup.select(".body mark")]
    assert len(soup.select(".body p")) > 5
    back = soup.select_one("p.back a")["href"]
    assert params(back) == {"q": ["الاستخباراتُ"], "country": ["IQ"]}
    countries = {a["data-code"]: a for a in soup.select(".entity-countries a")}
    assert countries["IQ"].get_text(" ", strip=True) == "العراق Iraq"
    assert params(countries["IQ"]["href"]) == {"q": ["الاستخباراتُ"], "country": ["IQ"]}
    actors = {a.get_text(strip=True): a["href"] for a in soup.select(".entity-actors a")}
    assert params(actors["تحسين الخفاجي"])["actor"] == ["تحسين الخفاجي"]


def test_entity_links_lead_to_filtered_results(client):
    # Coming from a search, the links keep its words: the article itself
    # matches them and has the entity, so there is always a result.
    soup = page(client, f"/documents/{seed_id(client)}?q=بغداد")
    links = soup.select(".entity-countries a, .entity-actors a")
    assert len(links) > 5
    for a in links:
        results = page(client, a["href"])
        assert total(results) >= 1, a["href"]
        assert len(chips(results)) == 1


def test_entity_links_without_a_query(client):
    soup = page(client, f"/documents/{seed_id(client)}")
    # An actor's link searches for the names the article used for it.
    for a in soup.select(".entity-actors a"):
        assert total(page(client, a["href"])) >= 1, a["href"]
    # A country's link is the filter alone.
    us = soup.select_one(".entity-countries a[data-code=US]")
    assert params(us["href"]) == {"country": ["US"]}
    assert chips(page(client, us["href"]))[0]["label"] == "الولايات المتحدة"


def test_document_with_original_link_date_and_source(client):
    soup = page(client, "/documents/sa-oil")
    original = soup.select_one("a.original")
    assert original["href"] == "https://example.com/sa-oil"
    assert "noopener" in original["rel"] and "noreferrer" in original["rel"]
    assert soup.select_one(".meta time")["datetime"].startswith("2015-07-05")
    assert soup.select_one(".meta .source").get_text() == "alriyadh"
    assert soup.select_one("p.back") is None
    assert soup.select(".body mark") == []


def test_unknown_document_is_a_404_page(client):
    soup = page(client, "/documents/no-such-id", status=404)
    assert soup.html["dir"] == "rtl"
    assert soup.select_one(".notice-error h2").get_text() == "الصفحة غير موجودة."


def test_unknown_page_is_a_404_page(client):
    assert page(client, "/nowhere", status=404).select_one(".notice-error")


# --- JSON API ---------------------------------------------------------------

def test_api_search_has_the_shape_of_archive_query_json(client, web_index):
    from indexer.cli import cli

    api = client.get(f"/api/search?q={OIL}&country=IQ&country=IR&sort=date").get_json()
    result = CliRunner().invoke(cli, ["--index-dir", str(web_index), "query", OIL, "--country", "IQ",
                                      "--country", "IR", "--sort", "date", "--json"])
    assert result.exit_code == 0, result.output
    cli_json = json.loads(result.output)
    for out in (api, cli_json):
        out.pop("took_ms")
    assert api == cli_json
    assert api["total"] == 3 and set(api) >= {"query", "total", "page", "per_page", "sort", "hits", "facets",
                                              "timeline"}


def test_api_search_parameters(client):
    api = client.get(f"/api/search?q={OIL}&source=sabq&year=2015&from=2015-08-01&to=2015-08-31"
                     "&page=1&per_page=5").get_json()
    assert [h["id"] for h in api["hits"]] == ["ir-oil"]
    assert api["per_page"] == 5
    paged = client.get(f"/api/search?q={OIL}&page=2&per_page=20").get_json()
    assert len(paged["hits"]) == OIL_TOTAL - 20 and paged["page"] == 2


def test_api_is_utf8_json(client):
    response = client.get(f"/api/search?q={OIL}")
    assert response.mimetype == "application/json"
    assert OIL in response.get_data(as_text=True)  # not \\u escapes


@pytest.mark.parametrize("args,needle", [
    ("q=", "empty"),
    ("", "empty"),
    ("q=في من", "no word"),
    (f"q={OIL}&page=0", "page"),
    (f"q={OIL}&page=x", "page"),
    (f"q={OIL}&per_page=101", "per_page"),
    (f"q={OIL}&sort=best", "sort"),
    (f"q={OIL}&from=2015-13-01", "from"),
    (f"q={OIL}&to=tomorrow", "to"),
    (f"q={OIL}&country=Narnia", "country"),
    (f"q={OIL}&year=MMXV", "year"),
])
def test_api_errors_are_json_400(client, args, needle):
    response = client.get(f"/api/search?{args}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400 and needle in error["message"]


def test_api_document(client):
    doc = client.get(f"/api/documents/iq-oil?q={OIL}").get_json()
    assert doc["id"] == "iq-oil" and doc["title"] == "العراق يرفع إنتاج النفط"
    assert "<mark>النفط</mark>" in doc["body_html"]
    assert [c["code"] for c in doc["entities"]["countries"]] == ["IQ"]


def test_api_unknown_document_is_json_404(client):
    response = client.get("/api/documents/nope")
    assert response.status_code == 404
    assert response.get_json()["error"] == {"status": 404, "message": "no document with id 'nope'"}


def test_api_unknown_route_and_method_are_json(client):
    assert client.get("/api/nothing").get_json()["error"]["status"] == 404
    response = client.post(f"/api/search?q={OIL}")
    assert response.status_code == 405 and response.get_json()["error"]["status"] == 405


# --- downloads --------------------------------------------------------------

def test_download_links_carry_the_state(client):
    soup = page(client, f"/?q={OIL}&country=IQ&page=2&sort=date")
    links = {a.get_text(): a["href"] for a in soup.select(".export a")}
    assert set(links) == {"CSV", "JSON"}
    assert params(links["CSV"]) == {"q": [OIL], "country": ["IQ"], "sort": ["date"]}
    assert "1,000" in soup.select_one(".export").get_text()


def test_csv_download(client):
    response = client.get(f"/export.csv?q={OIL}&sort=date")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert len(rows) == OIL_TOTAL
    assert [r["rank"] for r in rows[:3]] == ["1", "2", "3"]
    by_id = {r["id"]: r for r in rows}
    # Cells that a spreadsheet would run as a formula are defused.
    assert by_id["formula"]["title"].startswith("'=HYPERLINK")
    assert by_id["xss-title"]["title"] == XSS_TITLE


def test_json_download_is_capped(web_index):
    app = create_app({"INDEX_DIR": str(web_index), "TESTING": True, "EXPORT_LIMIT": 5})
    try:
        out = json.loads(app.test_client().get(f"/export.json?q={OIL}&country=IQ&country=IR").data)
        assert (out["total"], out["limit"], out["exported"]) == (3, 5, 3)
        assert out["filters"] == {"country": ["IQ", "IR"]}
        out = json.loads(app.test_client().get(f"/export.json?q={OIL}").data)
        assert (out["total"], out["exported"], len(out["hits"])) == (OIL_TOTAL, 5, 5)
        assert [h["rank"] for h in out["hits"]] == [1, 2, 3, 4, 5]
    finally:
        shutdown(app)


def test_download_errors(client):
    assert client.get("/export.csv?q=").status_code == 400
    assert client.get(f"/export.json?q={OIL}&sort=x").status_code == 400


# --- the app around the views --------------------------------------------------

def test_one_service_shared_by_requests_and_threads(app):
    with app.test_request_context("/"):
        first = get_service()
    with app.test_request_context("/"):
        assert get_service() is first

    def service_in_a_request():
        with app.test_request_context("/"):
            return get_service()

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(service_in_a_request).result() is first
    # Opened read-only: Whoosh's storage refuses writes.
    assert first.ix.storage.readonly


def test_warm_up_opens_the_service_in_the_background(web_index):
    from search_web.service import warm_in_background

    app = create_app({"INDEX_DIR": str(web_index), "TESTING": True})
    try:
        warm_in_background(app).join(timeout=30)
        assert app.extensions["archive_service"]["service"] is not None
    finally:
        shutdown(app)


def test_missing_index_is_a_503_without_details(tmp_path):
    app = create_app({"INDEX_DIR": str(tmp_path / "missing"), "TESTING": True})
    client = app.test_client()
    response = client.get(f"/?q={OIL}")
    assert response.status_code == 503
    assert str(tmp_path) not in response.get_data(as_text=True)
    api = client.get(f"/api/search?q={OIL}")
    assert api.status_code == 503 and api.get_json()["error"]["status"] == 503


def test_unexpected_errors_show_no_traceback(web_index):
    app = create_app({"INDEX_DIR": str(web_index), "TESTING": True})

    def boom():
        raise RuntimeError("secret internals /etc/passwd")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/boom", "api_boom", boom)
    client = app.test_client()
    response = client.get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret" not in text and "Traceback" not in text
    assert BeautifulSoup(text, "html.parser").select_one(".notice-error h2")
    api = client.get("/api/boom")
    assert api.status_code == 500 and api.get_json() == {"error": {"status": 500, "message": "internal error"}}


def test_slow_suggestions_do_not_hold_the_page():
    import threading

    from search_web.suggest import Suggester

    release = threading.Event()

    class SlowService:
        def suggest(self, text):
            release.wait(5)
            return [text + "!"]

    suggester = Suggester(timeout=0.05)
    service = SlowService()
    assert suggester.suggest(service, "a") == []  # timed out: the page goes on
    assert suggester.suggest(service, "b") == []  # worker busy: not queued
    release.set()
    assert suggester.suggest(service, "a") == ["a!"]  # finished in the background
    assert suggester.suggest(service, "a") == ["a!"]  # and remembered
    suggester.close()


def test_concurrent_requests_get_consistent_answers(app):
    # Many threads on one app, as waitress runs it: every answer must be
    # the one a lone request gets.
    queries = [OIL, "الاستخبارات", "موسكو", "العراق", "إيران", f"{OIL} OR مباراة"] * 10
    expected = {q: app.test_client().get(f"/api/search?q={q}").get_json()["total"] for q in set(queries)}

    def run(q):
        response = app.test_client().get(f"/api/search?q={q}&per_page=20")
        return q, response.status_code, (response.get_json() or {}).get("total")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(run, queries))
    assert [(q, 200, expected[q]) for q in queries] == answers
