"""BM25 over whole posting lists with numpy: the fast path of the search service.

Whoosh's collector scores one matching document at a time in Python (about
30-40 µs each here), so a common word matching 7,000 articles cost 250 ms
before facets or snippets.  Faceted search needs every match anyway, so this
module reads each query term's posting list a block at a time (ids and term
frequencies), scores all of it at once, and combines the terms with set
operations.  The scores are the same as :class:`indexer.scoring.LuceneBM25`
through Whoosh's matchers: Whoosh's quantized field lengths, its
``Or(scale=...)`` coordination (V-Twin's SQR), sums for AND and OR, the left
side's score for AND NOT.  Queries with other nodes (phrases, prefixes,
ranges) return None and are left to Whoosh.
"""

import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from whoosh import query as Q

from indexer.scoring import lucene_idf
from indexer.whoosh_internals import segment_postings

EMPTY_IDS = np.empty(0, dtype=np.int64)
# Decoded posting lists kept per index generation, least recently used
# dropped first: query words are Zipfian, and decoding a common word's
# blocks (pickled, with positions) is most of a query's cost.  Counted in
# postings; 4M postings are about 64 MB of arrays.
POSTINGS_CACHE = 4_000_000


@dataclass
class Ranked:
    """Matching docnums (sorted, unique), their scores and matched-term counts."""

    docs: np.ndarray
    scores: np.ndarray
    matched: np.ndarray

    @classmethod
    def empty(cls):
        return cls(EMPTY_IDS, np.empty(0), np.empty(0))


def term_postings(searcher, fieldname, text):
    """(ids, weights) of a term over every segment, as global docnums."""
    ids, weights = [], []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if (fieldname, text) in reader:
            i, w = segment_postings(reader, fieldname, text)
            ids.append(i + offset)
            weights.append(w)
    if not ids:
        return EMPTY_IDS, np.empty(0)
    return np.concatenate(ids), np.concatenate(weights)


class Ranker:
    """Scores supported queries over one index generation.

    Shared by threads: the arrays and the postings cache are read-only or
    locked, and every read of the index goes through the searcher of the
    thread that asked (Whoosh's file objects are not safe to share).
    """

    def __init__(self, searcher, fieldname, lengths, K1=1.2, B=0.75):
        self._local = threading.local()
        self.fieldname = fieldname
        self.lengths = lengths
        self.K1 = K1
        self.B = B
        self.avgfl = searcher.avg_field_length(fieldname) or 1
        self.doc_count = searcher.doc_count_all()
        self._cache = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()

    @property
    def searcher(self):
        """The searcher of the :meth:`rank` call running in this thread."""
        return self._local.searcher

    def postings(self, fieldname, text):
        """(ids, weights) of a term, from the cache when it was read before."""
        key = (fieldname, text)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        found = term_postings(self.searcher, fieldname, text)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = found
                self._cached += len(found[0])
                while self._cached > POSTINGS_CACHE and len(self._cache) > 1:
                    _, (ids, _) = self._cache.popitem(last=False)
                    self._cached -= len(ids)
        return found

    def supports(self, q):
        if isinstance(q, Q.Term):
            return q.fieldname == self.fieldname
        if isinstance(q, (Q.Or, Q.And)):
            return all(self.supports(c.query if isinstance(c, Q.Not) else c) for c in q.children())
        if isinstance(q, (Q.AndNot, Q.AndMaybe)):
            return self.supports(q.a) and self.supports(q.b)
        return False

    def rank(self, q, searcher):
        """Return :class:`Ranked` for ``q``, or None when ``q`` has unsupported parts.

        ``searcher`` is this thread's searcher on the ranker's generation.
        """
        if not self.supports(q):
            return None
        with self.using(searcher):
            return self._eval(q)

    @contextmanager
    def using(self, searcher):
        """Read the index through ``searcher`` (this thread's) in the block."""
        self._local.searcher = searcher
        try:
            yield self
        finally:
            self._local.searcher = None

    def _eval(self, q):
        if isinstance(q, Q.Term):
            return self._term(q)
        if isinstance(q, Q.Or):
            return self._or(q)
        if isinstance(q, Q.And):
            return self._and(q)
        if isinstance(q, Q.AndNot):
            left = self._eval(q.a)
            keep = ~np.isin(left.docs, self._eval(q.b).docs, assume_unique=True)
            return Ranked(left.docs[keep], left.scores[keep] * q.boost, left.matched[keep])
        if isinstance(q, Q.AndMaybe):
            left, right = self._eval(q.a), self._eval(q.b)
            _, li, ri = np.intersect1d(left.docs, right.docs, assume_unique=True, return_indices=True)
            scores = left.scores.copy()
            matched = left.matched.copy()
            scores[li] += right.scores[ri]
            matched[li] += right.matched[ri]
            return Ranked(left.docs, scores * q.boost, matched)
        raise TypeError(f"unsupported query node {type(q).__name__}")

    def _term(self, q):
        docs, tf = self.postings(q.fieldname, q.text)
        if not len(docs):
            return Ranked.empty()
        idf = lucene_idf(self.doc_count, self.searcher.doc_frequency(q.fieldname, q.text))
        norm = self.K1 * ((1 - self.B) + self.B * self.lengths[docs] / self.avgfl)
        scores = idf * (tf * (self.K1 + 1)) / (tf + norm) * q.boost
        return Ranked(docs, scores, np.ones(len(docs)))

    def _or(self, q):
        parts = [self._eval(c) for c in q.children()]
        parts = [p for p in parts if len(p.docs)]
        if not parts:
            return Ranked.empty()
        docs, inverse = np.unique(np.concatenate([p.docs for p in parts]), return_inverse=True)
        scores = np.bincount(inverse, weights=np.concatenate([p.scores for p in parts]))
        matched = np.bincount(inverse, weights=np.concatenate([p.matched for p in parts]))
        if q.scale:
            scores = self._coordinate(scores, matched, self._term_count(q), q.scale)
        return Ranked(docs, scores * q.boost, matched)

    def _and(self, q):
        positive = [c for c in q.children() if not isinstance(c, Q.Not)]
        negative = [c.query for c in q.children() if isinstance(c, Q.Not)]
        result = self._eval(positive[0])
        for child in positive[1:]:
            other = self._eval(child)
            docs, li, ri = np.intersect1d(result.docs, other.docs, assume_unique=True, return_indices=True)
            result = Ranked(
                docs, result.scores[li] + other.scores[ri], result.matched[li] + other.matched[ri]
            )
        for child in negative:
            keep = ~np.isin(result.docs, self._eval(child).docs, assume_unique=True)
            result = Ranked(result.docs[keep], result.scores[keep], result.matched[keep])
        return Ranked(result.docs, result.scores * q.boost, result.matched)

    def _term_count(self, q):
        # Whoosh counts the term matchers it built: terms not in the index
        # get none.
        if isinstance(q, Q.Term):
            return int(self.searcher.doc_frequency(q.fieldname, q.text) > 0)
        if q.is_leaf():
            return 0
        return sum(self._term_count(c) for c in q.children())

    @staticmethod
    def _coordinate(scores, matched, termcount, scale):
        # Whoosh's CoordMatcher: (score + (m - 1) / (n - scale)^2) * (n - 1) / n
        if termcount == 0 or termcount == scale:
            return np.zeros_like(scores)
        return (scores + (matched - 1) / (termcount - scale) ** 2) * ((termcount - 1) / termcount)


def top(docs, keys, k):
    """Indexes of the ``k`` best ``keys`` (largest first, ties by smaller docnum)."""
    if len(keys) > k:
        cut = np.argpartition(-keys, k - 1)[:k]
        # Ties at the cut could leave out a smaller docnum of equal score;
        # widen to every key equal to the k-th before the final sort.
        kth = keys[cut].min()
        cut = np.flatnonzero(keys >= kth)
    else:
        cut = np.arange(len(keys))
    order = np.lexsort((docs[cut], -keys[cut]))
    return cut[order][:k]
