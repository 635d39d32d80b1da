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

from indexer.errors import QueryError
from indexer.sources import BUILTIN_TABLE, SOURCES_FILE, read_source_table, source_label, source_names
from search_web import CONTENT_SECURITY_POLICY, create_app
from search_web.arabic_numbers import ARTICLES, MENTIONS, RESULTS, count_phrase, plural_category
from search_web.service import get_service, shutdown
from search_web.views import PARAM_PROBLEM, explain
from tests.conftest import article, shared_data
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
    """The result count the page states, in words (نتيجتان) and as data-total."""
    count = soup.select_one(".summary .count")
    n = int(count["data-total"])
    assert count.strong.get_text(strip=True) == count_phrase(n, "result")
    return n


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
    assert re.fullmatch(r"\(\d+\.\d\d ثانية\)", took)
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
    # The paper's name from the source table; the key stays on the element.
    assert meta.select_one(".source").get_text() == "الرياض"
    assert meta.select_one(".source")["data-source"] == "alriyadh"


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
    assert bars["2015-07"].title.get_text() == "يوليو 2015: 9 مقالات"
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


@pytest.mark.parametrize("args,arabic", [
    ("page=0", "رقم الصفحة يجب أن يكون بين 1 و1000."),
    ("page=abc", "رقم الصفحة: «abc» ليس عددًا صحيحًا."),
    ("per_page=500", "عدد النتائج في الصفحة يجب أن يكون بين 1 و100."),
    ("sort=popular", "ترتيب غير معروف «popular»: رتّب حسب الصلة أو الأحدث أولًا."),
    ("from=yesterday", "«من تاريخ»: «yesterday» ليس تاريخًا بالصيغة YYYY-MM-DD (سنة-شهر-يوم)، مثل 2015-07-21."),
    ("to=21/07/2015", "«إلى تاريخ»: «21/07/2015» ليس تاريخًا بالصيغة YYYY-MM-DD (سنة-شهر-يوم)، مثل 2015-07-21."),
    ("country=Atlantis", "لا دولة معروفة باسم «Atlantis»: اكتب اسمها أو رمزها، مثل العراق أو IQ."),
    ("year=15", "«15» ليست سنة من أربعة أرقام، مثل 2015."),
    ("&".join(["source=s%d" % n for n in range(51)]), "لا يُقبل أكثر من 50 من قيم «المصادر» معًا."),
], ids=["page-0", "page-abc", "per-page", "sort", "from", "to-us-style", "country", "year",
        "too-many"])
def test_bad_parameters_are_a_message(client, args, arabic):
    soup = page(client, f"/?q={OIL}&{args}", status=400)
    # Arabic first, naming the value; the service's English below it.
    assert soup.select_one(".notice-error .explanation").get_text() == arabic
    assert soup.select_one(".notice-error .detail").get_text()
    assert soup.select_one("input[name=q]")["value"] == OIL


def test_an_unknown_problem_still_gets_an_arabic_sentence():
    assert explain("something new went wrong") == PARAM_PROBLEM
    assert explain(QueryError("cannot read the query 'x': oops", "syntax")).startswith("تحقّق")


def test_error_page_details_are_in_arabic_first(client):
    soup = page(client, "/export.csv?q=", status=400)
    notice = soup.select_one(".notice-error")
    assert notice.h2.get_text() == "الطلب غير صالح."
    assert notice.select_one(".explanation").get_text() == "اكتب كلمة أو أكثر."
    # The English is kept, after the Arabic, marked as English.
    detail = notice.select_one(".detail")
    assert detail["lang"] == "en" and "empty" in detail.get_text()
    assert notice.find_all("p").index(detail) > notice.find_all("p").index(notice.select_one(".explanation"))
    soup = page(client, f"/export.json?q={OIL}&from=2015-02-30", status=400)
    assert "«2015-02-30» ليس تاريخًا" in soup.select_one(".notice-error .explanation").get_text()


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
    countries = {a["data-code"]: a for a in soup.select(".entity-countries a:not(.entity-page)")}
    assert countries["IQ"].get_text(" ", strip=True) == "العراق Iraq"
    assert params(countries["IQ"]["href"]) == {"q": ["الاستخباراتُ"], "country": ["IQ"]}
    actors = {a.get_text(strip=True): a["href"] for a in soup.select(".entity-actors a")}
    assert params(actors["تحسين الخفاجي"])["actor"] == ["تحسين الخفاجي"]


def test_entity_links_lead_to_filtered_results(client):
    # Coming from a search, the links keep its words: the article itself
    # matches them and has the entity, so there is always a result.
    soup = page(client, f"/documents/{seed_id(client)}?q=بغداد")
    links = soup.select(".entity-countries a:not(.entity-page), .entity-actors a:not(.entity-page)")
    assert len(links) > 5
    for a in links:
        results = page(client, a["href"])
        assert total(results) >= 1, a["href"]
        assert len(chips(results)) == 1


def test_entity_links_without_a_query(client):
    soup = page(client, f"/documents/{seed_id(client)}")
    # An actor's link searches for the names the article used for it.
    for a in soup.select(".entity-actors a:not(.entity-page)"):
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
    source = soup.select_one(".meta .source")
    assert (source.get_text(" ", strip=True), source["data-source"]) == ("الرياض Al Riyadh", "alriyadh")
    assert soup.select_one("p.back") is None
    assert soup.select(".body mark") == []


def test_unknown_document_is_a_404_page(client):
    soup = page(client, "/documents/no-such-id", status=404)
    assert soup.html["dir"] == "rtl"
    assert soup.select_one(".notice-error h2").get_text() == "الصفحة غير موجودة."

@pytest.mark.parametrize("doc_id", ["iq-oil", "خبر ١", "a/b c", "50%?#&+=", "x'y\"z<>", "~.-_"])
def test_document_links_are_what_url_for_builds(app, doc_id):
    from flask import url_for

    from search_web.views import document_href

    with app.test_request_context("/"):
        assert document_href(doc_id) == url_for("web.document", doc_id=doc_id)


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


# --- counts in words -----------------------------------------------------------

@pytest.mark.parametrize("n,expected", [
    (0, "لا نتائج"), (1, "نتيجة واحدة"), (2, "نتيجتان"), (3, "3 نتائج"), (10, "10 نتائج"),
    (11, "11 نتيجة"), (99, "99 نتيجة"), (100, "100 نتيجة"), (101, "101 نتيجة"),
    (102, "102 نتيجة"), (103, "103 نتائج"), (110, "110 نتائج"), (111, "111 نتيجة"),
    (1000, "1,000 نتيجة"), (1003, "1,003 نتائج"), (1011, "1,011 نتيجة"), (31000, "31,000 نتيجة"),
    (2_000_005, "2,000,005 نتائج"),
], ids=lambda v: str(v) if isinstance(v, int) else None)
def test_result_counts_agree_with_their_number(n, expected):
    assert count_phrase(n, RESULTS) == count_phrase(n, "result") == expected


@pytest.mark.parametrize("noun,n,case,expected", [
    (ARTICLES, 2, "nominative", "مقالتان"),
    (ARTICLES, 2, "oblique", "مقالتين"),   # ابحث في مقالتين
    (ARTICLES, 1, "oblique", "مقالة واحدة"),
    (ARTICLES, 7, "oblique", "7 مقالات"),  # case shows in the dual only
    (ARTICLES, 413, "oblique", "413 مقالة"),
    (MENTIONS, 1, "nominative", "مرة واحدة"),
    (MENTIONS, 2, "nominative", "مرتان"),
    (MENTIONS, 4, "nominative", "4 مرات"),
    (MENTIONS, 12, "nominative", "12 مرة"),
], ids=["dual", "dual-oblique", "one", "few", "many", "mention-one", "mention-two", "mention-few",
        "mention-many"])
def test_counted_nouns(noun, n, case, expected):
    assert count_phrase(n, noun, case) == expected


def test_plural_categories_follow_the_last_two_digits():
    # CLDR's rule for Arabic, spelled out: the hundreds do not matter.
    for n in range(3, 5000):
        expected = "few" if 3 <= n % 100 <= 10 else "many" if n % 100 >= 11 else "other"
        assert plural_category(n) == expected, n


def test_counts_on_the_pages_agree(client):
    assert page(client, "/?q=الاستخبارات").select_one(".summary .count").get_text(" ", strip=True) \
        .startswith("نتيجة واحدة")
    iq = page(client, f"/?q={OIL}&country=IQ")
    assert iq.select_one(".summary .count strong").get_text() == "نتيجتان"
    none = page(client, "/?q=بطيخ")
    assert none.select_one(".summary .count strong").get_text() == "لا نتائج"
    home = page(client, "/").select_one(".notice h2").get_text()
    assert home == "ابحث في " + count_phrase(int(re.search(r"\d+", home)[0]), ARTICLES, "oblique")


# --- source names ------------------------------------------------------------------

# SaudiNewsNet's fourteen source keys and the papers they are.
SAUDINEWSNET_SOURCES = [
    ("3alyoum", "عين اليوم", "Ain Alyoum"),
    ("aawsat", "الشرق الأوسط", "Asharq Al-Awsat"),
    ("aleqtisadiya", "الاقتصادية", "Al Eqtisadiah"),
    ("aljazirah", "الجزيرة", "Al Jazirah"),
    ("almadina", "المدينة", "Al Madina"),
    ("alriyadh", "الرياض", "Al Riyadh"),
    ("alwatan", "الوطن", "Al Watan"),
    ("alweeam", "الوئام", "Alweeam"),
    ("alyaum", "اليوم", "Al Yaum"),
    ("arreyadi", "الرياضي", "Arreyadi"),
    ("arriyadiyah", "الرياضية", "Arriyadiyah"),
    ("okaz", "عكاظ", "Okaz"),
    ("sabq", "سبق", "Sabq"),
    ("was", "واس", "Saudi Press Agency"),
]


@pytest.mark.parametrize("key,ar,en", SAUDINEWSNET_SOURCES, ids=[k for k, _, _ in SAUDINEWSNET_SOURCES])
def test_shipped_source_names(key, ar, en):
    assert source_label(key) == (ar, en)
    assert source_label(key.upper()) == (ar, en)  # keys match ignoring case


def test_shipped_source_table_is_clean():
    names, problems = read_source_table(BUILTIN_TABLE)
    assert problems == [] and len(names) == len(SAUDINEWSNET_SOURCES)


def test_unknown_sources_show_as_themselves():
    assert source_label("my-blog") == ("my-blog", "")
    assert source_label(XSS_SOURCE) == (XSS_SOURCE, "")
    assert source_label("") == ("", "")


def test_every_saudinewsnet_source_has_a_name():
    import zipfile

    keys = set()
    for path in sorted(shared_data("saudinewsnet").glob("*.zip")):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                records = json.loads(zf.read(name))
                keys.update(r["source"] for r in (records if isinstance(records, list) else [records]))
    assert keys == {k for k, _, _ in SAUDINEWSNET_SOURCES}
    assert all(source_label(k)[1] for k in keys)


@pytest.mark.parametrize("line,problem", [
    ("okaz عكاظ Okaz", "expected key TAB Arabic name TAB English name, found 1 field (are the fields separated by tabs?)"),
    ("a\tb\tc\td", "expected key TAB Arabic name TAB English name, found 4 fields"),
    ("\tعكاظ\tOkaz", "the key (field 1) is empty"),
    ("okaz\t\tOkaz", "the Arabic name (field 2) of 'okaz' is empty"),
], ids=["spaces", "four-fields", "no-key", "no-arabic"])
def test_bad_lines_of_a_source_table_are_reported_and_skipped(tmp_path, line, problem):
    table = tmp_path / SOURCES_FILE
    table.write_text(f"# my papers\n\nmine\tصحيفتي\n{line}\n", encoding="utf-8")
    names, problems = read_source_table(table)
    assert names == {"mine": ("صحيفتي", "")}
    assert problems == [f"{table} line 4: {problem}"]


def test_a_source_table_saved_by_a_spreadsheet(tmp_path):
    table = tmp_path / SOURCES_FILE
    table.write_bytes("\ufeffMine\tصحيفتي\tMy paper\r\nmine\tجريدتي\t\r\n".encode("utf-8"))
    names, problems = read_source_table(table)
    assert names == {"mine": ("جريدتي", "")}  # BOM and CRLF are fine; the later line wins...
    assert problems == [f"{table} line 2: 'mine' is already named on line 1; this later line is used"]
    table.write_bytes("mine\t\xe3\xd5\xcf\xd1\n".encode("latin-1"))
    assert read_source_table(table) == ({}, [f"{table}: not UTF-8 text (byte 5); save it as UTF-8"])


def test_an_index_folder_names_its_own_sources(make_index, tmp_path):
    index_dir = make_index([
        article("a", "خبر النفط الأول", "نص عن النفط.", date="2015-07-05", source="okaz"),
        article("b", "خبر النفط الثاني", "نص آخر عن النفط.", date="2015-07-06", source="mypaper"),
    ])
    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True})
    client = app.test_client()
    try:
        assert facet(page(client, f"/?q={OIL}"), "source")["mypaper"]["label"] == "mypaper"
        # The user's table adds a paper and renames a shipped one; the keys still filter.
        (index_dir / SOURCES_FILE).write_text(
            "mypaper\tصحيفتي\tMy Paper\nokaz\tعكاظ اليومية\n", encoding="utf-8")
        soup = page(client, f"/?q={OIL}")
        sources = facet(soup, "source")
        assert (sources["mypaper"]["label"], sources["mypaper"]["en"]) == ("صحيفتي", "My Paper")
        assert (sources["okaz"]["label"], sources["okaz"]["en"]) == ("عكاظ اليومية", "")
        narrowed = page(client, sources["mypaper"]["href"])
        assert total(narrowed) == 1 and chips(narrowed)[0]["label"] == "صحيفتي"
        assert [h["li"].select_one(".source").get_text() for h in hits(narrowed)] == ["صحيفتي"]
        assert source_names(index_dir).problems == ()
    finally:
        shutdown(app)


def test_source_facet_shows_names_and_filters_on_keys(client):
    soup = page(client, f"/?q={OIL}")
    sources = facet(soup, "source")
    assert (sources["aleqtisadiya"]["label"], sources["aleqtisadiya"]["en"]) == ("الاقتصادية", "Al Eqtisadiah")
    assert params(sources["sabq"]["href"])["source"] == ["sabq"]
    narrowed = page(client, sources["sabq"]["href"])
    (chip,) = chips(narrowed)
    assert (chip["param"], chip["label"], params(chip["href"])) == ("source", "سبق", {"q": [OIL]})
    assert {h["li"].select_one(".source")["data-source"] for h in hits(narrowed)} == {"sabq"}


# --- the layout's markup -----------------------------------------------------------

def test_results_come_before_the_facets_which_fold(client):
    soup = page(client, f"/?q={OIL}")
    layout = soup.select_one(".results-layout")
    order = [c.get("class")[0] for c in layout.find_all(recursive=False)]
    assert order == ["summary", "facet-panel", "results"]
    panel = layout.select_one("details.facet-panel")
    assert panel.summary.get_text(strip=True) == "تصفية النتائج"
    assert "open" not in panel.attrs  # the stylesheet opens it on wide screens
    chosen = page(client, f"/?q={OIL}&country=IQ&source=sabq").select_one("details.facet-panel summary")
    assert chosen.select_one(".badge").get_text() == "2"


def test_long_facets_fold_the_rest_under_more(client):
    soup = page(client, "/?q=الاستخبارات")
    actors = soup.select_one("section.facet-actor")
    shown = actors.find("ul", recursive=False).find_all("li")
    more = actors.select_one("details.more")
    assert len(facet(soup, "actor")) > len(shown) == 8
    assert more.summary.get_text() == f"المزيد ({len(facet(soup, 'actor')) - 8})"
    assert "open" not in more.attrs
    # A ticked value among the folded ones keeps the fold open.
    folded = more.select_one("li a")["data-value"]
    ticked = page(client, facet(soup, "actor")[folded]["href"])
    fold = ticked.select_one(f"section.facet-actor a[data-value='{folded}']").find_parent("details")
    assert fold is not None and "open" in fold.attrs
    assert "open" not in page(client, "/?q=الاستخبارات").select_one("section.facet-actor details.more").attrs


def test_date_fields_are_arabic_labelled_iso_text_fields(client):
    soup = page(client, f"/?q={OIL}&from=2015-07-01")
    form = soup.select_one("form.dates")
    fields = {i["name"]: i for i in form.select("input[name=from], input[name=to]")}
    for name, label in [("from", "من تاريخ"), ("to", "إلى تاريخ")]:
        field = fields[name]
        assert (field["type"], field["placeholder"], field["dir"], field["inputmode"]) == (
            "text", "YYYY-MM-DD", "ltr", "numeric")
        assert re.fullmatch(field["pattern"], "2015-07-21") and not re.fullmatch(field["pattern"], "07/21/2015")
        assert form.select_one(f"label[for={field['id']}]").get_text() == label
    assert fields["from"]["value"] == "2015-07-01" and fields["to"]["value"] == ""
    assert not soup.select("input[type=date]")


def test_document_text_comes_before_its_entities(client):
    soup = page(client, f"/documents/{seed_id(client)}")
    layout = soup.select_one(".document-layout")
    assert [c.get("class")[0] for c in layout.find_all(recursive=False)] == ["body", "entities"]
    count = soup.select_one(".entity-countries li .count")
    assert count["title"].startswith("ذُكرت ")


def test_module_doctests_of_the_helpers():
    import doctest

    import indexer.sources
    import search_web.arabic_numbers

    for module in (indexer.sources, search_web.arabic_numbers):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_readme_source_table_example_reads_cleanly(tmp_path):
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```\n# index_data/sources.tsv\n(.*?)```", readme, re.S)[1]
    table = tmp_path / SOURCES_FILE
    table.write_text(example, encoding="utf-8")
    names, problems = read_source_table(table)
    assert problems == [] and names == {"mypaper": ("صحيفتي", "My Paper"), "okaz": ("عكاظ اليومية", "")}


def test_timeline_labels_name_the_year_once(client):
    soup = page(client, f"/?q={OIL}")
    labels = [t.get_text() for t in soup.select("figure.timeline .ticks text")]
    assert labels == ["يوليو 2015", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر"]
    # Placed in percent of the width, outside the bars' stretched viewBox.
    assert all(t["x"].endswith("%") for t in soup.select("figure.timeline .ticks text"))


@pytest.mark.parametrize("root", ["", "/archive", "/a{b}", "/x{0}"])
def test_timeline_links_are_the_states_links_under_any_mount(app, root):
    from datetime import date

    from flask import request

    from search_web.state import SearchState
    from search_web.views import search_url, timeline_view

    with app.test_request_context("/?q=النفط&country=IQ", base_url=f"http://localhost{root}/"):
        state = SearchState.from_args(request.args, per_page=10)
        bars = timeline_view(state, [{"month": "2015-07", "count": 4}, {"month": "2015-09", "count": 1}]).bars
        assert [bar.href for bar in bars] == [
            search_url(state, date_from=date(2015, m, 1), date_to=date(2015, m, last))
            for m, last in ((7, 31), (8, 31), (9, 30))
        ]
