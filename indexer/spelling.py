"""Respellings of a query whose words the index does not hold.

Each word of the query that the index lacks is corrected on its index
term: every term one edit away (a letter deleted, swapped with its
neighbour, replaced or inserted) that the index holds, the most widespread
first.  The fix is rebuilt with the clitics and endings the user typed:
الاستخبرات becomes الاستخبارات, not the bare stem.  A word's few hundred
one-edit spellings are looked up in the index's own term dictionaries
(about 50 ms a word on SaudiNewsNet's 16 segments), where Whoosh's corrector
walks the whole vocabulary (about 20 s without a spelling graph), and a set
of every term, kept in memory, cost each server process 286 MB and a 51 s
build at 300,000 articles.
"""

from analyzers.analysis import index_term
from analyzers.normalize import normalize
from analyzers.tokenizer import WORD_PATTERN

# Letters a normalized Arabic term is made of (after the search folds).
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءؤئ"
# Terms this short have too many neighbours to guess from.
MIN_TERM = 3


def respellings(text, doc_frequency, limit=3):
    """Return up to ``limit`` respellings of ``text`` whose words are all in
    the index: ``doc_frequency(term)`` is 0 for a term it lacks, and orders
    the candidates it holds."""
    options = []
    changed = False
    for match in WORD_PATTERN.finditer(text):
        word = match.group(0)
        term = index_term(word)
        if term is None or len(term) < MIN_TERM or doc_frequency(term):
            options.append([word])
            continue
        held = ((-doc_frequency(t), t) for t in one_edit(term))
        fixes = [t for df, t in sorted(c for c in held if c[0])][:limit]
        if not fixes:
            options.append([word])
            continue
        changed = True
        options.append([respell(word, term, fix) for fix in fixes])
    if not changed:
        return []
    out = []
    for i in range(limit):
        candidate = " ".join(opts[min(i, len(opts) - 1)] for opts in options)
        if candidate not in out and candidate != text:
            out.append(candidate)
    return out


def one_edit(term):
    """Every string one deletion, transposition, replacement or insertion from ``term``.

    >>> {"ا", "با", "ابت", "اث"} <= one_edit("اب"), len(one_edit("اب"))
    (True, 154)
    """
    splits = [(term[:i], term[i:]) for i in range(len(term) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    edits |= {a + c + b for a, b in splits for c in LETTERS}
    edits.discard(term)
    return edits


def respell(word, stem, fix):
    """Put corrected stem ``fix`` in place of ``stem`` inside the typed ``word``.

    >>> respell("الاستخبرات", "استخبر", "استخبار")
    'الاستخبارات'
    """
    normalized = normalize(word)
    at = normalized.find(stem)
    if at < 0:
        return fix
    return normalized[:at] + fix + normalized[at + len(stem):]
