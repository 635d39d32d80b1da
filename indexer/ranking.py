"""BM25 over whole posting lists with numpy: the fast path of the search service.

Whoosh's collector scores one matching document at a time in Python (about
30-40 µs each here), so a common word matching 7,000 articles cost 250 ms
before facets or snippets.  Faceted search needs every match anyway, so this
module reads each query term's posting list a block at a time (ids and term
frequencies), scores all of it at once, and combines the terms with set
operations.  The scores are the same as :class:`indexer.scoring.LuceneBM25`
through Whoosh's matchers: Whoosh's quantized field lengths, its
``Or(scale=...)`` coordination (V-Twin's SQR), sums for AND and OR, the left
side's score for AND NOT; only a word's clitic forms (below), which Whoosh
has no notion of, score otherwise.

Every query goes this way, so its cost is bounded in one place:

* a prefix (``استخبار*``) becomes an OR of the ``MAX_PREFIX_TERMS`` most
  widespread index terms it expands to (out of at most ``MAX_PREFIX_SCAN``
  read from the term list), each scored as a word;
* a word the stemmer left with a one-letter preposition before it also
  finds the word without it, when the index holds that more widely
  (:meth:`Ranker.clitic_forms`);
* a phrase matches where Whoosh's phrase matcher finds it, and scores as
  the sum of its words' scores there;
* the search's :class:`Budget` is checked between steps and while Whoosh
  walks a phrase's matches; past it the search stops with a QueryError.
"""

import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from whoosh import query as Q

from analyzers.stemmer import kept_whole
from indexer.errors import QueryError
from indexer.scoring import lucene_idf
from indexer.whoosh_internals import segment_postings, term_positions

EMPTY_IDS = np.empty(0, dtype=np.int64)
# Decoded posting lists kept per index generation, least recently used
# dropped first: query words are Zipfian, and decoding a common word's
# blocks (pickled, with positions) is most of a query's cost.  Counted in
# bytes: a posting is kept as an int32 docnum and a float32 term
# frequency, 8 bytes, so 16M postings (the 200 queries of bench/scale.py
# read 5.1M at a million articles; an LRU cache smaller than a cycle of
# queries keeps none of them).
POSTINGS_CACHE = 128 * 2**20
# Positions of a term in a document kept per generation, as (term,
# document) pairs: proximity reads the best candidates' positions again
# for every search with the word (a posting block decoded for a few).
POSITIONS_CACHE = 50_000
# Document frequencies kept per generation (a term's is summed over every
# segment's term table: a lookup per segment per query word).
DF_CACHE = 100_000
# A prefix searches at most this many terms (the most widespread), chosen
# among at most this many read from the term list.
MAX_PREFIX_TERMS = 100
MAX_PREFIX_SCAN = 20_000
# Phrase matches between two looks at the budget.
PHRASE_CHECK = 256
# The stemmer strips a one-letter preposition (ب ل ك) only when four
# letters remain, so لعام, لاول, بدعم and لعدم are index terms of their own,
# apart from عام, اول, دعم and عدم.  A query word written so also finds the
# word without the letter when the index holds that in more documents (the
# letter is then far more likely a clitic than the word's own: not كتاب,
# whose تاب is rare, nor بلاد).  Its occurrences count CLITIC_WEIGHT of the
# word's own in the word's term frequency, and the word's idf is that of
# the more widespread spelling.  Measured on the relevance benchmark
# (bench/results/relevance.md): XQuAD-ar +0.002 MRR@10, news questions
# +0.003; counted as separate words, or at the same weight as the word's
# own, the gain was smaller or a loss.  The proximity rerank counts the
# word's own spelling only (with the bare form's positions too: news
# questions -0.003, news titles +0.003).
CLITIC_PREPOSITIONS = "بلك"
CLITIC_WEIGHT = 0.5
# An OR of more postings than one docnum in this many sums its parts'
# scores in arrays over every docnum rather than sorting the postings
# (a three-word query on a million articles: some 600,000 postings).
DENSE_OR = 8


@dataclass
class Ranked:
    """Matching docnums (sorted, unique), their scores and matched-term counts."""

    docs: np.ndarray
    scores: np.ndarray
    matched: np.ndarray

    @classmethod
    def empty(cls):
        return cls(EMPTY_IDS, np.empty(0), np.empty(0))


class Budget:
    """How long a search may take, and whether its asker still waits.

    ``check()`` raises QueryError (kind "timeout") once ``seconds`` have
    passed or ``cancelled()`` (say, the web client hung up) returns True.
    """

    def __init__(self, seconds=None, cancelled=None):
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.cancelled = cancelled

    def check(self):
        if self.cancelled is not None and self.cancelled():
            raise QueryError("the search was stopped: its client went away", "cancelled")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise QueryError(
                f"the search took longer than {self.seconds:g} s and was stopped; "
                "use more specific words or fewer prefixes (word*)",
                "timeout",
            )


UNBOUNDED = Budget()


@dataclass
class Expansion:
    """What a prefix was searched as: its terms, and whether some were left out."""

    terms: tuple
    complete: bool


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

    Shared by threads: the arrays are read-only, and what it keeps of the
    generation (posting lists, prefix expansions, document frequencies,
    positions) is written under a lock; every read of the index goes
    through the searcher of the thread that asked (Whoosh's file objects
    are not safe to share).
    """

    def __init__(self, searcher, fieldname, lengths, K1=1.2, B=0.75):
        self._local = threading.local()
        self.fieldname = fieldname
        self.lengths = lengths
        self.K1 = K1
        self.B = B
        self.avgfl = searcher.avg_field_length(fieldname) or 1
        self.doc_count = searcher.doc_count_all()
        self._docnum_type = np.int32 if self.doc_count < 2**31 else np.int64
        self._cache = OrderedDict()
        self._cached = 0
        self._expansions = {}
        self._dfs = {}
        self._positions = {}
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
        ids, weights = term_postings(self.searcher, fieldname, text)
        # Term frequencies are small whole numbers: exact in float32.
        found = ids.astype(self._docnum_type), weights.astype(np.float32)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = found
                self._cached += _nbytes(found)
                while self._cached > POSTINGS_CACHE and len(self._cache) > 1:
                    _, dropped = self._cache.popitem(last=False)
                    self._cached -= _nbytes(dropped)
        return found

    def positions(self, fieldname, text, docnums):
        """{docnum: (positions...)} of a term in each of the global
        ``docnums`` (ascending, each holding the term), read a block at a
        time (:func:`indexer.whoosh_internals.term_positions`) and kept for
        the generation, the oldest dropped first."""
        cache = self._positions
        out, missing = {}, []
        for docnum in docnums:
            found = cache.get((fieldname, text, docnum))
            if found is None:
                missing.append(docnum)
            else:
                out[docnum] = found
        if missing:
            read = self._read_positions(fieldname, text, np.asarray(missing, dtype=np.int64))
            with self._lock:
                for docnum, positions in read.items():
                    cache[(fieldname, text, docnum)] = positions
                while len(cache) > POSITIONS_CACHE:
                    del cache[next(iter(cache))]
            out.update(read)
        return out

    def _read_positions(self, fieldname, text, docnums):
        out = {}
        for sub, offset in self.searcher.leaf_searchers():
            reader = sub.reader()
            first, last = np.searchsorted(docnums, [offset, offset + reader.doc_count_all()])
            if first == last:
                continue
            # Live documents: the raw postings are read without a
            # deletion filter to walk.
            local = (docnums[first:last] - offset).tolist()
            for docnum, positions in term_positions(reader, fieldname, text, local).items():
                out[docnum + offset] = tuple(positions)
        return out

    def doc_frequency(self, fieldname, text):
        """The searcher's ``doc_frequency`` of a term (deleted documents
        included, as Whoosh counts them), kept for the generation."""
        key = (fieldname, text)
        found = self._dfs.get(key)
        if found is None:
            found = self.searcher.doc_frequency(fieldname, text)
            with self._lock:
                if len(self._dfs) >= DF_CACHE:
                    self._dfs.clear()
                self._dfs[key] = found
        return found

    def rank(self, q, searcher, budget=UNBOUNDED):
        """Return :class:`Ranked` for ``q``, read through ``searcher`` (this
        thread's, on the ranker's generation), within ``budget``."""
        with self.using(searcher, budget):
            return self._eval(q)

    def expansion(self, q):
        """The :class:`Expansion` of prefix or wildcard ``q`` (cached per
        generation): its ``MAX_PREFIX_TERMS`` most widespread terms."""
        key = ("expansion", type(q).__name__, q.fieldname, q.text)
        with self._lock:
            hit = self._expansions.get(key)
        if hit is not None:
            return hit
        reader = self.searcher.reader()
        found = []
        complete = True
        for i, (_, text) in enumerate(q.expanded_terms(reader)):
            if i == MAX_PREFIX_SCAN:
                complete = False
                break
            text = text.decode("utf-8") if isinstance(text, bytes) else text
            found.append((-reader.doc_frequency(q.fieldname, text), text))
        if len(found) > MAX_PREFIX_TERMS:
            complete = False
            found.sort()
            found = found[:MAX_PREFIX_TERMS]
        expansion = Expansion(tuple(sorted(t for _, t in found)), complete)
        with self._lock:
            self._expansions[key] = expansion
        return expansion

    @property
    def budget(self):
        return getattr(self._local, "budget", UNBOUNDED)

    @contextmanager
    def using(self, searcher, budget=UNBOUNDED):
        """Read the index through ``searcher`` (this thread's) in the block."""
        self._local.searcher = searcher
        self._local.budget = budget
        try:
            yield self
        finally:
            self._local.searcher = None
            self._local.budget = UNBOUNDED

    def _eval(self, q):
        self.budget.check()
        if isinstance(q, Q.Term):
            return self._term(q) if q.fieldname == self.fieldname else self._whoosh(q)
        if isinstance(q, (Q.Prefix, Q.Wildcard)):
            # Each term a prefix stands for is searched as written: the
            # prefix already chose them.
            terms = self.expansion(q).terms
            with self._as_written():
                return self._or(Q.Or([Q.Term(q.fieldname, t, boost=q.boost) for t in terms]))
        if isinstance(q, Q.Phrase):
            return self._phrase(q)
        if isinstance(q, Q.Or):
            return self._or(q)
        if isinstance(q, Q.And):
            return self._and(q)
        if isinstance(q, Q.AndNot):
            left = self._eval(q.a)
            with self._as_written():
                # -لعدم leaves the articles that say only عدم.
                excluded = self._eval(q.b)
            keep = ~np.isin(left.docs, excluded.docs, assume_unique=True)
            return Ranked(left.docs[keep], left.scores[keep] * q.boost, left.matched[keep])
        if isinstance(q, Q.AndMaybe):
            left, right = self._eval(q.a), self._eval(q.b)
            _, li, ri = np.intersect1d(left.docs, right.docs, assume_unique=True, return_indices=True)
            scores = left.scores.copy()
            matched = left.matched.copy()
            scores[li] += right.scores[ri]
            matched[li] += right.matched[ri]
            return Ranked(left.docs, scores * q.boost, matched)
        return self._whoosh(q)

    @contextmanager
    def _as_written(self):
        """Search words as written in the block, without their clitic forms:
        a prefix's terms, a phrase's words and what a NOT excludes."""
        before = getattr(self._local, "literal", False)
        self._local.literal = True
        try:
            yield
        finally:
            self._local.literal = before

    def _matches(self, q):
        """The docnums Whoosh's own matcher finds for ``q`` (deleted ones
        included), read within the budget."""
        docs = []
        budget = self.budget
        for i, docnum in enumerate(self.searcher.docs_for_query(q, for_deletion=True)):
            if i % PHRASE_CHECK == 0:
                budget.check()
            docs.append(docnum)
        return np.unique(np.asarray(docs, dtype=np.int64))

    def _whoosh(self, q):
        # Anything else the parser may make (none today): Whoosh's matches,
        # unscored.
        docs = self._matches(q)
        return Ranked(docs, np.zeros(len(docs)), np.ones(len(docs)))

    def _phrase(self, q):
        with self._as_written():
            words = [self._term(Q.Term(q.fieldname, w)) for w in q.words]
        if any(not len(w.docs) for w in words):
            return Ranked.empty()
        # Whoosh checks positions; the words' postings say where to look first.
        docs = self._matches(q)
        scores = np.zeros(len(docs))
        for word in words:
            _, mine, theirs = np.intersect1d(docs, word.docs, assume_unique=True, return_indices=True)
            scores[mine] += word.scores[theirs]
        return Ranked(docs, scores * q.boost, np.ones(len(docs)))

    def clitic_forms(self, fieldname, text):
        """The index terms query word ``text`` also finds: the word without
        the preposition the stemmer left on it (see ``CLITIC_WEIGHT``).
        None for a word the stemmer keeps whole on purpose: a protected name
        (بلير, بيرو) or a stem whose first ل is its own (لباس)."""
        if text[:1] not in CLITIC_PREPOSITIONS or len(text) < 4:
            return ()
        if kept_whole(text):
            return ()
        bare = text[1:]
        if self.doc_frequency(fieldname, bare) > self.doc_frequency(fieldname, text):
            return (bare,)
        return ()

    def _term(self, q):
        literal = getattr(self._local, "literal", False)
        forms = () if literal else self.clitic_forms(q.fieldname, q.text)
        if forms:
            return self._with_forms(q, forms)
        docs, tf = self.postings(q.fieldname, q.text)
        if not len(docs):
            return Ranked.empty()
        tf = tf.astype(np.float64)   # scored in float64, as Whoosh scores
        idf = lucene_idf(self.doc_count, self.doc_frequency(q.fieldname, q.text))
        norm = self.K1 * ((1 - self.B) + self.B * self.lengths[docs] / self.avgfl)
        scores = idf * (tf * (self.K1 + 1)) / (tf + norm) * q.boost
        return Ranked(docs, scores, np.ones(len(docs)))

    def _with_forms(self, q, forms):
        """Score word ``q`` as one term whose postings include ``forms``'."""
        ids, tfs = [], []
        for text, weight in [(q.text, 1.0)] + [(form, CLITIC_WEIGHT) for form in forms]:
            docs, tf = self.postings(q.fieldname, text)
            ids.append(docs)
            tfs.append(tf.astype(np.float64) * weight)
        docs, (tf,) = self._summed(np.concatenate(ids), np.concatenate(tfs))
        # The largest of the spellings' document frequencies, as Lucene's
        # SynonymQuery takes (deleted documents counted, as for a word).
        df = max(self.doc_frequency(q.fieldname, text) for text in (q.text,) + tuple(forms))
        idf = lucene_idf(self.doc_count, df)
        norm = self.K1 * ((1 - self.B) + self.B * self.lengths[docs] / self.avgfl)
        scores = idf * (tf * (self.K1 + 1)) / (tf + norm) * q.boost
        return Ranked(docs, scores, np.ones(len(docs)))

    def _or(self, q):
        parts = [self._eval(c) for c in q.children()]
        parts = [p for p in parts if len(p.docs)]
        if not parts:
            return Ranked.empty()
        docs, (scores, matched) = self._summed(
            np.concatenate([p.docs for p in parts]),
            np.concatenate([p.scores for p in parts]), np.concatenate([p.matched for p in parts]),
        )
        if q.scale:
            scores = self._coordinate(scores, matched, self._term_count(q), q.scale)
        return Ranked(docs, scores * q.boost, matched)

    def _summed(self, every, *weights):
        """(distinct docnums of ``every``, each of ``weights`` summed by docnum)."""
        if len(every) * DENSE_OR > self.doc_count:
            # Many postings: sums over every docnum beat sorting them.
            docs = np.flatnonzero(np.bincount(every, minlength=self.doc_count))
            return docs, [np.bincount(every, weights=w, minlength=self.doc_count)[docs] for w in weights]
        docs, inverse = np.unique(every, return_inverse=True)
        return docs, [np.bincount(inverse, weights=w) for w in weights]

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
            with self._as_written():
                excluded = self._eval(child)
            keep = ~np.isin(result.docs, excluded.docs, assume_unique=True)
            result = Ranked(result.docs[keep], result.scores[keep], result.matched[keep])
        return Ranked(result.docs, result.scores * q.boost, result.matched)

    def _term_count(self, q):
        # Whoosh counts the term matchers it built: terms not in the index
        # get none.
        if isinstance(q, Q.Term):
            spellings = (q.text,) + self.clitic_forms(q.fieldname, q.text)
            return int(any(self.doc_frequency(q.fieldname, t) > 0 for t in spellings))
        if q.is_leaf():
            return 0
        return sum(self._term_count(c) for c in q.children())

    @staticmethod
    def _coordinate(scores, matched, termcount, scale):
        # Whoosh's CoordMatcher: (score + (m - 1) / (n - scale)^2) * (n - 1) / n
        if termcount == 0 or termcount == scale:
            return np.zeros_like(scores)
        return (scores + (matched - 1) / (termcount - scale) ** 2) * ((termcount - 1) / termcount)


def _nbytes(arrays):
    return sum(a.nbytes for a in arrays)


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
