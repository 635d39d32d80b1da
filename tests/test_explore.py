"""Exploring by entity, checked against brute force over the documents.

A real index of about 500 SaudiNewsNet articles (every 25th of every third
day, entities on) is searched through the service and the web app; every
count the archive shows (multi-select facet counts, pairs named together,
an actor's or a country's companions, sources, months and latest
articles) is recomputed here in plain Python from the stored documents
alone, never from the facet arrays the service counts with.  Values to
filter on are picked from the data (its most named actors and countries),
not written in.
"""

import itertools
from collections import Counter
from urllib.parse import parse_qs, quote, unquote, urlsplit

import numpy as np
import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.search import FACET_LIMIT, Filters, SearchService
from indexer.segments import actor_facet_value
from search_web import create_app
from search_web.service import shutdown
from tests.conftest import shared_data

FACETS = ("country", "actor", "source", "year")


@pytest.fixture(scope="module")
def news_index(tmp_path_factory):
    from indexer.readers import Article, read_sources
    from indexer.writer import index_articles

    zips = sorted(shared_data("saudinewsnet").glob("*.zip"))
    articles = [a for a in read_sources(zips[::3]) if isinstance(a, Article)][::25]
    index_dir = tmp_path_factory.mktemp("explore_news")
    report = index_articles(index_dir, articles, entities=True)
    assert report.indexed > 400
    return index_dir


@pytest.fixture(scope="module")
def service(news_index):
    with SearchService(news_index) as s:
        yield s


class Corpus:
    """Every live document's facet values, read from its stored fields."""

    def __init__(self, service):
        self.docs = {}
        with service.reading() as (searcher, _):
            fields = list(searcher.all_stored_fields())
        for stored in fields:
            entities = stored.get("entities") or {}
            date = stored.get("date")
            self.docs[stored["id"]] = {
                "country": {c["code"] for c in entities.get("countries", [])},
                "actor": {actor_facet_value(a["name"]) for a in entities.get("actors", [])},
                "source": {stored.get("source", "")} - {""},
                "year": {str(date.year)} if date else set(),
                "month": {f"{date:%Y-%m}"} if date else set(),
                "date": date,
            }

    def most_named(self, facet, n, among=None):
        counts = self.counts(facet, among)
        return [value for value, _ in counts.most_common(n)]

    def counts(self, facet, among=None):
        ids = self.docs if among is None else among
        return Counter(v for i in ids for v in self.docs[i][facet])

    def matching(self, ids=None, any_of=None, all_of=()):
        """The ids among ``ids`` with a value of each facet in ``any_of``
        ({facet: values}) and every (facet, value) of ``all_of``."""
        out = set(self.docs if ids is None else ids)
        for facet, values in (any_of or {}).items():
            out = {i for i in out if self.docs[i][facet] & set(values)}
        for facet, value in all_of:
            out = {i for i in out if value in self.docs[i][facet]}
        return out

    def pair_counts(self, ids, left, right):
        counts = Counter()
        for i in ids:
            doc = self.docs[i]
            if left == right:
                counts.update(frozenset(p) for p in itertools.combinations(sorted(doc[left]), 2))
            else:
                counts.update((a, b) for a in doc[left] for b in doc[right])
        return counts


@pytest.fixture(scope="module")
def corpus(service):
    return Corpus(service)


def query_ids(service, text):
    """The ids of every article ``text`` matches (no filters)."""
    ids, page = set(), 1
    while True:
        results = service.search(text, page=page, per_page=100, facets=False, snippets=False)
        ids.update(h.id for h in results.hits)
        if page >= results.pages:
            return ids
        page += 1


def facet_filters(any_of, all_of=()):
    names = {"country": "countries", "actor": "actors", "source": "sources", "year": "years"}
    return Filters(
        **{names[f]: list(v) for f, v in any_of.items()},
        with_actors=[v for f, v in all_of if f == "actor"],
        with_countries=[v for f, v in all_of if f == "country"],
    )


def assert_top_counts(entries, expected, limit):
    """``entries`` ([{value, count}]) are the ``limit`` most frequent of
    ``expected`` (a Counter): each count right, and none left out."""
    got = [(e["value"], e["count"]) for e in entries]
    assert all(expected[value] == count for value, count in got), [
        (value, count, expected[value]) for value, count in got if expected[value] != count
    ]
    assert [c for _, c in got] == sorted(expected.values(), reverse=True)[:limit]
    assert len({v for v, _ in got}) == len(got)


# --- the multi-select facet counts, by brute force -----------------------------

def combinations(corpus):
    """(query, {facet: values}, [(facet, value) that must all hold]) to check."""
    c1, c2, c3 = corpus.most_named("country", 3)
    a1, a2 = corpus.most_named("actor", 2)
    s1, s2 = corpus.most_named("source", 2)
    year = corpus.most_named("year", 1)[0]
    return [
        ("", {"country": [c2]}, []),
        ("", {"country": [c1, c2], "source": [s1]}, []),
        ("", {"actor": [a1, a2], "country": [c3]}, []),
        ("", {"source": [s1, s2], "year": [year], "actor": [a1]}, []),
        ("السعودية", {"country": [c2, c3]}, []),
        ("الرياض", {"source": [s1, s2], "country": [c1]}, []),
        ("اليمن", {}, []),
        ("", {"source": [s2]}, [("actor", a1)]),
        ("", {"country": [c2, c3]}, [("country", c1), ("actor", a1)]),
    ]


@pytest.mark.parametrize("case", range(9))
def test_multi_select_counts_equal_brute_force(service, corpus, case):
    text, any_of, all_of = combinations(corpus)[case]
    universe = query_ids(service, text) if text else set(corpus.docs)
    results = service.search(text, filters=facet_filters(any_of, all_of), per_page=5)
    selected = corpus.matching(universe, any_of, all_of)
    assert results.total == len(selected) > 0
    for facet in FACETS:
        # A facet with a selection is counted with every filter but its own.
        others = {f: v for f, v in any_of.items() if f != facet}
        counted_over = corpus.matching(universe, others, all_of)
        assert_top_counts(results.facets[facet], corpus.counts(facet, counted_over), FACET_LIMIT)
    months = corpus.counts("month", selected)
    assert {t["month"]: t["count"] for t in results.timeline} == dict(months)


def test_an_article_naming_an_actor_twice_counts_once(service, corpus):
    # The recogniser can list one name twice in an article (as a person and
    # as an organisation); counts are of articles.
    results = service.search("", filters=Filters(sources=corpus.most_named("source", 14)),
                             facet_limit=10_000, per_page=1)
    assert dict((e["value"], e["count"]) for e in results.facets["actor"]) == dict(corpus.counts("actor"))


def test_browsing_one_country_lists_its_articles_newest_first(service, corpus):
    country = corpus.most_named("country", 2)[1]
    results = service.search("", filters=Filters(countries=[country]), per_page=100)
    expected = corpus.matching(any_of={"country": [country]})
    assert results.sort == "date" and results.total == len(expected)
    ids = [h.id for h in results.hits]
    assert set(ids) <= expected and len(ids) == min(100, len(expected))
    dates = [corpus.docs[i]["date"] for i in ids]
    assert dates == sorted(dates, reverse=True)
    newest = sorted((corpus.docs[i]["date"] for i in expected), reverse=True)[:len(ids)]
    assert dates == newest


# --- pairs named together -------------------------------------------------------

@pytest.mark.parametrize("case", range(9))
def test_pairs_equal_brute_force(service, corpus, case):
    text, any_of, all_of = combinations(corpus)[case]
    universe = query_ids(service, text) if text else set(corpus.docs)
    selected = corpus.matching(universe, any_of, all_of)
    pairs = service.search(text, filters=facet_filters(any_of, all_of), per_page=1,
                           cooccurrence=True).cooccurrence
    for key, left, right in (("actors", "actor", "actor"), ("actor_country", "actor", "country")):
        expected = corpus.pair_counts(selected, left, right)
        got = pairs[key]
        assert got, key
        for pair in got:
            a, b = pair["a"]["value"], pair["b"]["value"]
            assert pair["count"] == expected[frozenset((a, b)) if left == right else (a, b)], (a, b)
            assert pair["a"]["count"] == corpus.counts(left, selected)[a]
            assert pair["b"]["count"] == corpus.counts(right, selected)[b]
        assert [p["count"] for p in got] == sorted(expected.values(), reverse=True)[:len(got)]
        assert len(got) == min(10, len(expected))


def test_pairs_of_the_whole_index_equal_brute_force(service, corpus):
    # Every article: the most named entities pair with each other far more
    # than with the rest, the case the first K entities answer alone.
    sources = corpus.most_named("source", 14)
    pairs = service.search("", filters=Filters(sources=sources), cooccurrence=True).cooccurrence
    expected = corpus.pair_counts(set(corpus.docs), "actor", "actor")
    assert [p["count"] for p in pairs["actors"]] == sorted(expected.values(), reverse=True)[:10]


def test_a_search_without_pairs_does_not_count_them(service):
    results = service.search("السعودية", per_page=1)
    assert results.cooccurrence is None and "cooccurrence" not in results.to_dict()


# --- entity pages -------------------------------------------------------------

def check_entity_page(page, corpus, kind, value):
    mine = corpus.matching(all_of=[(kind, value)])
    assert page.total == len(mine)
    assert page.timeline == [{"month": m, "count": c} for m, c in sorted(corpus.counts("month", mine).items())]
    for facet, entries in (("actor", page.actors), ("country", page.countries)):
        companions = corpus.counts(facet, mine)
        if facet == kind:
            del companions[value]
        assert_top_counts(entries, companions, 10)
    assert_top_counts(page.sources, corpus.counts("source", mine), 10)
    latest = [h.id for h in page.latest]
    assert set(latest) <= mine and len(latest) == min(10, len(mine))
    assert [corpus.docs[i]["date"] for i in latest] == sorted(
        (corpus.docs[i]["date"] for i in mine), reverse=True)[:len(latest)]
    dates = sorted(corpus.docs[i]["date"] for i in mine)
    assert (page.first_date, page.last_date) == (dates[0].date().isoformat(), dates[-1].date().isoformat())


def test_actor_page_equals_brute_force(service, corpus):
    for actor in corpus.most_named("actor", 3):
        page = service.actor(actor)
        check_entity_page(page, corpus, "actor", actor)
        assert page.kind == "actor" and page.value == page.label == actor
        assert page.actor_kind in ("person", "organization")
        assert actor not in page.names


def test_country_page_equals_brute_force(service, corpus):
    for code in corpus.most_named("country", 3):
        page = service.country(code.lower())
        check_entity_page(page, corpus, "country", code)
        assert page.value == code and page.label and page.label_en


def test_entity_page_names(service):
    # The gazetteer's English name and the spellings the articles used.
    page = service.actor("سلمان بن عبدالعزيز")
    assert page.label_en and page.names and "سلمان بن عبدالعزيز" not in page.names
    saudi = service.country("SA")
    assert (saudi.label_en, "السعودية" in saudi.names) == ("Saudi Arabia", True)


def test_unknown_entities_have_no_page(service):
    assert service.actor("لا أحد بهذا الاسم") is None
    assert service.country("ZZ") is None
    with pytest.raises(ValueError):
        service.entity("source", "okaz")


# --- the same through the web app -----------------------------------------------

@pytest.fixture(scope="module")
def client(news_index):
    app = create_app({"INDEX_DIR": str(news_index), "TESTING": True})
    yield app.test_client()
    shutdown(app)


def soup_of(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:1000]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def doc_id(href):
    return unquote(urlsplit(href).path.split("/documents/", 1)[1])


def page_total(soup):
    return int(soup.select_one(".summary .count")["data-total"])


def test_one_country_without_words_lists_its_articles(client, corpus):
    country = corpus.most_named("country", 2)[1]
    soup = soup_of(client, f"/?country={country}")
    expected = corpus.matching(any_of={"country": [country]})
    assert page_total(soup) == len(expected)
    ids = [doc_id(a["href"]) for a in soup.select("ol.hits h3 a")]
    assert len(ids) == 10 and set(ids) <= expected
    dates = [t["datetime"] for t in soup.select("ol.hits time")]
    assert dates == sorted(dates, reverse=True)


def test_actor_page_shows_the_counts_and_links(client, corpus):
    actor = corpus.most_named("actor", 1)[0]
    soup = soup_of(client, f"/actor/{actor}")
    mine = corpus.matching(all_of=[("actor", actor)])
    assert (soup.html["lang"], soup.html["dir"]) == ("ar", "rtl")
    assert soup.select_one(".entity-head h1 .label").get_text(strip=True) == actor
    assert int(soup.select_one(".entity-total")["data-total"]) == len(mine)
    # The timeline's bars: a month each, linking to the actor's articles that month.
    bars = soup.select(".timeline a.bar")
    assert {b["data-month"]: int(b["data-count"]) for b in bars} == dict(corpus.counts("month", mine))
    for bar in bars:
        query = parse_qs(urlsplit(bar["href"]).query)
        assert query["actor"] == [actor] and query["from"][0].startswith(bar["data-month"])
        assert page_total(soup_of(client, bar["href"])) == int(bar["data-count"])
    # Each companion: its count, a link to the articles naming both (whose
    # count is the same), and one to its own page.
    rows = soup.select(".companions-actor tbody tr")
    assert rows
    pairs = corpus.pair_counts(mine, "actor", "actor")
    for row in rows[:3]:
        link = row.select_one("a.companion")
        other = link["data-value"]
        count = int(row.select_one("td.count").get_text().replace(",", ""))
        assert count == pairs[frozenset((actor, other))]
        assert parse_qs(urlsplit(link["href"]).query) == {"with_actor": [actor, other]}
        both = soup_of(client, link["href"])
        assert page_total(both) == count
        assert [c.get_text(strip=True) for c in both.select("ul.chips .chip-label")] == [actor, other]
        assert soup_of(client, row.select_one("a.entity-page")["href"]).select_one(
            ".entity-head h1 .label").get_text(strip=True) == other
    for row in soup.select(".companions-country tbody tr")[:3]:
        link = row.select_one("a.companion")
        count = int(row.select_one("td.count").get_text().replace(",", ""))
        assert parse_qs(urlsplit(link["href"]).query) == {"with_actor": [actor], "with_country": [link["data-value"]]}
        assert page_total(soup_of(client, link["href"])) == count
    # All its articles: the facet filter, as a results page.
    assert page_total(soup_of(client, soup.select_one(".entity-total a.all")["href"])) == len(mine)


def test_country_page_and_its_json_twin(client, corpus):
    code = corpus.most_named("country", 1)[0]
    assert client.get(f"/country/{code.lower()}").headers["Location"].endswith(f"/country/{code}")
    soup = soup_of(client, f"/country/{code}")
    twin = client.get(f"/api/country/{code}").get_json()
    mine = corpus.matching(all_of=[("country", code)])
    assert twin["total"] == int(soup.select_one(".entity-total")["data-total"]) == len(mine)
    assert [r.select_one("a.companion")["data-value"] for r in soup.select(".companions-actor tbody tr")] == [
        e["value"] for e in twin["actors"]]
    assert [h["id"] for h in twin["latest"]] == [doc_id(a["href"]) for a in soup.select(".latest ol.hits h3 a")]
    assert twin["label"] == soup.select_one(".entity-head h1 .label").get_text(strip=True)
    assert "title_html" not in twin["latest"][0]


def test_actor_json_twin(client, corpus):
    actor = corpus.most_named("actor", 2)[1]
    twin = client.get(f"/api/actor/{actor}").get_json()
    assert twin["kind"] == "actor" and twin["value"] == actor
    assert twin["total"] == len(corpus.matching(all_of=[("actor", actor)]))
    assert set(twin) >= {"names", "label_en", "timeline", "actors", "countries", "sources", "latest", "actor_kind"}
    assert client.get("/api/actor/لا أحد بهذا الاسم").status_code == 404
    assert client.get("/api/country/Atlantis").get_json()["error"]["status"] == 404


def test_pairs_under_the_results_link_to_the_articles_naming_both(client):
    soup = soup_of(client, "/?q=السعودية")
    tables = soup.select("section.pairs table")
    assert len(tables) == 2
    for table in tables:
        for row in table.select("tbody tr")[:3]:
            link = row.th.a
            count = int(row.select_one("td.count").get_text().replace(",", ""))
            query = parse_qs(urlsplit(link["href"]).query)
            assert query["q"] == ["السعودية"] and query["with_actor"][0] == link["data-a"]
            narrowed = soup_of(client, link["href"])
            assert page_total(narrowed) == count
            assert len(narrowed.select("ul.chips li.chip")) == 2


def test_facets_and_chips_link_to_entity_pages(client, corpus):
    actor = corpus.most_named("actor", 1)[0]
    soup = soup_of(client, f"/?q=السعودية&actor={actor}")
    for name in ("country", "actor"):
        links = soup.select(f"section.facet-{name} li a.entity-page")
        assert links
        assert soup_of(client, links[0]["href"]).select_one(".entity-head h1")
    assert not soup.select("section.facet-source a.entity-page")
    chip = soup.select_one("ul.chips li.chip-actor a.chip-label")
    assert chip.get_text(strip=True) == actor
    assert soup_of(client, chip["href"]).select_one(".entity-head h1 .label").get_text(strip=True) == actor


def test_document_links_its_entities_pages(client, corpus):
    actor = corpus.most_named("actor", 1)[0]
    doc = next(iter(sorted(corpus.matching(all_of=[("actor", actor)]))))
    soup = soup_of(client, f"/documents/{quote(doc)}")
    for section in (".entity-countries", ".entity-actors"):
        for link in soup.select(f"{section} a.entity-page")[:3]:
            page = soup_of(client, link["href"])
            assert int(page.select_one(".entity-total")["data-total"]) >= 1


def test_with_filters_round_trip_and_explain_bad_values(client):
    assert client.get("/?with_country=Atlantis").status_code == 400
    soup = soup_of(client, "/?with_country=Iraq&with_country=SA")
    chips = soup.select("ul.chips li.chip-with_country")
    assert [c.select_one(".chip-label").get_text(strip=True) for c in chips] == ["العراق", "المملكة العربية السعودية"]
    removed = parse_qs(urlsplit(chips[0].select_one("a.chip-remove")["href"]).query)
    assert removed == {"with_country": ["SA"]}


def test_entities_page_lists_the_most_named_with_their_counts(client, corpus):
    soup = soup_of(client, "/entities?top=8")
    for kind in ("actor", "country"):
        rows = soup.select(f"table.top-{kind} tbody tr")
        expected = corpus.counts(kind)
        assert [int(r.select_one("td.count").get_text().replace(",", "")) for r in rows] == \
            sorted(expected.values(), reverse=True)[:8]
        for row in rows:
            value = row.th.a["data-value"]
            count = int(row.select_one("td.count").get_text().replace(",", ""))
            assert expected[value] == count
        # A name opens its page, with the same count; the count, its articles.
        name = rows[0].th.a
        page = soup_of(client, name["href"])
        assert int(page.select_one(".entity-total")["data-total"]) == expected[name["data-value"]]
        assert page_total(soup_of(client, rows[0].select_one("td.count a")["href"])) == expected[name["data-value"]]
    twin = client.get("/api/entities?top=8").get_json()
    assert [e["value"] for e in twin["actor"]] == [r.th.a["data-value"] for r in soup.select("table.top-actor tbody tr")]
    assert len(soup_of(client, "/entities").select("table.top-actor tbody tr")) == 50
    # The main page links it.
    assert soup_of(client, "/").select_one("footer a.all-entities")["href"] == "/entities"


@pytest.mark.parametrize("top", ["0", "x", "1001", "-3"])
def test_entities_page_explains_a_bad_top(client, top):
    soup = soup_of(client, f"/entities?top={top}", status=400)
    assert top in soup.get_text()
    assert client.get(f"/api/entities?top={top}").get_json()["error"]["status"] == 400


def test_entities_page_follows_the_curation(news_index, corpus, tmp_path):
    import shutil

    from indexer import curation

    index = tmp_path / "ix"
    shutil.copytree(news_index, index)
    first, second, third = corpus.most_named("actor", 3)
    curation.append(index, "merge", "actor", [first, second])
    curation.append(index, "hide", "actor", [third])
    curation.append(index, "rename", "actor", [first, "اسم جديد"])
    app = create_app({"INDEX_DIR": str(index), "TESTING": True})
    try:
        client = app.test_client()
        soup = soup_of(client, "/entities?top=5")
        # The actor pages follow too: the merged one counts both, the
        # address of the name merged into it shows it, the hidden one is gone.
        both = len(corpus.matching(any_of={"actor": [first, second]}))
        for name in (first, second):
            page = soup_of(client, f"/actor/{quote(name, safe='')}")
            assert int(page.select_one(".entity-total")["data-total"]) == both
            assert page.select_one(".entity-head h1 .label").get_text() == "اسم جديد"
        assert client.get(f"/actor/{quote(third, safe='')}").status_code == 404
        assert client.get(f"/api/actor/{quote(third, safe='')}").status_code == 404
    finally:
        shutdown(app)
    rows = soup.select("table.top-actor tbody tr")
    values = [r.th.a["data-value"] for r in rows]
    assert second not in values and third not in values
    merged = rows[values.index(first)]
    assert merged.select_one(".label").get_text() == "اسم جديد"
    assert int(merged.select_one("td.count").get_text().replace(",", "")) == both


# --- the pair count itself ------------------------------------------------------

@st.composite
def entry_lists(draw, k):
    """(docs, cols) of a facet's entries among ``k`` columns: document
    order, each (document, column) once."""
    cells = draw(st.sets(st.tuples(st.integers(0, 12), st.integers(0, k - 1)), max_size=40))
    cells = sorted(cells)
    return np.asarray([d for d, _ in cells], dtype=np.int64), np.asarray([c for _, c in cells], dtype=np.int64)


@settings(max_examples=300, deadline=None)
@given(st.data(), st.integers(1, 5), st.integers(1, 5), st.booleans())
def test_pair_counts_are_the_documents_naming_both(data, k_a, k_b, same):
    from indexer.explore import _pair_counts

    docs_a, cols_a = data.draw(entry_lists(k_a))
    if same:
        got = _pair_counts(docs_a, cols_a, k_a, None, None, None)
        expected = np.zeros((k_a, k_a), dtype=np.int64)
        for d in set(docs_a.tolist()):
            named = sorted(cols_a[docs_a == d].tolist())
            for i, j in itertools.combinations(named, 2):
                expected[i, j] += 1
    else:
        docs_b, cols_b = data.draw(entry_lists(k_b))
        got = _pair_counts(docs_a, cols_a, k_a, docs_b, cols_b, k_b)
        expected = np.zeros((k_a, k_b), dtype=np.int64)
        for d in set(docs_a.tolist()) & set(docs_b.tolist()):
            for i in cols_a[docs_a == d].tolist():
                for j in cols_b[docs_b == d].tolist():
                    expected[i, j] += 1
    assert got.tolist() == expected.tolist()
