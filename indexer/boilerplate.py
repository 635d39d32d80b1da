"""Source boilerplate: the lines and phrases a source repeats in many of its articles.

A newspaper's dump carries its own furniture: a link footer after every
story (``رابط الخبر بصحيفة الوئام: ...``), a closing mark (``// انتهى //``),
a dateline (``الرياض 26 شوال 1436 هـ الموافق 11 أغسطس 2015 م واس``), a
"write to the columnist" box.  Left in, it fills snippets and makes the
paper's own name an actor of every article.

How it is decided, per source, from the corpus itself:

1. Each body is cut into segments at line breaks and at sentence and
   clause marks (``. ! ? ؟ : ؛``, a spaced dash, ``//``); a point between
   digits does not cut (``3.5 في المائة``).  A segment's key is its text
   with digits written ``0`` and white space collapsed, so datelines with
   other dates are one key.
2. A key of ``MIN_WORDS`` to ``MAX_WORDS`` words is boilerplate of a
   source when at least ``MIN_ARTICLES`` of its articles, and ``MIN_SHARE``
   of all its articles seen, contain it.  Shorter keys (``وأضاف``,
   ``الرياض``) are ordinary text, and so are longer ones (a sentence
   repeated is news told again, not furniture).

Counts are kept in the index folder (``boilerplate.json``) and grow with
every run, so a later run of a few articles knows its sources' furniture.
Boilerplate stays in the stored text, the document page and the index
terms (it is searchable); it is left out of entity recognition and of
snippets.
"""

import json
import os
import re
import threading
from pathlib import Path

from analyzers.normalize import normalize, normalize_lines

FILENAME = "boilerplate.json"
MIN_WORDS = 2
# Furniture is short; a longer segment repeated is news told again.
MAX_WORDS = 12
MIN_ARTICLES = 20
MIN_SHARE = 0.03
# Keys counted per source; past this the ones seen once are forgotten
# (boilerplate is seen many times, a sentence of news once).
MAX_KEYS = 50_000
# Keys saved per source: the candidates (seen at least this often).
SAVED_MIN = 3
# Documents whose boilerplate spans a search service keeps (KnownSpans).
KEPT_SPANS = 100_000

SEGMENT_END = re.compile(r"\n|[!?؟:؛]|(?<!\d)\.|\.(?!\d)|\s[–—-]\s|//")
_DIGITS = re.compile(r"\d+")

# Every character ``\s`` matches (tests/test_boilerplate.py checks the list).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# SEGMENT_END spelled with each alternative starting with one literal
# character, which lets the regex engine skip to the next place one of
# them occurs instead of trying every alternative at every place (four
# times faster on SaudiNewsNet's bodies).  So the white space before a dash
# is written out; not the line break, where the first alternative wins.
_CUTS = re.compile("|".join(
    [r"\n", "!", r"\?", "؟", ":", "؛", r"\.(?<!\d\.)", r"\.(?!\d)", "//"]
    + [re.escape(space) + r"[–—-]\s" for space in WHITESPACE if space != "\n"]
))
# The same cuts, kept by re.split: [segment, cut, segment, ..., segment].
_PIECES = re.compile(f"({_CUTS.pattern})")


def segments(text):
    """Yield ``(start, end)`` of each segment of ``text`` (see the module docstring).

    >>> t = "قال الوزير. رابط الخبر بصحيفة الوئام: عنوان"
    >>> [t[s:e].strip() for s, e in segments(t)]
    ['قال الوزير', 'رابط الخبر بصحيفة الوئام', 'عنوان']
    """
    start = 0
    for match in _CUTS.finditer(text):
        if match.start() > start:
            yield start, match.start()
        start = match.end()
    if start < len(text):
        yield start, len(text)


def key(segment):
    """The key segments are counted by: normalized, digits as 0, spaces collapsed.

    >>> key(" الرياض 26 شوال 1436 هـ ") == key("الرياض 25 شوال 1436 هـ")
    True
    """
    return " ".join(_DIGITS.sub("0", normalize(segment)).split())


def _pieces(text):
    """``text`` cut into ``[segment, cut, segment, ..., segment]`` (a
    segment may be empty here), and the words of each segment's key."""
    pieces = _PIECES.split(text)
    # Segments hold no line break (it is a cut): joined by line breaks they
    # are folded in one call, each as key() folds it alone.
    folded = _DIGITS.sub("0", normalize_lines("\n".join(pieces[::2])))
    return pieces, [line.split() for line in folded.split("\n")]


def _keys(text):
    """The keys of ``text``'s segments of MIN_WORDS to MAX_WORDS words.

    Each cut becomes a line break, and the lines are folded in one call
    (:func:`_pieces`, without keeping the pieces); digits are written ``0``
    only in the segments that are counted: a quarter less of an article's
    time here, which is the parent's, than through :func:`_pieces`.
    """
    out = set()
    for line in normalize_lines(_CUTS.sub("\n", text)).split("\n"):
        words = line.split()
        if MIN_WORDS <= len(words) <= MAX_WORDS:
            # \d+ never spans white space: as key() writes the digits.
            out.add(_DIGITS.sub("0", " ".join(words)))
    return out


class Boilerplate:
    """Segment counts per source, and the boilerplate they decide."""

    def __init__(self, counts=None):
        # source -> {"articles": n, "keys": {key: articles with it}}
        self.counts = counts or {}

    @classmethod
    def load(cls, index_dir):
        """The counts saved in ``index_dir`` (none if it has no file)."""
        path = Path(index_dir) / FILENAME
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            # Unreadable: start counting again rather than fail a run.
            return cls()
        return cls(data.get("sources", {}))

    def save(self, index_dir):
        """Write the candidates atomically into ``index_dir``."""
        path = Path(index_dir) / FILENAME
        data = {"sources": {
            source: {"articles": entry["articles"],
                     "keys": {k: c for k, c in entry["keys"].items() if c >= SAVED_MIN}}
            for source, entry in self.counts.items()
        }}
        tmp = path.with_name(f".{FILENAME}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        os.replace(tmp, path)

    def observe(self, source, body):
        """Count the segments of one article of ``source``."""
        entry = self.counts.setdefault(source, {"articles": 0, "keys": {}})
        entry["articles"] += 1
        keys = entry["keys"]
        for k in _keys(body):
            keys[k] = keys.get(k, 0) + 1
        if len(keys) > MAX_KEYS:
            entry["keys"] = {k: c for k, c in keys.items() if c > 1}

    def of(self, source):
        """The boilerplate keys of ``source``, as a frozenset."""
        entry = self.counts.get(source)
        if not entry:
            return frozenset()
        floor = max(MIN_ARTICLES, MIN_SHARE * entry["articles"])
        return frozenset(k for k, c in entry["keys"].items() if c >= floor)

    def table(self):
        """{source: boilerplate keys} for every source that has some."""
        out = {}
        for source in self.counts:
            found = self.of(source)
            if found:
                out[source] = found
        return out


def spans(text, keys):
    """The ``(start, end)`` spans of ``text`` that are boilerplate ``keys``."""
    if not keys:
        return []
    found, start = [], 0
    pieces, words = _pieces(text)
    for i, piece in enumerate(pieces):
        end = start + len(piece)
        if not i % 2 and piece and " ".join(words[i // 2]) in keys:
            found.append((start, end))
        start = end
    return found


def strip(text, keys):
    """``text`` with its boilerplate segments replaced by line breaks (which
    end a sentence, so no name or phrase runs across the gap)."""
    return cut(text, spans(text, keys))


def cut(text, found):
    """:func:`strip` with the boilerplate ``found`` already (its spans)."""
    if not found:
        return text
    out, pos = [], 0
    for start, end in found:
        out.append(text[pos:start])
        out.append("\n")
        pos = end
    out.append(text[pos:])
    return "".join(out)


class KnownSpans:
    """The boilerplate spans of one index generation's documents, found once
    per document (each segment of a body is normalized to look it up: a
    tenth of a results page's time, for the same articles again and
    again), for at most ``kept`` documents, the first found dropped first.
    Shared by threads."""

    def __init__(self, table, kept=KEPT_SPANS):
        self.table = table
        self.kept = kept
        self._spans = {}
        self._lock = threading.Lock()

    def strip(self, docnum, text, source):
        """:func:`strip` of document ``docnum``'s ``text``, with the keys of its ``source``."""
        found = self._spans.get(docnum)
        if found is None:
            found = tuple(spans(text, self.table.get(source)))
            with self._lock:
                while len(self._spans) >= self.kept:
                    del self._spans[next(iter(self._spans))]
                self._spans[docnum] = found
        return cut(text, found)
