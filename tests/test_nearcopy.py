"""Near-copies: a wire story printed by several papers is one hit, listing
the others; facets still count every article."""

import json
import zlib

import numpy as np
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from indexer import nearcopy
from indexer.cli import cli
from indexer.search import Filters, SearchService
from indexer.writer import index_articles
from search_web import create_app
from search_web import service as web_service
from tests.conftest import article

WIRE = (
    "أعلنت وزارة الصحة السعودية اليوم تسجيل حالات جديدة من فيروس كورونا في مدينة الرياض "
    "وقالت الوزارة في بيان رسمي إن الحالات الجديدة تخضع للعلاج في المستشفيات وإن الفرق الطبية "
    "تتابع المخالطين وتجري الفحوص اللازمة لهم وأكدت أن الوضع تحت السيطرة وأن الإجراءات الوقائية "
    "مستمرة في جميع المنشآت الصحية وحثت المواطنين على الالتزام بالتعليمات والإبلاغ عن أي أعراض"
)
OTHER = (
    "افتتح أمير منطقة مكة المكرمة معرضا للكتاب في جدة بمشاركة مئات دور النشر من الدول العربية "
    "والأجنبية وتضمن المعرض ندوات ثقافية وأمسيات شعرية وورش عمل للأطفال والشباب وقال المنظمون إن "
    "عدد الزوار في اليوم الأول تجاوز التوقعات وإن المعرض سيستمر عشرة أيام بحضور كتاب ومفكرين بارزين"
)


def corpus():
    # One wire story in three papers: other headlines, a byline or a
    # sentence of their own.  A fourth paper writes about something else.
    return [
        article("okaz-1", "الصحة: حالات كورونا جديدة", WIRE, source="okaz", date="2015-08-01"),
        article("sabq-1", "كورونا يعود إلى الرياض", "سبق- الرياض: " + WIRE, source="sabq", date="2015-08-01"),
        article("riyadh-1", "تسجيل إصابات بكورونا", WIRE + " وفي سياق متصل أغلقت عيادة مؤقتا",
                source="alriyadh", date="2015-08-02"),
        article("madina-1", "معرض الكتاب", OTHER + " وحضر الافتتاح مسؤولون من وزارة الصحة", source="almadina",
                date="2015-08-03"),
    ]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("nearcopy")
    # Two runs: a copy found against the index, not only within a run.
    index_articles(path, corpus()[:2], entities=False)
    index_articles(path, corpus()[2:], entities=False)
    return path


def test_signatures_estimate_similarity():
    a, b, c = nearcopy.signature(WIRE), nearcopy.signature("سبق- الرياض: " + WIRE), nearcopy.signature(OTHER)
    assert nearcopy.similarity(a, b) >= nearcopy.THRESHOLD
    assert nearcopy.similarity(a, c) < 0.2
    assert not nearcopy.signature("خبر قصير جدا").any()   # too short to compare


def test_a_signature_is_the_minhash_of_its_definition():
    # Signatures of earlier runs are compared with new ones, so a faster
    # computation must give the same minima: here in Python integers.
    from analyzers.analysis import index_terms

    terms = [t for t in index_terms(WIRE.split()) if t is not None]
    hashes = [zlib.crc32(t.encode("utf-8")) for t in terms]
    mask = (1 << 64) - 1
    shingles = set()
    for i in range(len(hashes) - nearcopy.SHINGLE + 1):
        value = 0
        for h in hashes[i:i + nearcopy.SHINGLE]:
            value = (value * int(nearcopy._MIX) + h) & mask
        shingles.add(value)
    expected = [min(((s * int(a) + int(b)) & mask) >> 32 for s in shingles)
                for a, b in zip(nearcopy._A, nearcopy._B)]
    assert nearcopy.signature(WIRE).tolist() == expected


def test_a_wire_story_shows_once_with_its_copies(index_dir):
    with SearchService(index_dir) as service:
        results = service.search("كورونا الصحة")
        assert results.total == 4 and results.stories == 2
        story = results.hits[0]
        assert story.id in {"okaz-1", "sabq-1", "riyadh-1"}
        assert len(story.copies) == 2
        assert {story.source} | {c["source"] for c in story.copies} == {"okaz", "sabq", "alriyadh"}
        # Collapsing changes the hits, not the facets, which count articles.
        flat = service.search("كورونا الصحة", collapse=False)
        assert len(flat.hits) == 4 and all(h.copies == [] for h in flat.hits)
        assert results.facets["source"] == flat.facets["source"]
        assert sum(f["count"] for f in results.facets["source"]) == 4
        # Filtering to one paper leaves one copy: no copies listed.
        alone = service.search("كورونا", filters=Filters(sources=["sabq"]))
        assert [h.id for h in alone.hits] == ["sabq-1"] and alone.hits[0].copies == []
        doc = service.document("okaz-1")
        assert {c["id"] for c in doc["copies"]} == {"sabq-1", "riyadh-1"}
        assert service.document("madina-1")["copies"] == []


def test_the_cli_says_and_n_more_copies(index_dir):
    runner = CliRunner()
    out = runner.invoke(cli, ["query", "كورونا الصحة", "--index-dir", str(index_dir)]).output
    assert "4 articles match, 2 stories" in out and "and 2 more copies" in out
    flat = runner.invoke(cli, ["query", "كورونا الصحة", "--no-collapse", "--index-dir", str(index_dir)]).output
    assert "and 2 more" not in flat and all(i in flat for i in ("okaz-1", "sabq-1", "riyadh-1"))
    data = json.loads(runner.invoke(cli, ["query", "كورونا", "--json", "--index-dir", str(index_dir)]).output)
    assert data["stories"] == 1 and len(data["hits"][0]["copies"]) == 2


def test_the_page_and_the_api(index_dir):
    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True})
    client = app.test_client()
    try:
        soup = BeautifulSoup(client.get("/?q=كورونا").get_data(as_text=True), "html.parser")
        hits = soup.select("ol.hits > li.hit")
        assert len(hits) == 1
        copies = hits[0].select_one("details.copies")
        assert copies["data-copies"] == "2" and "ونسختان من الخبر نفسه" in copies.summary.get_text()
        assert "عكاظ" in copies.summary.get_text() or "سبق" in copies.summary.get_text()
        assert len(copies.select("li a")) == 2
        flat = BeautifulSoup(client.get("/?q=كورونا&collapse=0").get_data(as_text=True), "html.parser")
        assert len(flat.select("ol.hits > li.hit")) == 3
        api = client.get("/api/search?q=كورونا&collapse=0").get_json()
        assert api["collapsed"] is False and len(api["hits"]) == 3
        doc = BeautifulSoup(client.get("/documents/okaz-1").get_data(as_text=True), "html.parser")
        assert len(doc.select(".entity-copies li")) == 2
    finally:
        web_service.shutdown(app)


def test_clusters_use_the_index_and_the_run():
    sig = nearcopy.signature(WIRE)
    index = nearcopy.Clusters(np.stack([sig]), np.asarray([42], dtype=np.int64))
    assert index.assign("x", nearcopy.signature("سبق- " + WIRE)) == 42
    fresh = index.assign("y", nearcopy.signature(OTHER))
    assert fresh != 42 and index.assign("z", nearcopy.signature(OTHER + " مضاف")) == fresh


def filler(i):
    # A body of its own: the words of OTHER in an order drawn for ``i``,
    # which shares no 5-word run with another filler (or with WIRE).
    words = OTHER.split()
    np.random.default_rng(i).shuffle(words)
    return " ".join(words)


def cluster_keys(index_dir):
    """{id: (key in the search arrays, key in the segment's own column)}."""
    from indexer import columns
    from indexer.writer import open_index

    out = {}
    ix = open_index(index_dir)
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            saved, computed = columns.for_segment(index_dir, leaf), columns.compute(leaf)
            for docnum, fields in leaf.iter_docs():
                out[fields["id"]] = (int(saved.clusters[docnum]), int(computed.clusters[docnum]))
    return out


@pytest.mark.parametrize("entities", [False, True])
def test_copies_in_other_workers_chunks_and_batches_join_one_cluster(tmp_path, monkeypatch, entities):
    # Batches of 8 in two workers' chunks of 4: the wire story's copies are
    # in both chunks of the first batch and in the second batch.  Workers
    # write each article as a cluster of its own; the parent gives copies
    # the first copy's key, in the segment and its search arrays alike, as
    # one process indexing them in order does.  With entities, a body's
    # words come from the recogniser's.
    import indexer.writer as writer

    monkeypatch.setattr(writer, "MIN_PARALLEL_BATCH", 4)
    wire = {1: "okaz", 6: "sabq", 10: "alriyadh"}
    articles = [
        article(f"a{i}", f"خبر {i}", ("سبق- " if i in wire else "") + (WIRE if i in wire else filler(i)),
                source=wire.get(i, "test"), date="2015-08-01")
        for i in range(14)
    ]
    found = {}
    for jobs in (1, 2):
        index_articles(tmp_path / str(jobs), articles, entities=entities, batch_size=8, jobs=jobs)
        found[jobs] = cluster_keys(tmp_path / str(jobs))
    assert found[2] == found[1]
    keys = {doc_id: saved for doc_id, (saved, column) in found[2].items()}
    assert all(saved == column for saved, column in found[2].values())
    assert keys["a6"] == keys["a10"] == keys["a1"] == nearcopy.cluster_key("a1")
    others = [keys[f"a{i}"] for i in range(14) if i not in wire]
    assert others == [nearcopy.cluster_key(f"a{i}") for i in range(14) if i not in wire]


def test_a_committed_segment_is_never_rewritten(tmp_path, monkeypatch):
    # Cluster keys are rewritten in place in the segments a batch built,
    # which no reader can have open; a segment the index names already is
    # refused, and the index keeps what it held.
    import indexer.writer as writer
    from indexer.whoosh_internals import committed_segment_ids

    index_articles(tmp_path, corpus()[:2], entities=False, jobs=1)
    ix = writer.open_index(tmp_path)
    with ix.reader() as reader:
        ((leaf, _),) = reader.leaf_readers()
        segment = leaf.segment()
    assert committed_segment_ids(ix) == {segment.segment_id()}
    monkeypatch.setattr(writer, "build_segment", lambda *args, **kwargs: (
        segment, np.zeros((len(args[2]), nearcopy.PERMUTATIONS), dtype=np.uint32)))
    with pytest.raises(RuntimeError, match="in the index already"):
        index_articles(tmp_path, corpus()[2:3], entities=False, jobs=1)
    with writer.open_index(tmp_path).searcher() as searcher:
        assert sorted(doc["id"] for doc in searcher.all_stored_fields()) == ["okaz-1", "sabq-1"]
