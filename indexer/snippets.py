"""Highlighted snippets: the query's words marked in the original spelling.

Whoosh's highlighter pushes every token of every hit through the analyzer's
generator chain (about 4 ms for a news article here, so 40 ms a results
page).  This module does the same job from the same parts at a fraction of
the cost: the tokenizer's regex finds the words, and the cached
:func:`analyzers.analysis.index_term` gives each word's index term, so
a word is marked exactly when the analyzer would have indexed it under one
of the query's terms.  The marked words keep their diacritics: offsets come
from the original text.
"""

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from html import escape

from analyzers.analysis import index_term, index_terms
from analyzers.normalize import normalize_token
from analyzers.tokenizer import WORD_PATTERN

# Up to this many terms, a word is stemmed only if one of them is inside its
# normalized form (see _holding).
PREFILTER_TERMS = 8
MARK_OPEN = "<mark>"
MARK_CLOSE = "</mark>"
ELLIPSIS = " … "


# Between the normalized words the prefilter scans at once (no word holds it).
SEPARATOR = "\n"
_WORDS_AND_GAPS = re.compile(f"({WORD_PATTERN.pattern})")


@lru_cache(maxsize=1024)
def _term_finder(terms):
    """The finditer of a regex that finds any of ``terms`` (a frozenset)."""
    return re.compile("|".join(map(re.escape, sorted(terms)))).finditer


def find_matches(text, terms, limit=None):
    """Return [(start, end, term)] for the words of ``text`` indexed as ``terms``.

    Word by word in C where it can be: the words and the gaps between
    them come from one ``split``, and only the words that can hold a term
    get their index term.
    """
    if not terms:
        return []
    end = len(text) if limit is None else min(len(text), limit)
    # Gap, word, gap, word, ..., gap: the words, and where each starts.
    pieces = _WORDS_AND_GAPS.split(text[:end])
    words = pieces[1::2]
    if len(terms) <= PREFILTER_TERMS and all(t and SEPARATOR not in t for t in terms):
        found = [(i, term) for i in _holding(words, terms) if (term := index_term(words[i])) in terms]
    else:
        found = [(i, term) for i, term in enumerate(index_terms(words)) if term in terms]
    matches = []
    start, at = 0, 0  # where pieces[at] starts
    for i, term in found:
        start += sum(map(len, pieces[at:2 * i + 1]))
        at = 2 * i + 1
        matches.append((start, start + len(words[i]), term))
    return matches


def _holding(words, terms):
    """Indexes of the ``words`` whose normalized form holds one of ``terms``,
    ascending: the only ones that can be indexed as one, since a stem is
    a slice of its normalized word.  Most words of a text are then never
    stemmed, which matters in a fresh process with cold caches.  The
    forms are scanned joined, by one regex: a match cannot cross the
    separator, which no term holds."""
    joined = SEPARATOR.join(map(normalize_token, words))
    holding = []
    word, seen = 0, 0
    for m in _term_finder(frozenset(terms))(joined):
        word += joined.count(SEPARATOR, seen, m.start())
        seen = m.start()
        if not holding or holding[-1] != word:
            holding.append(word)
    return holding


def mark(text, matches, start=0, end=None):
    """Return ``text[start:end]`` HTML-escaped, with ``matches`` in <mark>."""
    end = len(text) if end is None else end
    out = []
    pos = start
    for s, e, _ in matches:
        if s < start or e > end:
            continue
        out.append(escape(text[pos:s], quote=False))
        out.append(MARK_OPEN + escape(text[s:e], quote=False) + MARK_CLOSE)
        pos = e
    out.append(escape(text[pos:end], quote=False))
    return "".join(out)


def _window(text, matches, i, width):
    """The span of about ``width`` characters starting a little before match i."""
    start = max(0, matches[i][0] - width // 4)
    # Start and end on word boundaries, so no word is cut in half.
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < matches[i][0] else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", matches[i][1], end)
        end = space if space > matches[i][1] else end
    return start, end


def snippet(text, terms, width=240, fragments=2, scan_limit=30_000):
    """Return an HTML snippet of ``text`` with the words of ``terms`` marked.

    Picks up to ``fragments`` windows of about ``width`` characters, those
    with the most distinct query terms first (then the earliest), and
    joins them in text order.  Without a match, the start of the text.
    """
    matches = find_matches(text, terms, scan_limit)
    if not matches:
        return escape(_lead(text, width), quote=False)
    candidates = _candidates(text, matches, width)
    chosen = []
    for _, start, end in candidates:
        if all(end <= s or start >= e for s, e in chosen):
            chosen.append((start, end))
        if len(chosen) == fragments:
            break
    chosen.sort()
    parts = [" ".join(mark(text, matches, s, e).split()) for s, e in chosen]
    return ELLIPSIS.join(parts)


def _candidates(text, matches, width):
    """The windows a snippet chooses from, best first: ``(-distinct terms
    inside, start, end)``."""
    candidates = []
    # Matches do not overlap, so their starts and ends are both ascending:
    # the matches inside a window are one run, found by bisection.
    starts = [s for s, _, _ in matches]
    ends = [e for _, e, _ in matches]
    # Windows start at the first matches only: past a few dozen the best
    # window is almost always found already, and the cost is quadratic.
    for i in range(min(len(matches), 40)):
        start, end = _window(text, matches, i, width)
        inside = {t for _, _, t in matches[bisect_left(starts, start):bisect_right(ends, end)]}
        candidates.append((-len(inside), start, end))
    candidates.sort()
    return candidates


def highlight_all(text, terms):
    """Return all of ``text`` HTML-escaped with the words of ``terms`` marked."""
    return mark(text, find_matches(text, terms))


def _lead(text, width):
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return text[: cut if cut > width // 2 else width] + " …"
