"""Snippets: the fast paths of indexer/snippets.py against their plain definitions.

A word is marked exactly when the analyzer indexes it under one of the
query's terms; the prefilter (a regex of the terms over each normalized
word) and the windows counted by bisection only make that cheaper.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from analyzers.analysis import index_term
from analyzers.tokenizer import WORD_PATTERN
from indexer import snippets
from indexer.snippets import find_matches, snippet

# Letters, marks, joiners, digits, Latin and the separators news text has.
TEXT = st.text(alphabet="ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىيًٌٍَُِّْـ\u200c0123456789abAB .،:«»\n-*+|()[]",
               max_size=400)
WORDS = st.lists(st.text(alphabet="ءآأإابةتدرسعقلمنهوي", min_size=1, max_size=6), max_size=12)


def plain_matches(text, terms, limit=None):
    """Every word's index term, compared with the query's."""
    end = len(text) if limit is None else min(len(text), limit)
    return [(m.start(), m.end(), index_term(m.group(0))) for m in WORD_PATTERN.finditer(text, 0, end)
            if terms and index_term(m.group(0)) in terms]


def plain_windows(text, matches, width):
    """The candidate windows as first written: a pass over every match each."""
    out = []
    for i in range(min(len(matches), 40)):
        start, end = snippets._window(text, matches, i, width)
        inside = {t for s, e, t in matches if s >= start and e <= end}
        out.append((-len(inside), start, end))
    return sorted(out)


def query_terms(text, words):
    """Terms some of whose words are in ``text`` (and some made up)."""
    found = [index_term(m.group(0)) for m in WORD_PATTERN.finditer(text)]
    return {t for t in found[::3] if t} | {w for w in words}


@settings(max_examples=400, deadline=None)
@given(TEXT, WORDS, st.sampled_from([None, 50, 30_000]))
def test_matches_are_the_words_indexed_as_the_terms(text, words, limit):
    terms = query_terms(text, words)
    assert find_matches(text, terms, limit) == plain_matches(text, terms, limit)


@settings(max_examples=200, deadline=None)
@given(TEXT, WORDS)
def test_matches_with_more_terms_than_the_prefilter_takes(text, words):
    terms = query_terms(text, words) | {f"x{i}" for i in range(snippets.PREFILTER_TERMS + 1)}
    assert find_matches(text, terms) == plain_matches(text, terms)


@settings(max_examples=500, deadline=None)
@given(TEXT, WORDS, st.sampled_from([6, 20, 60, 240]))
def test_windows_count_the_terms_inside_them(text, words, width):
    terms = query_terms(text, words)
    matches = find_matches(text, terms)
    assert snippets._candidates(text, matches, width) == plain_windows(text, matches, width)


def test_a_match_ending_where_its_window_ends_is_inside():
    text = "النفط والذهب"
    matches = find_matches(text, {"نفط", "ذهب"})
    assert snippets._candidates(text, matches, 12) == plain_windows(text, matches, 12) == [(-2, 0, 12), (-1, 6, 12)]


def test_a_term_holding_regex_characters_is_literal():
    assert find_matches("سعر النفط (برنت)", {"نفط", "(", "."}) == [(4, 9, "نفط")]
