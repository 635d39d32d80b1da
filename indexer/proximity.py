"""Term proximity: rerank the best BM25 candidates by how close the query's words are.

BM25 scores a bag of words: an article that names "the Panthers" in one
paragraph and "defence" five paragraphs later scores as well as one that
says "the Panthers' defence".  For questions and multi-word queries the
second is nearly always the better answer.  Following BM25TP (Rasolofo and
Savoy, "Term proximity scoring for keyword-based retrieval systems", ECIR
2003), every pair of occurrences of two different query words at most
``WINDOW`` positions apart adds ``1 / distance**2`` to both words'
accumulators; each word then contributes a BM25-saturated share of its
accumulator, weighted by ``min(1, idf)``, and the sum is added to the BM25
score.  Spelling variants of one word (:mod:`analyzers.variants`) count as
one word.

The same candidates (of a query of two words or more) also get a lead
bonus.  A news story names its subject in the headline and the first
sentence (the inverted pyramid), so where a query word first occurs says
how central it is: each word adds its weight times
``1 / (1 + first position / LEAD_HALF)``, and the sum counts
``LEAD_WEIGHT`` (after "chronological term rank", Troy and Zhang, SIGIR
2007).  Positions count from the headline's first word.  On the relevance
benchmark (``bench/results/relevance.md``) it lifts the news questions by
0.004-0.013 MRR@10 over weights 0.5-3 and half-way positions 5-50, and
moves XQuAD-ar by -0.003 to +0.002 (+0.002 as shipped): within noise
there, chosen for news.

Only the best ``DEPTH`` candidates are rescored, reading their positions
from the posting lists (the blocks holding them), so the cost is bounded
whatever the number of matches; the ranker keeps the positions read for
its generation.
"""

import numpy as np

from analyzers.variants import variants
from indexer.query import positive_terms
from indexer.scoring import lucene_idf

# Candidates rescored (by BM25 rank), pair window in positions, weight of
# the proximity score relative to BM25.
DEPTH = 50
WINDOW = 8
WEIGHT = 1.0
# Weight of the lead bonus, and the position where a word's first
# occurrence counts half (about the end of a headline and a lead's first
# clause).
LEAD_WEIGHT = 2.0
LEAD_HALF = 20


def query_words(q, fieldname):
    """The positive terms of ``q`` grouped by word: a tuple of spellings each."""
    terms = positive_terms(q, fieldname, phrases=False)
    groups = {}
    for term in terms:
        family = variants(term)
        key = min(family)
        groups.setdefault(key, set()).add(term)
    return [tuple(sorted(g)) for g in groups.values()]


def candidate_positions(ranker, words, docs):
    """{docnum: [(position, word index), ...] sorted} for global ``docs``.

    The ranker's cached posting ids say which candidates hold each
    spelling; their positions come from the ranker (:meth:`~indexer.ranking.Ranker.positions`).
    """
    fieldname = ranker.fieldname
    out = {int(d): [] for d in docs}
    order = np.sort(np.asarray(docs, dtype=np.int64))
    for w, spellings in enumerate(words):
        for text in spellings:
            ids = ranker.postings(fieldname, text)[0]
            having = order[np.isin(order, ids, assume_unique=True)]
            if len(having):
                for docnum, positions in ranker.positions(fieldname, text, having.tolist()).items():
                    out[docnum].extend((p, w) for p in positions)
    for occurrences in out.values():
        occurrences.sort()
    return out


def proximity_scores(ranker, words, docs):
    """BM25TP proximity scores of global ``docs`` (an array) for ``words``,
    each with its lead bonus."""
    fieldname = ranker.fieldname
    weights = []
    for spellings in words:
        df = max(ranker.doc_frequency(fieldname, t) for t in spellings)
        weights.append(min(1.0, lucene_idf(ranker.doc_count, df)) if df else 0.0)
    found = candidate_positions(ranker, words, docs)
    k1 = ranker.K1
    scores = np.zeros(len(docs))
    for i, docnum in enumerate(docs.tolist()):
        occ = found[docnum]
        if LEAD_WEIGHT:
            first = {}
            for p, w in occ:
                first.setdefault(w, p)
            scores[i] = LEAD_WEIGHT * sum(weights[w] / (1.0 + p / LEAD_HALF) for w, p in first.items())
        if not WEIGHT or len(occ) < 2:
            continue
        acc = [0.0] * len(words)
        for a in range(len(occ)):
            pa, wa = occ[a]
            for b in range(a + 1, len(occ)):
                pb, wb = occ[b]
                d = pb - pa
                if d > WINDOW:
                    break
                if wa != wb and d > 0:
                    t = 1.0 / (d * d)
                    acc[wa] += t * weights[wb]
                    acc[wb] += t * weights[wa]
        norm = k1 * ((1 - ranker.B) + ranker.B * ranker.lengths[docnum] / ranker.avgfl)
        scores[i] += WEIGHT * sum(
            weights[w] * (k1 + 1) * a / (norm + a) for w, a in enumerate(acc) if a
        )
    return scores


def rerank(ranker, q, docs, scores):
    """Add proximity scores and lead bonuses to the best ``DEPTH`` of
    ``docs`` for a query of two words or more; return new scores.

    ``docs`` and ``scores`` are parallel arrays (every match); only the top
    candidates change, by a non-negative bonus, so every other match stays
    below them, in BM25 order.
    """
    if not (WEIGHT or LEAD_WEIGHT) or len(docs) < 2:
        return scores
    words = query_words(q, ranker.fieldname)
    if len(words) < 2:
        return scores
    from indexer.ranking import top

    best = top(docs, scores, DEPTH)
    bonus = proximity_scores(ranker, words, docs[best])
    scores = scores.copy()
    scores[best] += bonus
    return scores
