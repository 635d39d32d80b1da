"""Pooled searchers and the arrays of each index generation.

Whoosh's readers share file objects, and concurrent reads through one
searcher came back corrupt: a searcher is lent to one thread at a time.
What is built from a generation once (which documents are live, their
dates and lengths, the facet columns, the ranker and its caches, the
documents' boilerplate spans) is shared by all threads and built under a
lock, by the first thread that needs it, through the searcher it holds.
"""

import os
import threading
import time
from contextlib import contextmanager

import numpy as np

from indexer import columns
from indexer import schema as S
from indexer.boilerplate import Boilerplate, KnownSpans
from indexer.facets import FacetColumn
from indexer.ranking import Ranker

# Generations whose arrays are kept: threads may briefly straddle a commit.
KEPT_GENERATIONS = 2
# Searchers open at once (see Snapshots), and seconds between two looks at
# a waiting search's budget.
SEARCHERS = 2
WAIT_CHECK = 0.05
_MISSING = object()


class Generation:
    """The arrays of one index generation, shared by the service's threads."""

    def __init__(self, generation):
        self.generation = generation
        self.lock = threading.Lock()   # guards ``locks``
        # One lock per array: a slow build (the actor facet's join took 5 s
        # on a 300k-article index) must not hold up searches that only need
        # arrays already built.  An array built from another (the ranker
        # from the lengths) takes that one's lock inside its own; no array
        # is built from one built from it, so the order is fixed.
        self.locks = {}
        self.cache = {}


class Snapshot:
    """A generation's arrays as one thread sees them: built on first use
    through this thread's searcher, since Whoosh's file objects must not be
    shared between threads."""

    def __init__(self, generation, searcher, segment_arrays, index_dir=None):
        self._generation = generation
        self.searcher = searcher
        self.size = searcher.doc_count_all()
        self._segment_arrays = segment_arrays
        self._index_dir = index_dir

    def cached(self, key, build):
        """``build()``, once per generation for ``key``."""
        return self._get(key, build)

    def _get(self, key, build):
        shared = self._generation
        # Built already: read without a lock (a dict read is atomic).
        found = shared.cache.get(key, _MISSING)
        if found is not _MISSING:
            return found
        with shared.lock:
            lock = shared.locks.setdefault(key, threading.Lock())
        with lock:
            if key not in shared.cache:
                shared.cache[key] = build()
            return shared.cache[key]

    @property
    def live(self):
        def build():
            live = np.ones(self.size, dtype=bool)
            for sub, offset in self.searcher.leaf_searchers():
                reader = sub.reader()
                if reader.has_deletions():
                    for docnum in reader.deleted_docs_set:
                        live[offset + docnum] = False
            return live

        return self._get("live", build)

    @property
    def arrays(self):
        """The generation's :class:`indexer.columns.SegmentArrays`, joined
        from each segment's (loaded once per segment, across generations)."""

        def build():
            parts = [
                (self._segment_arrays(sub.reader()), offset)
                for sub, offset in self.searcher.leaf_searchers()
            ]
            return columns.Joined(parts)

        return self._get("arrays", build)

    @property
    def dates(self):
        """Each document's date as Whoosh's long, or -1 when it has none."""
        return self.arrays.dates

    @property
    def ranker(self):
        return self._get("ranker", lambda: Ranker(self.searcher, S.TEXT, self.arrays.lengths))

    @property
    def boilerplate(self):
        """{source: boilerplate keys} as the indexer last saved them
        (:mod:`indexer.boilerplate`), for snippets."""
        def build():
            if self._index_dir is None:
                return {}
            return Boilerplate.load(self._index_dir).table()

        return self._get("boilerplate", build)

    def snippet_text(self, docnum, stored):
        """The body a snippet of document ``docnum`` (its ``stored`` fields)
        is taken from: without its source's boilerplate, found once per
        document (:class:`indexer.boilerplate.KnownSpans`)."""
        known = self._get("boilerplate spans", lambda: KnownSpans(self.boilerplate))
        return known.strip(docnum, stored.get(S.BODY, ""), stored.get(S.SOURCE, ""))

    def facet(self, name):
        return self._get(("facet", name), lambda: FacetColumn(self.arrays.facet(name), self.size))


# A folder's listing is trusted as long as the folder's modification time
# stays as it was, except a listing made within this many nanoseconds of
# that time: a change in the same tick of a coarse file system clock
# would leave the time as it was (git's "racy" index entries).
RACY_NS = 2_000_000_000


class LatestGeneration:
    """The index's latest commit, the folder listed again only once it changed.

    Whoosh finds the latest commit by listing the index folder for its
    tables of contents: 0.6 ms on a million-article index of 1,000 files,
    and every search asks (for the result cache's key, and whether its
    searcher is current), where a look at the folder's modification time
    costs 2 microseconds.  A commit adds a table of contents, which changes
    that time.  Without a folder (``index_dir`` None), each call lists.
    """

    def __init__(self, ix, index_dir=None):
        self.ix = ix
        self.index_dir = index_dir
        self._kept = None  # ((inode, mtime), generation)

    def __call__(self):
        if self.index_dir is None:
            return self.ix.latest_generation()
        folder = os.stat(self.index_dir)
        key = (folder.st_ino, folder.st_mtime_ns)
        kept = self._kept
        if kept is not None and kept[0] == key:
            return kept[1]
        generation = self.ix.latest_generation()
        if time.time_ns() - folder.st_mtime_ns > RACY_NS:
            self._kept = (key, generation)
        return generation


class Snapshots:
    """Lends searchers of the latest commit, and each one's snapshot.

    Searchers are pooled: at most ``searchers`` are open, each lent to one
    thread at a time (Whoosh's file objects must not be shared), and a
    thread asking while all are lent waits.  A searcher keeps per-segment
    state (term tables, column offsets, buffers): about 57 MB on a
    million-article index of 500 segments, so a server process of 8
    threads with a searcher each held 450 MB for them; searching is bound
    by the CPU and the GIL, and two searchers a process keep its cores as
    busy.
    """

    def __init__(self, ix, weighting, index_dir=None, searchers=SEARCHERS):
        self.ix = ix
        self.weighting = weighting
        self.index_dir = index_dir
        self.searchers = searchers
        self.latest = LatestGeneration(ix, index_dir)
        self._segments = {}   # segment id -> SegmentArrays
        self._lock = threading.Lock()
        self._returned = threading.Condition(self._lock)
        self._local = threading.local()
        self._idle = []
        self._open = 0        # searchers open, idle or lent
        self._closed = False
        self._generations = {}

    def close(self):
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
        for searcher in idle:
            searcher.close()

    @contextmanager
    def current(self, budget=None):
        """``(searcher, snapshot)`` on the latest commit, lent to this
        thread for the block.  Re-entered in the block, the same pair.

        While every searcher is lent, waits, checking ``budget`` (a
        :class:`indexer.ranking.Budget`: its deadline and whether its
        asker still waits) every ``WAIT_CHECK`` seconds.
        """
        held = getattr(self._local, "held", None)
        if held is not None:
            yield held
            return
        searcher = self._borrow(budget)
        try:
            if searcher.reader().generation() != self.latest():
                # A new searcher, not searcher.refresh(): whoosh-reloaded
                # 2.7.5's reader reuse adds back every segment the new
                # commit dropped (merged away), so its documents would
                # count twice.  The expensive part, each segment's arrays,
                # is kept by segment.
                old, searcher = searcher, None
                old.close()
                searcher = self.ix.searcher(weighting=self.weighting)
            self._local.held = (searcher, self._snapshot(searcher))
            yield self._local.held
        finally:
            self._local.held = None
            self._give_back(searcher)

    def _borrow(self, budget):
        with self._lock:
            while not self._idle and self._open >= self.searchers and not self._closed:
                self._returned.wait(WAIT_CHECK)
                if budget is not None:
                    budget.check()
            if self._closed:
                raise RuntimeError("the search service is closed")
            if self._idle:
                # The longest idle first: every searcher takes turns, and
                # none stays on an old commit's files while another works.
                return self._idle.pop(0)
            self._open += 1
        try:
            return self.ix.searcher(weighting=self.weighting)
        except BaseException:
            self._give_back(None)
            raise

    def _give_back(self, searcher):
        with self._lock:
            if searcher is None or self._closed:
                self._open -= 1
            else:
                self._idle.append(searcher)
            self._returned.notify()
        if searcher is not None and self._closed:
            searcher.close()

    def _snapshot(self, searcher):
        generation = searcher.reader().generation()
        with self._lock:
            shared = self._generations.get(generation)
            if shared is None:
                shared = self._generations[generation] = Generation(generation)
                for old in sorted(self._generations)[:-KEPT_GENERATIONS]:
                    del self._generations[old]
                # Segments merged away are not needed again.
                current = {_segment_id(sub.reader()) for sub, _ in searcher.leaf_searchers()}
                self._segments = {k: v for k, v in self._segments.items() if k in current}
        return Snapshot(shared, searcher, self._arrays_of, self.index_dir)

    def _arrays_of(self, reader):
        """A segment's arrays, loaded once while the segment lives."""
        segment_id = _segment_id(reader)
        if segment_id is None:   # an empty index's reader
            return columns.compute(reader)
        with self._lock:
            found = self._segments.get(segment_id)
        if found is None:
            found = columns.for_segment(self.index_dir, reader)
            with self._lock:
                self._segments[segment_id] = found
        return found


def _segment_id(reader):
    segment = reader.segment()
    return segment.segment_id() if segment is not None else None
