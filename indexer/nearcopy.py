"""Near-copies: the same story printed by several papers, found at index time.

A wire story (SPA, Reuters, AFP) reaches a reader ten times, with other
headlines, a paper's byline and footer, a sentence cut or added.  Each
article gets a MinHash signature of its body's word shingles, and articles
whose signatures agree enough are one cluster; results show a cluster once
("and N more copies"), facets still count every article.

* **Shingles**: runs of ``SHINGLE`` consecutive index terms of the body
  (stemmed and normalized, so clitics and spelling do not matter; titles
  differ between papers and are left out, and so is source boilerplate).
* **Signature**: ``PERMUTATIONS`` minima of multiply-shift hashes of the
  shingles (Broder's MinHash): the share of equal minima estimates the
  Jaccard similarity of two articles' shingle sets.
* **Candidates** by locality-sensitive hashing: the signature is cut into
  ``BANDS`` bands of ``ROWS`` minima, and two articles sharing a band are
  compared; a pair is a copy when its estimated Jaccard similarity is at
  least ``THRESHOLD``.  With 4 bands of 8, a pair at similarity 0.8 is a
  candidate with probability 1 - (1 - 0.8**8)**4 = 0.53 per chance, 0.9:
  0.88, 0.95: 0.99; near-identical copies are found, loose rewrites not.
* **Clusters**: an article that is a copy of an indexed one takes its
  cluster key; otherwise its key is new (a hash of its id).  The key is
  stored with the article, so a result page collapses with one array look-up.
* **Where**: signatures are computed by the worker processes that build
  the segments (:func:`indexer.segments.build_segment`), from words whose
  index terms they look up anyway, and each article is written as a new
  cluster; the parent assigns the keys in reading order once a batch's
  segments are back, and rewrites the copies' keys in them before the
  commit (:func:`indexer.segments.set_clusters`).

Bodies with fewer than ``MIN_TERMS`` terms get no signature: too little text
to tell a copy from a template.  (Own code rather than datasketch: the
signatures of a batch are computed at once in numpy, and the band tables of
an index of a million articles are four sorted arrays.)
"""

import hashlib
import zlib
from itertools import compress, count, repeat
from operator import is_

import numpy as np

from analyzers.analysis import index_term
from analyzers.tokenizer import WORD_PATTERN

SHINGLE = 5
PERMUTATIONS = 32
BANDS, ROWS = 4, 8
THRESHOLD = 0.8
MIN_TERMS = 30
NO_SIGNATURE = np.zeros(PERMUTATIONS, dtype=np.uint32)

_rng = np.random.default_rng(20151)
# Multiply-shift hashing: odd 64-bit multipliers, the high 32 bits kept.
_A = (_rng.integers(1, 1 << 63, size=PERMUTATIONS, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
_B = _rng.integers(0, 1 << 63, size=PERMUTATIONS, dtype=np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
NO_TERM = -1


# word -> the 32-bit hash of its index term (NO_TERM for a stopword): a
# plain dict, as a look-up through map() costs a fraction of an lru_cache
# call; bounded like one (past it, new words are hashed each time).
_HASHES = {}
HASH_CACHE = 1 << 18


def _word_hash(word):
    # Signatures are computed where the segments are built, so the word's
    # term is nearly always in index_term's cache already.
    term = index_term(word)
    found = NO_TERM if term is None else zlib.crc32(term.encode("utf-8"))
    if len(_HASHES) < HASH_CACHE:
        _HASHES[word] = found
    return found


def signature(body):
    """The MinHash signature of ``body`` (uint32 x PERMUTATIONS), or
    NO_SIGNATURE for a body too short to compare."""
    return words_signature(WORD_PATTERN.findall(body))


def words_signature(words):
    """:func:`signature` of a body from its words (the tokenizer's, a list)."""
    hashes = list(map(_HASHES.get, words))
    if None in hashes:
        # Only the new words' places are visited in Python (a few a body).
        for i in compress(count(), map(is_, hashes, repeat(None))):
            hashes[i] = _word_hash(words[i])
    hashes = np.array(hashes, dtype=np.int64)
    hashes = hashes[hashes != NO_TERM].astype(np.uint64)
    if len(hashes) < MIN_TERMS:
        return NO_SIGNATURE
    # A shingle's hash: the polynomial of its terms' hashes (wrapping).
    shingles = np.zeros(len(hashes) - SHINGLE + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(SHINGLE):
            shingles = shingles * _MIX + hashes[j:len(hashes) - SHINGLE + 1 + j]
        # Minima over the shingles are minima over the distinct ones: a
        # repeated shingle needs no np.unique (a sort).  In place: the
        # (shingles x PERMUTATIONS) products are the largest arrays here.
        mixed = np.multiply.outer(shingles, _A)
        mixed += _B
    # The high 32 bits of the least hash are the least high 32 bits: one
    # shift a permutation, not one a shingle.
    return (mixed.min(axis=0) >> np.uint64(32)).astype(np.uint32)


def pack(sig, key):
    """The bytes stored in the index for a signature and a cluster key."""
    return sig.astype("<u4").tobytes() + int(key).to_bytes(8, "little", signed=True)


def unpack_many(data, count):
    """(signatures uint32 (count x PERMUTATIONS), keys int64) from packed bytes."""
    raw = np.frombuffer(data, dtype=np.uint8).reshape(count, -1)
    sigs = raw[:, :PERMUTATIONS * 4].copy().view("<u4").astype(np.uint32)
    keys = raw[:, PERMUTATIONS * 4:].copy().view("<i8")[:, 0].astype(np.int64)
    return sigs, keys


def similarity(a, b):
    """The share of equal minima: an estimate of the Jaccard similarity."""
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


def cluster_key(doc_id):
    """A new cluster's key, from the id of its first article (a signed 63-bit int)."""
    return int.from_bytes(hashlib.sha1(doc_id.encode("utf-8", "surrogatepass")).digest()[:8], "big") >> 1


def _band_keys(signatures):
    """One 64-bit key per band per signature: shape (n, BANDS)."""
    sig = np.asarray(signatures, dtype=np.uint64).reshape(-1, BANDS, ROWS)
    keys = np.zeros(sig.shape[:2], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(ROWS):
            keys = keys * _MIX + sig[:, :, r]
    return keys


class Clusters:
    """Assigns cluster keys to new articles, from the signatures of the
    index and of the run so far: arrays, with one sorted table per band
    (a few hundred bytes an article; lists and tuples per band cost a
    kilobyte)."""

    def __init__(self, signatures=None, keys=None):
        self._signatures = np.empty((0, PERMUTATIONS), dtype=np.uint32)
        self._keys = np.empty(0, dtype=np.int64)
        # Per band: its keys sorted, and the rows they belong to.
        self._tables = [(np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)) for _ in range(BANDS)]
        if signatures is not None:
            self._add(np.asarray(signatures, dtype=np.uint32), np.asarray(keys, dtype=np.int64))

    def _add(self, signatures, keys):
        """Make articles candidates for later ones.  In a band's table the
        rows with one key stay in the order they were added, which is the
        order they are compared in (a tie goes to the last)."""
        has = signatures.any(axis=1) if len(signatures) else np.zeros(0, dtype=bool)
        signatures, keys = signatures[has], keys[has]
        first = len(self._signatures)
        self._signatures = np.concatenate([self._signatures, signatures])
        self._keys = np.concatenate([self._keys, keys])
        bands = _band_keys(signatures)
        for b, (table, rows) in enumerate(self._tables):
            order = np.argsort(bands[:, b], kind="stable")
            values = bands[order, b]
            at = np.searchsorted(table, values, "right")
            self._tables[b] = (np.insert(table, at, values), np.insert(rows, at, order + first))

    def assign(self, doc_id, sig):
        """Return the cluster key of a new article with signature ``sig``."""
        return self.assign_many([doc_id], [sig])[0]

    def assign_many(self, doc_ids, signatures):
        """Return the cluster keys of new articles, in order: each is
        compared with the index, the earlier calls' articles and those
        before it in this call.

        The band keys and the tables' candidate ranges of all of them are
        worked out at once; only the comparisons run article by article.
        """
        signatures = np.asarray(signatures, dtype=np.uint32).reshape(-1, PERMUTATIONS)
        has = signatures.any(axis=1)
        bands = _band_keys(signatures)
        ranges = [
            (np.searchsorted(table, bands[:, b], "left").tolist(),
             np.searchsorted(table, bands[:, b], "right").tolist())
            for b, (table, _) in enumerate(self._tables)
        ]
        run = [{} for _ in range(BANDS)]   # this call's: band key -> [(signature, key)]
        out = []
        for i, (doc_id, sig, band_keys) in enumerate(zip(doc_ids, signatures, bands.tolist())):
            if not has[i]:
                out.append(cluster_key(doc_id))
                continue
            best, best_key = THRESHOLD, None
            for b in range(BANDS):
                lo, hi = ranges[b][0][i], ranges[b][1][i]
                for j in self._tables[b][1][lo:hi].tolist():
                    score = similarity(sig, self._signatures[j])
                    if score >= best:
                        best, best_key = score, int(self._keys[j])
                for other, key in run[b].get(band_keys[b], ()):
                    score = similarity(sig, other)
                    if score >= best:
                        best, best_key = score, key
            key = best_key if best_key is not None else cluster_key(doc_id)
            for b in range(BANDS):
                run[b].setdefault(band_keys[b], []).append((sig, key))
            out.append(key)
        self._add(signatures, np.asarray(out, dtype=np.int64))
        return out
