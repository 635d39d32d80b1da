"""Entity facets end to end: recognised at index time, counted and filtered
by the search service and the CLI."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.cli import cli
from indexer.columns import FacetArrays
from indexer.facets import FacetColumn, Selection
from indexer.search import Filters, SearchService
from tests.conftest import SEEDS, article

ARTICLES = [
    article("a", "طهران وبغداد", "أكد وزير الخارجية الإيراني في طهران أن التعاون مع العراق مستمر.",
            date="2015-07-01", source="alriyadh"),
    article("b", "موسكو", "قال الكرملين إن روسيا ستواصل دعم الحكومة السورية في دمشق.",
            date="2015-07-05", source="sabq"),
    article("c", "الموصل", "استعاد الجيش العراقي أحياء في الموصل من تنظيم داعش.",
            date="2015-08-01", source="sabq"),
    article("d", "النفط", "ارتفعت أسعار النفط في الأسواق الآسيوية اليوم.",
            date="2015-08-02", source="okaz"),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    from indexer.writer import index_articles

    index_dir = tmp_path_factory.mktemp("facets")
    index_articles(index_dir, ARTICLES, entities=True)
    with SearchService(index_dir) as s:
        yield s


def counts(results, facet):
    return {f["value"]: f["count"] for f in results.facets[facet]}


def ids(results):
    return sorted(h.id for h in results.hits)


def test_country_facets_with_labels(service):
    results = service.search("في OR من OR النفط OR الموصل OR موسكو OR طهران")
    country = counts(results, "country")
    assert country["IQ"] == 2 and country["IR"] == 1 and country["RU"] == 1 and country["SY"] == 1
    iraq = next(f for f in results.facets["country"] if f["value"] == "IQ")
    assert (iraq["label"], iraq["label_en"]) == ("العراق", "Iraq")


def test_values_within_a_facet_or_and_facets_and(service):
    query = "طهران OR موسكو OR الموصل OR النفط"
    assert ids(service.search(query, filters=Filters(countries=["IR", "RU"]))) == ["a", "b"]
    assert ids(service.search(query, filters=Filters(countries=["IQ"], sources=["sabq"]))) == ["c"]
    assert ids(service.search(query, filters=Filters(countries=["IQ", "RU"], sources=["sabq"]))) == ["b", "c"]
    assert service.search(query, filters=Filters(countries=["IR"], sources=["sabq"])).hits == []


def test_facet_counts_follow_the_filters(service):
    # Other facets are counted within the filters; the filtered facet
    # itself without its own filter (what ticking another source would add).
    results = service.search("طهران OR موسكو OR الموصل OR النفط", filters=Filters(sources=["sabq"]))
    assert counts(results, "country") == {"IQ": 1, "RU": 1, "SY": 1}
    assert counts(results, "source") == {"sabq": 2, "alriyadh": 1, "okaz": 1}


def test_actor_facet_and_filter(service):
    results = service.search("الموصل OR طهران")
    actors = counts(results, "actor")
    assert "تنظيم الدولة الإسلامية" in actors
    filtered = service.search("الموصل OR طهران", filters=Filters(actors=["تنظيم الدولة الإسلامية"]))
    assert ids(filtered) == ["c"]


def test_document_carries_its_entities(service):
    doc = service.document("c")
    assert [c["code"] for c in doc["entities"]["countries"]] == ["IQ"]
    assert any("داعش" in alias for a in doc["entities"]["actors"] for alias in a["aliases"])


def test_cli_country_filter_by_any_name(tmp_path):
    from indexer.writer import index_articles

    index_dir = tmp_path / "ix"
    index_articles(index_dir, ARTICLES, entities=True)
    runner = CliRunner()
    for name in ("RU", "روسيا", "Russia"):
        result = runner.invoke(cli, ["--index-dir", str(index_dir), "query", "موسكو OR طهران",
                                     "--country", name, "--json"])
        assert result.exit_code == 0, result.output
        assert [h["id"] for h in json.loads(result.output)["hits"]] == ["b"]
    result = runner.invoke(cli, ["--index-dir", str(index_dir), "query", "موسكو", "--country", "Narnia"])
    assert result.exit_code == 2 and "unknown country 'Narnia'" in result.output


def test_cli_entities_prints_one_object_per_article(tmp_path):
    src = tmp_path / "two.jsonl"
    src.write_text("\n".join(json.dumps({"id": a.id, "content": a.body}, ensure_ascii=False)
                             for a in ARTICLES[:2]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["entities", "extract", str(src)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    assert {"IR", "IQ"} <= {c["code"] for c in lines[0]["countries"]}
    assert set(lines[0]) == {"id", "countries", "actors"}
    assert {"code", "label_ar", "label_en", "count"} == set(lines[0]["countries"][0])


def test_seed_article_facets(seed_index):
    with SearchService(seed_index) as service:
        results = service.search("بغداد")
    assert set(counts(results, "country")) == {"IQ", "IR", "RU", "SY", "US"}
    actors = counts(results, "actor")
    for name in ("تحسين الخفاجي", "قوات سورية الديمقراطية", "العربي الجديد", "قاسم الأعرجي"):
        assert name in actors
    assert "المركز الأمني" not in actors and "السفير الروسي" not in actors


def test_filters_without_words_browse_newest_first(service):
    results = service.search("", filters=Filters(sources=["sabq"]))
    assert [h.id for h in results.hits] == ["c", "b"] and results.sort == "date"
    assert counts(results, "source") == {"sabq": 2, "alriyadh": 1, "okaz": 1}


def test_document_actors_carry_their_facet_value(service):
    doc = service.document("c")
    for actor in doc["entities"]["actors"]:
        filtered = service.search("", filters=Filters(actors=[actor["value"]]))
        assert "c" in ids(filtered)


def test_cli_entities_keeps_order_across_batches(tmp_path):
    from indexer.segments import ENTITY_BATCH

    count = ENTITY_BATCH + 6
    src = tmp_path / "many.jsonl"
    rows = [{"id": f"n{i}", "content": "وصل الوفد إلى بغداد" if i % 2 else "غادر الوزير موسكو"}
            for i in range(count)]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = CliRunner().invoke(cli, ["entities", "extract", str(src)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in rows]
    assert [line["countries"][0]["code"] for line in lines] == ["IQ" if i % 2 else "RU" for i in range(count)]


# --- counting a selection once (indexer.facets.Selection) ----------------------

@st.composite
def columns(draw):
    """A facet column of up to 40 documents, its entries in document order
    or shuffled, and a selection of its documents."""
    size = draw(st.integers(1, 40))
    entries = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 5)), max_size=120))
    if draw(st.booleans()):
        entries.sort(key=lambda e: e[0])
    docs = np.asarray([d for d, _ in entries], dtype=np.int64)
    vals = np.asarray([v for _, v in entries], dtype=np.int64)
    column = FacetColumn(FacetArrays(docs, vals, [f"v{i}" for i in range(6)]), size)
    mask = np.asarray(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    return column, mask


class OneColumn:
    def __init__(self, column):
        self.column = column

    def facet(self, name):
        return self.column


@settings(max_examples=300, deadline=None)
@given(columns(), st.sampled_from([None, 1, 3]))
def test_a_selections_counts_are_the_columns(found, limit):
    column, mask = found
    selection = Selection(OneColumn(column), mask)
    assert selection.count("x", limit) == column.count(mask, limit)
    docs, vals = selection.entries("x")
    assert list(docs) == sorted(docs)
    expected = sorted((int(d), int(v)) for d, v in zip(column.entry_doc, column.entry_val) if mask[d])
    assert sorted(zip(docs.tolist(), vals.tolist())) == expected


@st.composite
def one_value_columns(draw):
    """A column of up to 40 documents with at most one value each (as the
    source, the year and the month), and a selection of its documents."""
    size = draw(st.integers(1, 40))
    values = draw(st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=size, max_size=size))
    docs = np.asarray([d for d, v in enumerate(values) if v is not None], dtype=np.int64)
    vals = np.asarray([v for v in values if v is not None], dtype=np.int64)
    column = FacetColumn(FacetArrays(docs, vals, [f"v{i}" for i in range(6)]), size)
    mask = np.asarray(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    return column, mask, values


@settings(max_examples=300, deadline=None)
@given(one_value_columns(), st.sets(st.integers(0, 6)))
def test_a_column_of_one_value_a_document_is_read_by_document(found, wanted):
    column, mask, values = found
    assert column.doc_values is not None
    counted = {}
    for d, v in enumerate(values):
        if v is not None and mask[d]:
            counted[f"v{v}"] = counted.get(f"v{v}", 0) + 1
    assert dict(column.count(mask)) == counted
    assert column.mask([f"v{v}" for v in wanted]).tolist() == [v is not None and v in wanted for v in values]
    docs, vals = Selection(OneColumn(column), mask).entries("x")
    assert list(zip(docs.tolist(), vals.tolist())) == [
        (d, v) for d, v in enumerate(values) if v is not None and mask[d]
    ]


def test_a_column_with_two_values_in_a_document_is_read_by_entry():
    column = FacetColumn(FacetArrays(np.asarray([0, 0, 1]), np.asarray([0, 1, 1]), ["a", "b"]), 2)
    assert column.doc_values is None
    assert column.count(np.asarray([True, True])) == [("b", 2), ("a", 1)]
