"""BM25 with Lucene's idf.

Whoosh's BM25F uses idf = log(N / (n + 1)) + 1, which never falls below 1, so
a word found in every article still counts as much as a rare one in the
first place; Lucene's idf = log(1 + (N - n + 0.5) / (n + 0.5)) fades such
words towards zero.  On the relevance benchmark the Lucene idf is worth about
+0.02 MRR@10 (bench/results/relevance.md).  Everything else (the term
saturation K1, length normalization B, Whoosh's quantized field lengths and
its block-max pruning) is Whoosh's own.
"""

from math import log

from whoosh.scoring import BM25F, BM25FScorer

from indexer.whoosh_internals import field_b


def lucene_idf(doc_count, doc_freq):
    """Lucene's BM25 idf (org.apache.lucene.search.similarities.BM25Similarity)."""
    return log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


class LuceneIdfScorer(BM25FScorer):
    def __init__(self, searcher, fieldname, text, B, K1, qf=1):
        super().__init__(searcher, fieldname, text, B, K1, qf=qf)
        parent = searcher.get_parent()
        self.idf = lucene_idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))


class LuceneBM25(BM25F):
    """:class:`whoosh.scoring.BM25F` with :func:`lucene_idf` (defaults K1=1.2, B=0.75)."""

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf=qf)
        B = field_b(self, fieldname)
        return LuceneIdfScorer(searcher, fieldname, text, B, self.K1, qf=qf)
