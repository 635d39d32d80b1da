"""A set of strings in 16 bytes an entry: what an indexing run remembers of
the index (every id, fingerprint and content key).

As Python sets of str these took about 150 bytes an entry, some 400 MB of
the indexer's memory at a million articles (bench/results/scale.md), and
grew with every run.  Here each string is kept as its 128-bit BLAKE2
digest, the digests sorted in two uint64 arrays, looked up by bisection;
strings added during the run go to a set of digests, merged into the
arrays now and then.  Two strings
share a digest with probability about n² / 2**129 (3e-27 for a million):
treated as exact, as git treats its object names.
"""

from hashlib import blake2b

import numpy as np

DIGEST_BYTES = 16


def digest(key):
    """The 16-byte digest a key is kept as."""
    return blake2b(key.encode("utf-8", "surrogatepass"), digest_size=DIGEST_BYTES).digest()


# Added keys are merged into the sorted arrays once there are this many,
# or a quarter of the arrays' if more: a run that indexes a million new
# articles keeps 16 bytes a key, not a set entry's ~100, at a few sorts.
MERGE_AT = 65536


class KeySet:
    """Membership and additions, no removal or iteration: the index's keys
    at the start of a run, and the run's."""

    def __init__(self, keys=()):
        self._high = self._low = np.empty(0, dtype="<u8")
        self._added = set()
        self._merge(keys)

    def __contains__(self, key):
        found = digest(key)
        if found in self._added:
            return True
        if not len(self._high):
            return False   # a first run: no numpy calls for each article's two look-ups
        high, low = np.frombuffer(found, dtype="<u8")
        first = np.searchsorted(self._high, high, "left")
        last = np.searchsorted(self._high, high, "right")
        return bool((self._low[first:last] == low).any())

    def add(self, key):
        self.update((key,))

    def update(self, keys):
        self._added.update(map(digest, keys))
        if len(self._added) >= max(MERGE_AT, len(self._high) // 4):
            added, self._added = self._added, set()
            self._merge(added, hashed=True)

    def _merge(self, keys, hashed=False):
        raw = b"".join(keys if hashed else map(digest, keys))
        pairs = np.frombuffer(raw, dtype="<u8").reshape(-1, 2)
        high = np.concatenate([self._high, pairs[:, 0]])
        low = np.concatenate([self._low, pairs[:, 1]])
        order = np.lexsort((low, high))
        self._high, self._low = high[order], low[order]
