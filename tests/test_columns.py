"""Each segment's search arrays, saved beside it and joined by the service."""

from datetime import datetime

import numpy as np

from indexer import columns
from indexer import schema as S
from indexer.search import Filters, SearchService
from indexer.writer import create_or_open, index_articles, open_index
from tests.conftest import article

ARTICLES = [
    article(f"a{i}", f"خبر {i}", f"ارتفعت أسعار النفط في بغداد وطهران رقم{i}" + " والرياض" * (i % 3),
            date=f"2015-0{1 + i % 8}-1{i % 9}", source=("okaz", "sabq", "alriyadh")[i % 3])
    for i in range(40)
]


def segment_files(index_dir):
    return sorted(p.name for p in index_dir.iterdir() if p.name.endswith(columns.EXTENSION))


def test_every_segment_has_its_arrays_file_equal_to_its_columns(tmp_path):
    index_articles(tmp_path, ARTICLES[:20], entities=True, batch_size=10, jobs=1)
    index_articles(tmp_path, ARTICLES[20:], entities=True, batch_size=10, jobs=1)
    with open_index(tmp_path).reader() as reader:
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        assert len(leaves) > 1
        assert segment_files(tmp_path) == sorted(
            leaf.segment().segment_id() + columns.EXTENSION for leaf in leaves
        )
        for leaf in leaves:
            saved = columns.load(tmp_path, leaf.segment().segment_id())
            fresh = columns.compute(leaf)
            assert saved.size == fresh.size
            assert np.array_equal(saved.lengths, fresh.lengths) and np.array_equal(saved.dates, fresh.dates)
            for name in columns.FACETS:
                assert saved.facet(name).values == fresh.facet(name).values, name
                assert np.array_equal(saved.facet(name).docs, fresh.facet(name).docs)
                assert np.array_equal(saved.facet(name).vals, fresh.facet(name).vals)


def test_saved_arrays_are_read_only_views_of_one_map(tmp_path):
    import mmap

    index_articles(tmp_path, ARTICLES[:10], entities=True, jobs=1)
    with open_index(tmp_path).reader() as reader:
        segment_id = reader.leaf_readers()[0][0].segment().segment_id()
    saved = columns.load(tmp_path, segment_id)
    arrays = [saved.lengths, saved.dates, saved.clusters, saved.facet("source").docs]
    # Through a memoryview numpy keeps of the map.
    assert all(isinstance(saved._map, mmap.mmap) and a.base.obj is saved._map for a in arrays)
    assert not any(a.flags.writeable for a in arrays)


def test_an_index_without_arrays_files_searches_the_same(tmp_path):
    index_articles(tmp_path, ARTICLES, entities=True, batch_size=15, jobs=1)
    with SearchService(tmp_path) as service:
        before = service.search("النفط", filters=Filters(countries=["IQ"]), per_page=40).to_dict()
    for name in segment_files(tmp_path):
        (tmp_path / name).unlink()
    with SearchService(tmp_path) as service:
        after = service.search("النفط", filters=Filters(countries=["IQ"]), per_page=40).to_dict()
    before.pop("took_ms"), after.pop("took_ms")
    assert after == before and after["total"] == 40


def test_merged_and_replaced_segments_keep_files_in_step(tmp_path):
    # Tiny runs make tiny segments, which Whoosh merges at the next commit;
    # files of merged-away segments go with them.
    for start in range(0, 40, 5):
        index_articles(tmp_path, ARTICLES[start:start + 5], entities=False, jobs=1)
    with open_index(tmp_path).reader() as reader:
        current = sorted(leaf.segment().segment_id() + columns.EXTENSION for leaf, _ in reader.leaf_readers())
    assert segment_files(tmp_path) == current
    with SearchService(tmp_path) as service:
        results = service.search("النفط", per_page=1)
        assert results.total == 40
        assert {f["value"]: f["count"] for f in results.facets["source"]} == {"okaz": 14, "sabq": 13, "alriyadh": 13}


def _date_filtered(index_dir):
    with SearchService(index_dir) as service:
        results = service.search("النفط", filters=Filters(sources=["okaz"], date_from=datetime(2015, 3, 1)),
                                 sort="date", per_page=40).to_dict()
    return [hit["id"] for hit in results["hits"]], {f["value"]: f["count"] for f in results["facets"]["year"]}


def test_fields_read_only_as_columns_write_no_terms_and_older_indexes_read_the_same(tmp_path, monkeypatch):
    new, old = tmp_path / "new", tmp_path / "old"
    index_articles(new, ARTICLES, entities=False, jobs=1)
    with open_index(new).reader() as reader:
        assert not any(field in S.COLUMN_ONLY for field, _ in reader.all_terms())
        assert all(reader.has_column(field) for field in (S.DATE, S.YEAR, S.MONTH, S.SOURCE))
    # An index made when these fields were indexed keeps its schema (Whoosh
    # stores it in the index), so updating it writes their terms still.
    older = S.build_schema()
    for field in S.COLUMN_ONLY:
        older[field].indexed = True
    with monkeypatch.context() as patch:
        patch.setattr(S, "build_schema", lambda: older)
        create_or_open(old).close()
    index_articles(old, ARTICLES, entities=False, jobs=1)
    with open_index(old).reader() as reader:
        assert {field for field, _ in reader.all_terms()} >= set(S.COLUMN_ONLY)
    found = _date_filtered(new)
    assert found == _date_filtered(old)
    expected = [a.id for a in sorted(ARTICLES, key=lambda a: a.date, reverse=True)
                if a.source == "okaz" and a.date >= datetime(2015, 3, 1)]
    assert found[0] == expected and found[1] == {"2015": len(expected)}
