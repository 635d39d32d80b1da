"""Whole search results kept for a repeated request, as a search server's
query result cache (Solr's queryResultCache, Elasticsearch's request cache).

On a million articles a results page costs about 100 ms of CPU, most of
it counting facets and pairs over every match (bench/results/scale.md);
people repeat searches (the next page, a facet ticked and unticked, the
same news word as everyone else that day), and the answer to the same
request on the same index generation and the same entity curation is the
same.  So the service keeps the last ``size`` results, keyed by everything
that decides them; a commit or an edit of the curation changes the key,
and what was kept for the old one ages out.

A result is kept pickled and handed out as a fresh copy: callers may
change what they get, and threads share the cache.  Pickling copies in C
what ``copy.deepcopy`` copies object by object in Python (a page's result
is some 3,000 objects), and the bytes take less memory than the objects.
"""

import pickle
import threading
from collections import OrderedDict

# Results kept per service (per server process).  A page of results with
# facets, timeline and pairs pickles to about 60 KB on a million articles:
# some 30 MB for 512.  A kept result is copied out in well under 1 ms,
# where computing it took 50-150 ms.
RESULT_CACHE = 512


class ResultCache:
    """A thread-safe LRU of ``size`` results; ``size`` 0 keeps none."""

    def __init__(self, size=RESULT_CACHE):
        self.size = size
        self._kept = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        """A copy of the result kept for ``key``, or None."""
        if not self.size:
            return None
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
        return pickle.loads(found)

    def put(self, key, result):
        if not self.size:
            return
        kept = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
