"""Segments built by workers, and the commits that replace articles."""

import gc

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from whoosh.writing import PostingPool

from indexer import schema as S
from indexer import segments, whoosh_internals
from indexer.schema import build_schema
from indexer.whoosh_internals import ChunkWriter, CompactPostingPool
from indexer.writer import _commit, create_or_open, index_articles, open_index
from tests.conftest import article

WORDS = ("النفط الرياض جدة الأمطار المدارس الطلاب الوزير الاتفاق إيران العراق "
         "الحكومة الشركة السوق الأسعار المواطنين المشروع الصحة التعليم").split()


def composed(count):
    return [
        article(f"doc{i}", f"خبر رقم {i}",
                " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 60)) + f" رقم{i}",
                date=f"2015-0{1 + i % 9}-1{i % 10}", source=f"src{i % 3}")
        for i in range(count)
    ]


def build(index_dir, articles, pool_class, limit_bytes):
    """Index ``articles`` as one segment whose postings go through ``pool_class``."""
    ix = create_or_open(index_dir)
    writer = ChunkWriter(segments._index(str(index_dir), "MAIN"), limitmb=64, pool_class=pool_class)
    if limit_bytes:
        writer.pool.limit = limit_bytes
    for a in articles:
        writer.add_document(**segments.document_fields(a))
    _commit(ix, [a.id for a in articles], [writer.finish_segment()], set())
    ix.close()


def contents(index_dir):
    """Every posting, stored field, field length and column of an index."""
    with open_index(index_dir).reader() as r:
        postings = []
        for fieldname, text in r.all_terms():
            m = r.postings(fieldname, text)
            while m.is_active():
                postings.append((fieldname, text, m.id(), m.weight(), m.value()))
                m.next()
        docs = range(r.doc_count_all())
        return (postings, [r.stored_fields(d) for d in docs],
                [r.doc_field_length(d, "text") for d in docs],
                {f: list(r.column_reader(f)) for f in ("year", "month", "source")})


# None: all postings stay in memory; 4 KB: the pool spills dozens of runs.
@pytest.mark.parametrize("limit_bytes", [None, 4096], ids=["in memory", "spilled runs"])
def test_compact_pool_writes_what_whoosh_pool_writes(tmp_path, limit_bytes):
    articles = composed(80)
    build(tmp_path / "whoosh", articles, PostingPool, limit_bytes)
    build(tmp_path / "compact", articles, CompactPostingPool, limit_bytes)
    expected = contents(tmp_path / "whoosh")
    assert expected[0], "no postings"
    assert contents(tmp_path / "compact") == expected


def test_compact_pool_counts_its_bytes():
    pool = CompactPostingPool(None, None, limitmb=1)
    pool.add(("text", "نفط".encode(), 0, 1.0, b"\x01\x02"))
    pool.add(("text", "نفط".encode(), 1, 2.0, None))
    assert pool.currentsize == (whoosh_internals._TERM_COST + 6 + 2 * whoosh_internals._POSTING_COST
                                + whoosh_internals._VALUE_COST + 2)
    assert list(pool.iter_postings()) == [
        ("text", "نفط".encode(), 0, 1.0, b"\x01\x02"),
        ("text", "نفط".encode(), 1, 2.0, None),
    ]


def test_compact_pool_count_bounds_its_real_size():
    import tracemalloc

    schema = build_schema()
    docs = [segments.document_fields(a) for a in composed(300)]
    # Fills the field's cache of one-position values, which is not the pool's.
    for doc in docs:
        schema[S.TEXT].index(doc[S.TEXT])
    gc.collect()
    tracemalloc.start()
    try:
        pool = CompactPostingPool(None, None, limitmb=1024)
        for docnum, doc in enumerate(docs):
            # As Whoosh's writer adds them (the weight multiplied by the boost).
            for name in (S.TEXT, S.ID):
                for tbytes, _, weight, vbytes in schema[name].index(doc[name]):
                    pool.add((name, tbytes, docnum, weight * 1.0, vbytes))
        gc.collect()
        real = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert 0.5 * pool.currentsize < real <= pool.currentsize, (real, pool.currentsize)


def edited(a, text):
    return article(a.id, a.title, a.body + " " + text, date=a.date, source=a.source)


def test_ids_are_replaced_across_batches_and_runs(tmp_path):
    first = index_articles(tmp_path, composed(5), entities=False, batch_size=2, jobs=1)
    assert (first.added, first.updated, first.total_docs) == (5, 0, 5)
    # doc3 twice in one run, in different batches; doc9 is new; doc1 as it was.
    again = composed(10)
    rerun = index_articles(
        tmp_path, [edited(again[3], "أ"), edited(again[0], "ب"), again[9], again[1], edited(again[3], "ج")],
        entities=False, batch_size=1, jobs=1,
    )
    assert (rerun.added, rerun.updated, rerun.unchanged, rerun.total_docs) == (1, 3, 1, 6)


def test_an_unchanged_rerun_writes_nothing(tmp_path):
    index_articles(tmp_path, composed(30), entities=False, batch_size=10, jobs=1)
    toc = sorted(p.name for p in tmp_path.iterdir())
    rerun = index_articles(tmp_path, composed(30), entities=False, batch_size=10, jobs=1)
    assert (rerun.added, rerun.updated, rerun.unchanged) == (0, 0, 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == toc
    # With entities the articles are not the same index input: updated.
    with_entities = index_articles(tmp_path, composed(30), entities=True, batch_size=10, jobs=1)
    assert (with_entities.updated, with_entities.unchanged) == (30, 0)


@pytest.mark.parametrize("batch_size", [10, 1], ids=["one batch", "two batches"])
def test_a_rerun_keeps_the_last_record_of_a_repeated_id(tmp_path, batch_size):
    # A dump that repeats an id with other text: the last record wins, on
    # the first run and on every unchanged re-run after it.
    docs = composed(3)
    source = [edited(docs[1], "أ"), docs[0], docs[2], edited(docs[1], "ب")]
    index_articles(tmp_path, source, entities=False, batch_size=batch_size, jobs=1)
    for _ in range(2):
        rerun = index_articles(tmp_path, source, entities=False, batch_size=batch_size, jobs=1)
        assert rerun.added == 0 and rerun.total_docs == 3
        with open_index(tmp_path).searcher() as searcher:
            assert searcher.document(id=docs[1].id)["body"].endswith(" ب")
    # Across batches the first record went in before the last was read:
    # both are written, the last over the first.
    assert (rerun.updated, rerun.unchanged) == ((0, 3) if batch_size == 10 else (2, 2))


def test_exact_duplicates_under_other_ids_are_left_out(tmp_path):
    originals = composed(3)
    copies = [article(f"copy{i}", a.title, a.body, source="other") for i, a in enumerate(originals)]
    report = index_articles(tmp_path, originals + copies[:1], entities=False, jobs=1)
    assert (report.added, report.duplicates, report.total_docs) == (3, 1, 3)
    assert report.duplicate_examples[0][1:] == ("copy0", "doc0")
    later = index_articles(tmp_path, copies, entities=False, jobs=1)
    assert (later.added, later.duplicates, later.total_docs) == (0, 3, 3)


def test_text_is_indexed_the_same_with_entities_or_without(tmp_path):
    # With entities the text's terms come from the recogniser's tokens.
    articles = composed(20) + [
        article("marks", "الرّئيسُ يزور بغداد",
                "قال الرئيسُ: «نعم»، ثمّ ذهب إلى الـــعراق.\nوبغ\u200cداد ٢٠١٥ NATO"),
    ]

    def text_index(index_dir):
        postings, lengths = contents(index_dir)[::2]
        return [p for p in postings if p[0] == "text"], lengths

    index_articles(tmp_path / "with", articles, entities=True, jobs=1)
    index_articles(tmp_path / "without", articles, entities=False, jobs=1)
    expected = text_index(tmp_path / "without")
    assert len(expected[0]) > 20
    assert text_index(tmp_path / "with") == expected


def segment_counts(index_dir):
    with open_index(index_dir).reader() as reader:
        return [leaf.doc_count_all() for leaf, _ in reader.leaf_readers()]


def test_reindexing_everything_leaves_no_dead_segments(tmp_path):
    articles = composed(40)
    index_articles(tmp_path, articles, entities=False, batch_size=10, jobs=1)
    fresh = segment_counts(tmp_path)
    for run in range(3):
        changed = [edited(a, f"تعديل{run}") for a in articles]
        report = index_articles(tmp_path, changed, entities=False, batch_size=10, jobs=1)
        assert report.updated == 40
    # Segments whose every document was replaced are dropped, not kept
    # around as deletions that every query term must skip.
    assert len(segment_counts(tmp_path)) <= len(fresh) and sum(segment_counts(tmp_path)) == 40


def test_many_small_runs_are_merged(tmp_path):
    for start in range(0, 60, 3):
        index_articles(tmp_path, composed(60)[start:start + 3], entities=False, jobs=1)
    counts = segment_counts(tmp_path)
    assert sum(counts) == 60 and len(counts) <= 2


# Titles and bodies with every kind of cut (line breaks, sentence marks,
# spaced dashes after any white space, "//", a point between digits), words
# that may repeat, and what folding changes (presentation forms, harakat,
# tatweel, digits of other scripts, a final sigma).
PIECES = st.sampled_from([
    "الرياض", "واس", "الخبر", "رابط", "2015", "3", "٣", "ﻻ", "\u064e", "ـ", "AΣ", "_", " ", " ", "\n", "\r",
    "\u2028", "\xa0", ".", ":", " - ", " -", "\xa0—", "-\n", "//", "؟", "…",
])
LINES = st.lists(PIECES, max_size=25).map("".join)


@settings(max_examples=300, deadline=None)
@given(LINES, LINES, st.sets(st.integers(0, 40), max_size=8))
# The title's spaced dash is a cut only with the line break after it.
@example("الرياض -", "الرياض واس الخبر", {0})
def test_the_body_words_from_the_recognisers_are_the_body_stripped_alone(title, body, picked):
    # A worker takes a body's words for its near-copy signature from the
    # recogniser's words of the whole text stripped of boilerplate.
    from analyzers.entities import extract_entities_many
    from analyzers.tokenizer import is_word
    from indexer.boilerplate import key, segments as cuts, strip

    text = f"{title}\n{body}"
    # Keys of the whole text's segments, and of the title's and the body's alone.
    found = [key(part[start:end]) for part in (text, title, body) for start, end in cuts(part)]
    keys = frozenset(found[i] for i in picked if i < len(found))
    ((_, tokens),) = extract_entities_many([strip(text, keys)], with_tokens=True)
    a = article("1", title, body)
    assert segments.body_words(a, keys, [t for t in tokens if is_word(t)]) == segments.body_words(a, keys)


@pytest.mark.parametrize("compound", [True, False])
def test_a_fixed_column_is_rewritten_in_place_before_the_commit(tmp_path, compound):
    # Workers write compound segments; the column can be a file of its own too.
    from indexer import nearcopy
    from indexer import schema as S

    articles = composed(3)
    packed = [nearcopy.pack(nearcopy.signature(a.body), i + 1) for i, a in enumerate(articles)]
    schema = create_or_open(tmp_path).schema
    writer = ChunkWriter(segments._index(str(tmp_path), "MAIN"), limitmb=64, compound=compound)
    for a, value in zip(articles, packed[:2] + [None]):   # the last keeps the column's default
        writer.add_document(**segments.document_fields(a, nearcopy=value))
    segment = writer.finish_segment()
    assert segment.is_compound() == compound
    new = nearcopy.pack(nearcopy.signature(articles[0].body), 99)
    whoosh_internals.rewrite_fixed_column(str(tmp_path), segment, S.NEARCOPY, S.NEARCOPY_BYTES, {0: new})
    with pytest.raises(ValueError, match="document 2"):
        whoosh_internals.rewrite_fixed_column(str(tmp_path), segment, S.NEARCOPY, S.NEARCOPY_BYTES, {2: new})
    reader = whoosh_internals.SegmentReader(whoosh_internals.MappedStorage(tmp_path), schema, segment)
    try:
        column = reader.column_reader(S.NEARCOPY)
        assert [column[d] for d in range(3)] == [new, packed[1], b"\0" * S.NEARCOPY_BYTES]
    finally:
        reader.close()


def test_an_id_indexed_again_after_another_version_keeps_its_own_hashes(tmp_path):
    # The index holds x as v0.  A run reads x as v1, then (in the next
    # batch) v1 again and v0 last: v0 is unchanged, but an earlier record
    # of x went into the index in this run, so v0 is indexed again.  It
    # must be stored with its own fingerprint and content hash, not v1's:
    # else v1's text would pass for a copy of x, and v0 for changed.
    from indexer import schema as S
    from indexer.cleaning import duplicate_key

    v0 = article("x", "عنوان أول", "نص الخبر الأول هنا")
    v1 = article("x", "عنوان ثان", "نص الخبر الثاني هنا تماما")
    index_articles(tmp_path, [v0], entities=False, jobs=1)
    index_articles(tmp_path, [v1, article("f", "خبر", "نص مختلف للتجربة"), v1, v0],
                   entities=False, jobs=1, batch_size=2)
    with open_index(tmp_path).searcher() as searcher:
        assert searcher.document(id="x")[S.BODY] == v0.body
        holder = searcher.document(**{S.FINGERPRINT: segments.fingerprint(v0, False)})
        assert holder is not None and holder["id"] == "x"
        assert searcher.document(**{S.CONTENT: duplicate_key(v1.title, v1.body)}) is None
    assert index_articles(tmp_path, [v0], entities=False, jobs=1).unchanged == 1
    assert index_articles(tmp_path, [article("y", v1.title, v1.body)], entities=False, jobs=1).added == 1
