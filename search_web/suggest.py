"""Spelling suggestions for the empty state, within a time budget.

``SearchService.suggest`` can be slow: it looks a few hundred one-edit
spellings of each unknown word up in every segment (about 50 ms a word on
the full SaudiNewsNet index, more as segments multiply), and an earlier
version took 20 s a call.  A results page must not wait for that,
and a burst of misspelled queries must not occupy every server thread.
So suggestions are computed by one background thread per process, waited
for up to ``timeout`` seconds, and remembered: a page that timed out shows
the tips without suggestions, and the next visit finds them cached.  While
the thread is busy, new misspellings get no suggestions rather than a
queue.
"""

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor, TimeoutError

CACHE_SIZE = 2048


class Suggester:
    def __init__(self, timeout=1.0):
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="suggest")
        self._lock = threading.Lock()
        self._cache = OrderedDict()  # (generation, text) -> [suggestions]
        self._pending = {}  # key -> Future

    def suggest(self, service, text, generation=None):
        """Return ``service``'s suggestions for ``text``, or [] if not ready in time.

        ``generation`` (e.g. the index's document count) keys the cache, so
        a grown index is asked again.
        """
        key = (generation, text)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            future = self._pending.get(key)
            if future is None:
                if self._pending:
                    return []  # the one worker is busy with another query
                future = self._pool.submit(self._compute, service, text, key)
                self._pending[key] = future
        try:
            return future.result(timeout=self.timeout)
        except TimeoutError:
            return []

    def _compute(self, service, text, key):
        try:
            value = service.suggest(text)
        except Exception:  # a suggestion is a nicety: never an error page
            value = []
        with self._lock:
            self._pending.pop(key, None)
            self._cache[key] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def close(self):
        self._pool.shutdown(wait=True)
