"""Source boilerplate: found from the corpus, out of snippets and entities,
still in the stored text."""

import json
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import boilerplate as B
from indexer.search import Filters, SearchService
from indexer.writer import index_articles
from tests.conftest import article

FOOTER = "رابط الخبر بصحيفة المرصد"
STORIES = [
    "ارتفعت أسعار النفط في الأسواق العالمية",
    "افتتح وزير التعليم مدرسة جديدة في جدة",
    "هطلت أمطار غزيرة على مدينة أبها",
    "فاز الفريق بالمباراة النهائية للبطولة",
]


def corpus(count=60):
    out = []
    for i in range(count):
        story = STORIES[i % len(STORIES)]
        # The paper's footer after the last sentence, on the same line, as
        # scraped dumps have it; then a closing mark on its own line.
        body = f"{story} في يوم {i}. وقال مصدر إن الأمر مهم. {FOOTER}: {story} {i}\n// انتهى //"
        out.append(article(f"m{i}", f"{story} {i}", body, source="almarsad"))
    # Another paper says the same words once: not its boilerplate.
    out.append(article("other", "خبر", f"قرأت الخبر في {FOOTER} أمس. النفط يرتفع", source="other"))
    return out


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("boilerplate")
    index_articles(path, corpus(), entities=True, batch_size=40, jobs=1)
    return path


def test_segments_are_found_per_source_from_their_frequency(index_dir):
    table = B.Boilerplate.load(index_dir).table()
    assert B.key(FOOTER) in table["almarsad"]
    # One-word segments, and text each article has once, are not.
    assert B.key("انتهى") not in table["almarsad"]
    assert not any("النفط" in k for k in table["almarsad"])
    assert "other" not in table


def test_boilerplate_is_out_of_snippets_but_in_the_stored_text(index_dir):
    with SearchService(index_dir) as service:
        results = service.search("النفط", filters=Filters(sources=["almarsad"]), per_page=20)
        assert results.total == 15
        assert all("المرصد" not in hit.snippet for hit in results.hits)
        assert FOOTER in service.document("m0")["body"]


def test_boilerplate_names_no_actor(index_dir):
    with SearchService(index_dir) as service:
        actors = {f["value"] for f in service.search("", filters=Filters(sources=["almarsad"]),
                                                     facet_limit=100).facets["actor"]}
    assert not any("المرصد" in a for a in actors)


def test_counts_persist_and_decide_for_a_later_small_run(index_dir):
    saved = json.loads((index_dir / B.FILENAME).read_text("utf-8"))
    assert saved["sources"]["almarsad"]["articles"] == 60
    later = B.Boilerplate.load(index_dir)
    assert B.key(FOOTER) in later.of("almarsad")
    assert B.strip(f"خبر قصير. {FOOTER}: عنوان", later.of("almarsad")) == "خبر قصير.\n: عنوان"


def test_a_point_between_digits_does_not_cut():
    text = "نما الاقتصاد 3.5 في المائة. ثم توقف"
    assert [text[s:e].strip() for s, e in B.segments(text)] == ["نما الاقتصاد 3.5 في المائة", "ثم توقف"]


def test_known_spans_strip_as_strip_does_once_a_document(index_dir, monkeypatch):
    table = B.Boilerplate.load(index_dir).table()
    known = B.KnownSpans(table, kept=3)
    looked_up = []
    real = B.spans

    def counting(text, keys):
        looked_up.append(text)
        return real(text, keys)

    monkeypatch.setattr(B, "spans", counting)
    for docnum, a in enumerate(corpus()):
        assert known.strip(docnum, a.body, a.source) == B.strip(a.body, table.get(a.source))
    looked_up.clear()
    bodies = [(docnum, a) for docnum, a in enumerate(corpus())][-3:]
    for docnum, a in bodies:
        assert known.strip(docnum, a.body, a.source) == B.strip(a.body, table.get(a.source))
    # The last documents' spans are known: only strip() looked them up.
    assert len(looked_up) == len(bodies)
    assert len(known._spans) <= 3


def test_whitespace_is_every_character_backslash_s_matches():
    spaces = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if re.match(r"\s", c))
    assert B.WHITESPACE == spaces


# Cuts, white space, digits, marks and presentation forms, around words.
PIECES = st.text(alphabet="ab \n\t\xa0\u2003.:!؟؛/-–—١2َـﻻΣ", max_size=30)


@settings(max_examples=1000, deadline=None)
@given(PIECES)
def test_the_fast_cuts_are_segment_end(text):
    # _CUTS is SEGMENT_END respelled for speed; the segments and the keys
    # they give must be the readable definition's.
    expected = []
    start = 0
    for match in B.SEGMENT_END.finditer(text):
        if match.start() > start:
            expected.append((start, match.start()))
        start = match.end()
    if start < len(text):
        expected.append((start, len(text)))
    assert list(B.segments(text)) == expected
    keys = [B.key(text[s:e]) for s, e in expected]
    assert B._keys(text) == {k for k in keys if B.MIN_WORDS <= len(k.split()) <= B.MAX_WORDS}
    wanted = set(keys[::2])
    assert B.spans(text, wanted) == [(s, e) for s, e in expected if B.key(text[s:e]) in wanted]
    out, pos = [], 0
    for s, e in B.spans(text, wanted):
        out += [text[pos:s], "\n"]
        pos = e
    assert B.strip(text, wanted) == "".join(out) + text[pos:]
