"""The one module that uses Whoosh's private API: its version check, the
segment reads without copies, and the fast postings path."""

import io
import pickle
from datetime import datetime
import random
from dataclasses import replace

import numpy as np
import pytest
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb import compound

from indexer import whoosh_internals as W
from indexer.search import SearchService
from indexer.writer import open_index
from tests.conftest import article


def test_view_reader_reads_like_bytesio():
    rng = random.Random(7)
    data = bytes(rng.randrange(256) for _ in range(20000)) + b"line one\nline two\n"
    view, copy = W.view_reader(memoryview(data)), io.BytesIO(data)
    for _ in range(500):
        op = rng.randrange(4)
        if op == 0:
            pos = rng.randrange(len(data) + 10)
            assert view.seek(pos) == copy.seek(pos)
        elif op == 1:
            size = rng.choice([1, 2, 4, 8, 100, 5000])
            assert view.read(size) == copy.read(size)
        elif op == 2:
            assert view.seek(-3, io.SEEK_CUR if view.tell() >= 3 else io.SEEK_SET) \
                == copy.seek(-3, io.SEEK_CUR if copy.tell() >= 3 else io.SEEK_SET)
        else:
            assert view.tell() == copy.tell()
    view.seek(len(data) - 18)
    assert view.readline() == b"line one\n"
    assert view.read() == b"line two\n" and view.read(5) == b""


def test_segments_open_without_copies(seed_index, monkeypatch):
    # Every file inside a segment is read through the mapping.
    opened = []
    original = compound.CompoundStorage.open_file

    def spy(self, name, *args, **kwargs):
        opened.append(original(self, name, *args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(compound.CompoundStorage, "open_file", spy)
    with open_index(seed_index).searcher() as searcher:
        assert searcher.doc_count() >= 1 and list(searcher.lexicon("text"))
    assert opened and all(isinstance(f, W.ViewBufferFile) for f in opened)


def test_importing_the_archive_patches_nothing_in_whoosh():
    # The read fix is a storage passed where the index is opened, not a
    # process-wide patch made as a side effect of an import.
    import indexer.search  # noqa: F401
    import indexer.writer  # noqa: F401

    assert compound.CompoundStorage.open_file.__module__ == "whoosh.filedb.compound"


@pytest.mark.parametrize("module_version, dist_version, needle", [
    ((2, 7, 4), "2.7.4", "found whoosh-reloaded 2.7.4"),
    ((2, 7, 4), None, "whoosh-reloaded not installed with whoosh 2.7.4"),
    ((2, 7, 5), "2.7.6", "found whoosh-reloaded 2.7.6"),
], ids=["old whoosh-reloaded", "PyPI whoosh instead", "newer release"])
def test_any_other_whoosh_fails_loudly(module_version, dist_version, needle):
    with pytest.raises(W.WhooshVersionError) as e:
        W.check_whoosh(module_version, dist_version)
    assert needle in str(e.value) and "pip install 'whoosh-reloaded==2.7.5'" in str(e.value)


def test_the_installed_whoosh_is_the_supported_one():
    W.check_whoosh(W.whoosh.__version__, W._distribution_version())


def test_the_distribution_version_is_importlib_metadatas():
    from importlib import metadata

    assert W._distribution_version() == metadata.version(W.DISTRIBUTION)


def test_dist_info_folders_are_read_by_their_names(tmp_path):
    for name in ("whoosh_reloaded-2.7.5.dist-info", "Whoosh.Reloaded-2.7.6.dist-info",
                 "whoosh-2.7.4.dist-info", "whoosh_reloaded-2.7.5.data", "whoosh_reloaded_extra-1.0.dist-info"):
        (tmp_path / name).mkdir()
    assert sorted(W._dist_info_versions(tmp_path)) == ["2.7.5", "2.7.6"]
    assert W._dist_info_versions(tmp_path / "missing") == []


@pytest.mark.parametrize("found", [[], ["2.7.5", "2.7.6"]], ids=["none", "two"])
def test_importlib_metadata_answers_without_exactly_one_dist_info(monkeypatch, found):
    from importlib import metadata

    monkeypatch.setattr(W, "_dist_info_versions", lambda folder: found)
    monkeypatch.setattr(metadata, "version", lambda name: f"metadata's {name}")
    assert W._distribution_version() == "metadata's whoosh-reloaded"


# What Whoosh imports and never calls (see import_whoosh), checked in a fresh
# process: in this one, the test modules loaded Whoosh already.
IMPORT_WHOOSH_CHECK = """
import json, sys
import indexer.whoosh_internals as W
never = [m for m in ("urllib.request", "cached_property", "asyncio", "whoosh.lang.morph_en",
                     "importlib.metadata", "email") if m in sys.modules]
stand_ins = sorted(k for k, v in sys.modules.items() if (v.__doc__ or "").startswith("A stand-in"))

import whoosh.compat, whoosh.query.terms, whoosh.reading
import urllib.request, cached_property
import whoosh.lang.morph_en as morph_en
urllib.request.urlretrieve = lambda *args: ("the real module's", args)
print(json.dumps({
    "never": never,
    "stand_ins": stand_ins,
    "real urllib.request": hasattr(urllib.request, "urlopen"),
    "real cached_property": hasattr(cached_property, "threaded_cached_property"),
    "urlretrieve": whoosh.compat.urlretrieve("u"),
    "variations": sorted(whoosh.query.terms.variations("rendering")) == sorted(morph_en.variations("rendering")),
    "cached_property": type(vars(whoosh.reading.SegmentReader)["deleted_docs_set"]) is W.CachedProperty,
}))
"""


def test_whoosh_loads_without_the_modules_it_never_calls():
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-c", IMPORT_WHOOSH_CHECK], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert json.loads(done.stdout) == {
        "never": [], "stand_ins": [],
        "real urllib.request": True, "real cached_property": True,
        "urlretrieve": ["the real module's", ["u"]],
        "variations": True, "cached_property": True,
    }


def test_cached_property_is_computed_once_per_instance():
    class Reader:
        calls = 0

        @W.CachedProperty
        def deleted(self):
            """The deleted docnums."""
            Reader.calls += 1
            return frozenset({self.calls})

    a, b = Reader(), Reader()
    assert a.deleted is a.deleted and Reader.calls == 1
    assert b.deleted == {2} and vars(a) == {"deleted": frozenset({1})}
    assert isinstance(Reader.deleted, W.CachedProperty) and Reader.deleted.__doc__ == "The deleted docnums."
    del a.deleted
    assert a.deleted == {3}


def test_private_instance_attributes_exist(seed_index):
    ix = open_index(seed_index)
    with ix.searcher() as searcher:
        sub = searcher.leaf_searchers()[0][0].reader()
        term = next(iter(sub.lexicon("text"))).decode("utf-8")
        matcher = sub.postings("text", term)
        for name in W.INSTANCE_NAMES[W3LeafMatcher]:
            assert hasattr(matcher, name), name
        for name in W.INSTANCE_NAMES[W.SegmentReader]:
            assert hasattr(sub, name), name
    from indexer.scoring import LuceneBM25

    for name in W.INSTANCE_NAMES[W.BM25F]:
        assert hasattr(LuceneBM25(), name), name
    for name in W.INSTANCE_NAMES[W.W3TermInfo]:
        assert hasattr(W.W3TermInfo(), name), name


def test_private_writer_attributes_exist(tmp_path):
    from indexer import schema as S

    ix = W.PrivateTempStorage(str(tmp_path)).create_index(S.build_schema())
    writer = W.ChunkWriter(ix, limitmb=32)
    try:
        for name in W.INSTANCE_NAMES[W.SegmentWriter]:
            assert hasattr(writer, name), name
        for name in W.INSTANCE_NAMES[W.W3PerDocWriter]:
            assert hasattr(writer.perdocwriter, name), name
        stored = writer.perdocwriter._colwriters[W.STORED_COLUMN_NAME]
        assert isinstance(stored, W.WrappedColumnWriter) and isinstance(stored._child, W.CompressedBytesColumn.Writer)
        assert stored._child._level == W.STORED_LEVEL
        fieldwriter = writer.fieldwriter
        fieldwriter.start_field(S.TEXT, ix.schema[S.TEXT])
        for name in W.INSTANCE_NAMES[W.W3FieldWriter]:
            assert hasattr(fieldwriter, name), name
        for name in W.INSTANCE_NAMES[W.W3PostingsWriter]:
            assert hasattr(fieldwriter._postwriter, name), name
        for name in W.INSTANCE_NAMES[W.OrderedHashWriter]:
            assert hasattr(fieldwriter._tindex, name), name
        fieldwriter.finish_field()
    finally:
        writer.abandon()


CORPUS = [
    article(f"d{i}", f"خبر {i}", f"النفط في الرياض {'والأسعار ' * (i % 4)}رقم{i}")
    for i in range(300)
]


@pytest.fixture
def ranked_index(tmp_path):
    from indexer.writer import index_articles

    # Two runs: the second replaces some articles, so the first segment
    # has deleted documents (Whoosh wraps its postings in a filter).
    index_articles(tmp_path, CORPUS, entities=False)
    index_articles(tmp_path, [replace(a, body=a.body + " جديد") for a in CORPUS[:40]], entities=False)
    return tmp_path


def test_searches_read_postings_a_block_at_a_time(ranked_index, monkeypatch):
    # Whoosh's public, one-posting-at-a-time path must not be taken: an
    # upgrade that breaks the block path has to fail, not get slower.
    def slow_path(self, *args):
        raise AssertionError("read one posting at a time")

    for name in ("id", "weight", "next", "all_ids", "supports_block_quality"):
        monkeypatch.setattr(W3LeafMatcher, name, slow_path)
    with SearchService(ranked_index) as service:
        with service.reading() as (searcher, _):
            assert searcher.reader().has_deletions()
        results = service.search("النفط", per_page=5, facets=False, snippets=False)
        assert results.total == 300
        assert service.search("الأسعار", facets=False, snippets=False).total == 225


def test_block_reads_equal_whooshs_postings(ranked_index):
    # Deleted documents left out, as Whoosh's filtered postings do.
    with open_index(ranked_index).searcher() as searcher:
        for sub, _ in searcher.leaf_searchers():
            reader = sub.reader()
            slow = reader.postings("text", "اسعار")
            ids, weights = [], []
            while slow.is_active():
                ids.append(slow.id())
                weights.append(slow.weight())
                slow.next()
            fast_ids, fast_weights = W.segment_postings(reader, "text", "اسعار")
            assert fast_ids.tolist() == ids and np.allclose(fast_weights, weights)


def test_unknown_matchers_are_refused():
    from whoosh.matching import NullMatcher

    with pytest.raises(W.WhooshVersionError, match="block at a time"):
        W.posting_arrays(NullMatcher())


@pytest.mark.parametrize("term", ["نفط", "اسعار", "رقم7", "جديد"], ids=["every doc", "most docs", "one doc (inlined)", "the re-indexed"])
def test_block_positions_equal_whooshs(ranked_index, term):
    # Every document of each segment is asked for, those without the term
    # too: they get no entry.
    rng = random.Random(3)
    with open_index(ranked_index).searcher() as searcher:
        for sub, _ in searcher.leaf_searchers():
            reader = sub.reader()
            if ("text", term) not in reader:
                continue
            slow = W.raw_matcher(reader, "text", term)
            expected = {}
            while slow.is_active():
                expected[slow.id()] = slow.value_as("positions")
                slow.next()
            everyone = list(range(reader.doc_count_all()))
            assert W.term_positions(reader, "text", term, everyone) == expected
            some = sorted(rng.sample(everyone, min(7, len(everyone))))
            assert W.term_positions(reader, "text", term, some) == {d: expected[d] for d in some if d in expected}


def test_positions_of_an_inlined_posting_list(ranked_index, monkeypatch):
    # Whoosh inlines a term's postings in its term info only with a codec
    # that asks for it (inlinelimit); they come as a ListMatcher.
    from whoosh.matching import ListMatcher

    with open_index(ranked_index).searcher() as searcher:
        reader = searcher.leaf_searchers()[0][0].reader()
        block = W.raw_matcher(reader, "text", "اسعار")
        ids, values = [], []
        while block.is_active():
            ids.append(block.id())
            values.append(block.value())
            block.next()
        expected = W.term_positions(reader, "text", "اسعار", ids[:3] + [ids[-1]])
        fmt = reader.schema["text"].format
        monkeypatch.setattr(W, "raw_matcher", lambda *a: ListMatcher(ids, [1.0] * len(ids), values, fmt))
        assert W.term_positions(reader, "text", "اسعار", ids[:3] + [ids[-1]]) == expected
        missing = next(d for d in range(ids[-1] + 2) if d not in ids)
        assert W.term_positions(reader, "text", "اسعار", [missing]) == {}


def test_the_rankers_positions_are_read_once_and_bounded(ranked_index, monkeypatch):
    from indexer import ranking

    monkeypatch.setattr(ranking, "POSITIONS_CACHE", 50)
    with SearchService(ranked_index) as service:
        with service.reading() as (searcher, snapshot):
            ranker = snapshot.ranker
            with ranker.using(searcher):
                docs = ranker.postings("text", "اسعار")[0].tolist()
                expected = {}
                for sub, offset in searcher.leaf_searchers():
                    local = [d - offset for d in docs if offset <= d < offset + sub.doc_count_all()]
                    expected.update({d + offset: tuple(p) for d, p in
                                     W.term_positions(sub.reader(), "text", "اسعار", local).items()})
                assert len(expected) == len(docs) > 50
                assert ranker.positions("text", "اسعار", docs) == expected
                assert len(ranker._positions) <= 50
                # Read again: some from the cache, the rest from the index.
                assert ranker.positions("text", "اسعار", docs[::7]) == {d: expected[d] for d in docs[::7]}


def _segment_files(index_dir):
    """{name without the segment id: bytes} of the index's one compound segment."""
    from whoosh.filedb.filestore import FileStorage

    (seg,) = [p for p in index_dir.iterdir() if p.suffix == ".seg"]
    files = compound.CompoundStorage(FileStorage(str(index_dir)).open_file(seg.name), use_mmap=False)
    return {name.split(".", 1)[1]: files.open_file(name).read() for name in files.list()}


def _build(index_dir, corpus):
    from indexer.segments import build_segment
    from indexer.writer import INDEX_NAME, create_or_open

    create_or_open(index_dir)
    build_segment(str(index_dir), INDEX_NAME, corpus, entities=False, limitmb=64)


def test_terms_are_written_as_whoosh_writes_their_postings(tmp_path, monkeypatch):
    # 300 articles: النفط's 300 postings span three blocks of 128; words
    # of one article, one block; lengths and term frequencies vary.  Every
    # block compressed, as Whoosh's writer compresses them, and pickled at
    # the archive's protocol (Whoosh's is 2; the 3-tuple is the ids, weights
    # and values, the 6-tuple the block's statistics).
    monkeypatch.setattr(W, "MIN_COMPRESSED", 0)
    monkeypatch.setattr(whoosh3, "dumps", lambda obj, protocol: pickle.dumps(
        obj, W.BLOCK_PROTOCOL if len(obj) == 3 else protocol))
    built = {}
    for way in ("terms", "postings"):
        if way == "postings":
            # The same terms, a posting at a time through Whoosh's own writer.
            def add_postings(fieldwriter, schema, lengths, terms):
                fieldwriter.add_postings(schema, lengths, (
                    (field, text, docnum, weight, value)
                    for field, text, docnums, weights, values in terms
                    for docnum, weight, value in zip(docnums, weights, values)
                ))

            monkeypatch.setattr(W, "_add_terms", add_postings)
        _build(tmp_path / way, CORPUS)
        built[way] = _segment_files(tmp_path / way)
    assert built["terms"].keys() == built["postings"].keys()
    for name in built["terms"]:
        assert built["terms"][name] == built["postings"][name], name


def test_documents_are_added_as_whoosh_adds_them(tmp_path, monkeypatch):
    from indexer.segments import build_segment
    from indexer.writer import INDEX_NAME, create_or_open

    # Every kind of field the archive writes: text, ids, a date, columns,
    # stored values, entities' facets; one article without a date.
    corpus = [replace(a, date=datetime(2015, 1 + i % 12, 1 + i % 28), source=f"src{i % 3}")
              for i, a in enumerate(CORPUS[:60])]
    corpus += [article("king", "زيارة", "قال الملك سلمان بن عبدالعزيز في الرياض إن وزارة الخارجية "
                       "تتابع الوضع في العراق مع الأمم المتحدة", date="2016-02-03"),
               replace(CORPUS[60], source="")]
    built = {}
    for way in ("by field", "whoosh"):
        if way == "whoosh":
            monkeypatch.setattr(W.ChunkWriter, "add_document", W.SegmentWriter.add_document)
        create_or_open(tmp_path / way)
        build_segment(str(tmp_path / way), INDEX_NAME, corpus, entities=True, limitmb=64)
        built[way] = _segment_files(tmp_path / way)
    assert built["by field"].keys() == built["whoosh"].keys()
    for name in built["whoosh"]:
        assert built["by field"][name] == built["whoosh"][name], name


def _postings(index_dir):
    """{(field, term): (term statistics, postings)} read through Whoosh's
    own matcher, each posting with its block's statistics; and the
    compression levels the blocks were written with."""
    out, levels = {}, set()
    with open_index(index_dir).reader() as reader:
        for field, text in reader.all_terms():
            info = reader.term_info(field, text)
            matcher = W.raw_matcher(reader, field, text)
            postings = []
            while matcher.is_active():
                levels.add(matcher._compression)
                postings.append((matcher.id(), matcher.weight(), matcher.value(), matcher.block_min_length(),
                                 matcher.block_max_length(), matcher.block_max_weight()))
                matcher.next()
            out[field, text] = ((info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                                 info.max_weight(), info.min_id(), info.max_id()), postings)
    return out, levels


def _shipped_and(tmp_path, monkeypatch, name, value):
    """Index CORPUS as shipped and again with ``W.<name>`` set to ``value``;
    assert that both read back the same postings; return each way's block
    compression levels and postings file."""
    from indexer.writer import index_articles

    index_articles(tmp_path / "shipped", CORPUS, entities=False, jobs=1)
    monkeypatch.setattr(W, name, value)
    index_articles(tmp_path / "changed", CORPUS, entities=False, jobs=1)
    (shipped, levels), (changed, changed_levels) = _postings(tmp_path / "shipped"), _postings(tmp_path / "changed")
    assert shipped.keys() == changed.keys() and len(shipped) > 100
    for key in shipped:
        assert shipped[key] == changed[key], key
    files = [_segment_files(tmp_path / way)["pst"] for way in ("shipped", "changed")]
    return (levels, files[0]), (changed_levels, files[1])


def test_small_posting_blocks_are_left_uncompressed_and_read_the_same(tmp_path, monkeypatch):
    (levels, postings), (all_levels, all_postings) = _shipped_and(tmp_path, monkeypatch, "MIN_COMPRESSED", 0)
    assert levels == {0, 3} and all_levels == {3}
    assert len(postings) < len(all_postings)


def test_posting_blocks_pickled_at_protocol_4_read_as_whooshs_protocol_2(tmp_path, monkeypatch):
    (_, postings), (_, whooshs) = _shipped_and(tmp_path, monkeypatch, "BLOCK_PROTOCOL", 2)
    assert len(postings) < 0.9 * len(whooshs)


def test_a_document_with_a_stored_value_of_its_own_takes_whooshs_way(tmp_path, monkeypatch):
    from indexer.segments import document_fields
    from indexer.writer import INDEX_NAME, create_or_open

    create_or_open(tmp_path).close()
    whoosh_way = []
    add_document = W.SegmentWriter.add_document
    monkeypatch.setattr(W.SegmentWriter, "add_document",
                        lambda self, **fields: whoosh_way.append(fields["id"]) or add_document(self, **fields))
    ix = W.PrivateTempStorage(str(tmp_path)).open_index(INDEX_NAME)
    writer = W.ChunkWriter(ix, limitmb=32)
    writer.add_document(**document_fields(CORPUS[0]), _stored_title="عنوان آخر")
    writer.add_document(**document_fields(CORPUS[1]))
    W.commit_segments(ix, [writer.finish_segment()], lambda w: None)
    assert whoosh_way == [CORPUS[0].id]
    with open_index(tmp_path).searcher() as searcher:
        assert [searcher.stored_fields(d)["title"] for d in range(2)] == ["عنوان آخر", CORPUS[1].title]
        assert searcher.doc_frequency("text", "نفط") == 2
