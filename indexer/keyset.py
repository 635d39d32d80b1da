"""A set of strings in 16 bytes an entry: what an indexing run remembers of
the index (every id, fingerprint and content key).

As Python sets of str these took about 150 bytes an entry, some 400 MB of
the indexer's memory at a million articles (bench/results/scale.md), and
grew with every run.  Here each string is kept as its 128-bit BLAKE2
digest, the digests sorted in two uint64 arrays, looked up by bisection;
strings added during the run go to a plain set of digests.  Two strings
share a digest with probability about n² / 2**129 (3e-27 for a million):
treated as exact, as git treats its object names.
"""

from hashlib import blake2b

import numpy as np

DIGEST_BYTES = 16


def digest(key):
    """The 16-byte digest a key is kept as."""
    return blake2b(key.encode("utf-8", "surrogatepass"), digest_size=DIGEST_BYTES).digest()


class KeySet:
    """Membership and additions, no removal or iteration: the index's keys
    at the start of a run, and the run's."""

    def __init__(self, keys=()):
        raw = b"".join(map(digest, keys))
        pairs = np.frombuffer(raw, dtype="<u8").reshape(-1, 2)
        order = np.lexsort((pairs[:, 1], pairs[:, 0]))
        self._high = pairs[order, 0].copy()
        self._low = pairs[order, 1].copy()
        self._added = set()

    def __contains__(self, key):
        found = digest(key)
        if found in self._added:
            return True
        high, low = np.frombuffer(found, dtype="<u8")
        first = np.searchsorted(self._high, high, "left")
        last = np.searchsorted(self._high, high, "right")
        return bool((self._low[first:last] == low).any())

    def add(self, key):
        self._added.add(digest(key))

    def update(self, keys):
        self._added.update(map(digest, keys))
