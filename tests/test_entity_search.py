"""Entities across scripts and demonyms, on a real index (issue 13, item 4).

A Latin query (``Putin``, ``Hezbollah``, ``Iraq``), a Latin ``--actor`` and
a Latin ``--country`` find the Arabic articles, in the service, the CLI and
the API; ``أميركا`` finds an article that only says ``أميركية``, ranked
below one that names the country.  The articles are sentences composed
for these tests, indexed with entity recognition on.
"""

import json

import pytest
from click.testing import CliRunner

from indexer import country_terms
from indexer.cli import cli
from indexer.query import DEMONYM_WEIGHT, make_parser, read_query
from indexer.schema import build_schema
from indexer.search import Filters, SearchService
from indexer.writer import index_articles
from search_web import create_app
from search_web.service import shutdown
from tests.conftest import article

ARTICLES = [
    article("putin", "بوتين يستقبل وفدا تجاريا",
            "استقبل الرئيس الروسي فلاديمير بوتين في موسكو وفدا من رجال الأعمال لبحث الاستثمار.",
            date="2015-07-01"),
    article("hezbollah", "بيان من حزب الله",
            "أصدر حزب الله اللبناني بيانا في بيروت أمس يدين فيه الهجوم على القافلة.",
            date="2015-07-02"),
    article("iraq", "وفد تجاري في بغداد",
            "وصل وفد تجاري إلى بغداد لبحث التعاون مع الحكومة العراقية في مجال الكهرباء.",
            date="2015-07-03"),
    article("demonym", "شركة تفتتح فرعا جديدا",
            "أعلنت شركة أميركية كبرى افتتاح فرع جديد لها في مدينة الرياض هذا الشهر.",
            date="2015-07-04"),
    article("name", "وفد يسافر إلى أميركا",
            "سافر وفد من رجال الأعمال إلى أميركا لحضور مؤتمر عن الطاقة المتجددة.",
            date="2015-07-05"),
    article("oil", "أسعار النفط ترتفع",
            "ارتفعت أسعار النفط في الأسواق اليوم بعد تراجع المخزونات.",
            date="2015-07-06"),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("entity_search")
    report = index_articles(path, ARTICLES, entities=True)
    assert report.indexed == len(ARTICLES)
    return path


@pytest.fixture(scope="module")
def service(index_dir):
    with SearchService(index_dir) as s:
        yield s


def ids(results):
    return {h.id for h in results.hits}


def test_the_articles_carry_the_entities_the_tests_rely_on(service):
    actors = {a["name"] for a in service.document("putin")["entities"]["actors"]}
    assert "فلاديمير بوتين" in actors
    actors = {a["name"] for a in service.document("hezbollah")["entities"]["actors"]}
    assert "حزب الله" in actors
    assert "IQ" in {c["code"] for c in service.document("iraq")["entities"]["countries"]}


# (query, ids found, note)
LATIN_QUERIES = [
    ("Putin", {"putin"}, "an English alias of a person"),
    ("Hezbollah", {"hezbollah"}, "an organisation's English label"),
    ("Hizbullah", {"hezbollah"}, "an English spelling variant from the gazetteer"),
    ("Iraq", {"iraq"}, "a country's English name finds its name and demonyms"),
    ('"Vladimir Putin"', {"putin"}, "a quoted English name"),
    ("Vladimir Putin", {"putin"}, "an English name of two words, unquoted"),
]


@pytest.mark.parametrize("query, expected, note", LATIN_QUERIES, ids=[r[2] for r in LATIN_QUERIES])
def test_a_latin_query_finds_the_arabic_articles(service, query, expected, note):
    assert ids(service.search(query)) == expected


def test_a_latin_word_that_names_nothing_finds_nothing(service):
    assert service.search("Gaddafi").hits == []


def test_the_arabic_names_are_highlighted(service):
    (hit,) = service.search("Putin").hits
    assert "<mark>بوتين</mark>" in hit.snippet


def test_a_latin_actor_filter(service):
    assert ids(service.search("", filters=Filters(actors=["Hezbollah"]))) == {"hezbollah"}
    assert ids(service.search("", filters=Filters(actors=["Putin"]))) == {"putin"}
    # An Arabic alias filters by its canonical actor too.
    assert ids(service.search("", filters=Filters(actors=["بوتين"]))) == {"putin"}
    assert service.search("", filters=Filters(actors=["Gaddafi"])).hits == []


def test_a_country_name_finds_its_demonym_at_a_lower_weight(service):
    results = service.search("أميركا")
    assert [h.id for h in results.hits] == ["name", "demonym"]
    assert results.hits[0].score > results.hits[1].score


def test_the_demonym_alone_does_not_find_the_country_name(service):
    # Expansion goes from a name to its demonyms, not back.
    assert ids(service.search("أميركية")) == {"demonym"}


def run(index_dir, *args):
    result = CliRunner().invoke(cli, ["query", *args, "--json", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    return {h["id"] for h in json.loads(result.output)["hits"]}


def test_cli_latin_query_actor_and_country(index_dir):
    assert run(index_dir, "Putin") == {"putin"}
    assert run(index_dir, "--actor", "Hezbollah") == {"hezbollah"}
    assert run(index_dir, "--country", "Iraq") == {"iraq"}


@pytest.fixture(scope="module")
def client(index_dir):
    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True})
    yield app.test_client()
    shutdown(app)


def api_ids(client, query):
    response = client.get("/api/search" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {h["id"] for h in response.get_json()["hits"]}


def test_api_latin_query_actor_and_country(client):
    assert api_ids(client, "?q=Putin") == {"putin"}
    assert api_ids(client, "?actor=Hezbollah") == {"hezbollah"}
    assert api_ids(client, "?country=Iraq") == {"iraq"}
    assert api_ids(client, "?q=أميركا") == {"name", "demonym"}


# How a query is rewritten: (query, index terms it must also find, weight, note)
REWRITES = [
    ("Putin", ("بوتين",), 1.0, "person alias"),
    ("أميركا", ("اميرك",), DEMONYM_WEIGHT, "a country's demonym"),
    ('"الولايات المتحدة"', ("امريك",), DEMONYM_WEIGHT, "a country's name of two words"),
    ("Iraq", ("عراق",), 1.0, "English country name"),
    ("Saudi Arabia", ("سعوديه",), 1.0, "English country name of two words"),
]


def expansions(q):
    out = {}
    stack = [q]
    while stack:
        node = stack.pop()
        if node.is_leaf():
            words = tuple(getattr(node, "words", None) or (node.text,))
            out[words] = max(out.get(words, 0), node.boost)
        else:
            stack.extend(node.children())
    return out


@pytest.mark.parametrize("query, terms, weight, note", REWRITES, ids=[r[3] for r in REWRITES])
def test_rewrite(query, terms, weight, note):
    q, _ = read_query(make_parser(build_schema()), query)
    assert expansions(q).get(terms) == pytest.approx(weight)


# (query, the only terms it finds, note)
UNCHANGED = [
    ("us", {("us",)}, "short Latin words are too often something else"),
    ("is", {("is",)}, "IS is an alias of ISIS, but also a word"),
    ("oil", {("oil",)}, "a Latin word that names nothing"),
    ("النفط", {("نفط",)}, "an Arabic word that names no country"),
    ("أميركية", {("اميرك",), ("امريك",)}, "a demonym does not find its country's name"),
]


@pytest.mark.parametrize("query, terms, note", UNCHANGED, ids=[r[2] for r in UNCHANGED])
def test_no_rewrite(query, terms, note):
    q, _ = read_query(make_parser(build_schema()), query)
    assert set(expansions(q)) == terms


def test_the_index_keeps_the_country_table_a_query_reads(index_dir, monkeypatch):
    # Written at commit, equal to the package's own, and read by a new
    # service instead of being computed (it is a third of a fresh CLI query).
    path = index_dir / country_terms.FILENAME
    assert json.loads(path.read_text("utf-8")) == country_terms.build()
    monkeypatch.setattr(country_terms, "_loaded", None)
    monkeypatch.setattr(country_terms, "build", lambda: pytest.fail("computed, not read"))
    with SearchService(index_dir) as s:
        assert [h.id for h in s.search("أميركا").hits] == ["name", "demonym"]


def test_an_out_of_date_country_table_is_rewritten_and_not_read(index_dir, tmp_path, monkeypatch):
    stale = json.loads((index_dir / country_terms.FILENAME).read_text("utf-8"))
    stale["key"] = "0" * 16
    stale["names"] = []
    path = tmp_path / country_terms.FILENAME
    path.write_text(json.dumps(stale), "utf-8")
    monkeypatch.setattr(country_terms, "_loaded", None)
    country_terms.load(tmp_path)
    assert country_terms._loaded is None
    assert country_terms.table().codes(("امريكا",)) == {"US"}
    country_terms.save(tmp_path)
    assert json.loads(path.read_text("utf-8")) == country_terms.build()
