"""Build and update the Whoosh index from articles.

Articles are written in batches, each batch one commit of segments built in
parallel (see :mod:`indexer.segments`): a run that is killed keeps every
batch it committed, and Whoosh's commit is atomic (the
table of contents is written last), so the index on disk is always the last
committed one, whole.  Rerunning the same command finishes the job: ids are
unique, so articles already in are updated in place, never duplicated.
"""

import json
import multiprocessing
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from whoosh import index
from whoosh.filedb.filestore import FileStorage

from indexer import columns, country_terms, nearcopy
from indexer import schema as S
from indexer.boilerplate import Boilerplate
from indexer.store import INDEX_NAME, MARKER, check_index_dir, open_index  # noqa: F401  (the writer's API too)
from indexer.whoosh_internals import clean_index_files, commit_segments, committed_segment_ids
from analyzers.analysis import analysis_fingerprint
from indexer.errors import IndexBusy, IndexMissing, IndexStale, NotAnArchiveIndex
from indexer.cleaning import duplicate_key
from indexer.keyset import KeySet
from indexer.readers import Problem, read_sources
from indexer.segments import build_segment, fingerprint, init_worker, set_clusters

DEFAULT_BATCH = 4000
DEFAULT_MEMORY_MB = 1024
# Below this many articles a batch is built in the parent: starting worker
# processes (imports, the entity model) costs more than it saves.
MIN_PARALLEL_BATCH = 500


# Problems kept in a report as examples; the rest are only counted, so a
# file of a million broken lines costs counters, not a million objects.
MAX_EXAMPLES = 1000


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    # Already in the index as they are (a rerun), and exact copies (same
    # title and text) of another article, which are left out.
    unchanged: int = 0
    duplicates: int = 0
    duplicate_examples: list = field(default_factory=list)
    skipped_count: int = 0
    warning_count: int = 0
    skipped: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    skip_reasons: dict = field(default_factory=dict)
    seconds: float = 0.0
    total_docs: int = 0

    @property
    def indexed(self):
        return self.added + self.updated

    @property
    def docs_per_second(self):
        return self.indexed / self.seconds if self.seconds else 0.0

    def note(self, problem):
        """Count ``problem``, keeping it as an example while there is room."""
        if problem.severity == "skipped":
            self.skipped_count += 1
            examples = self.skipped
            reason = reason_kind(problem.reason)
            self.skip_reasons[reason] = self.skip_reasons.get(reason, 0) + 1
        else:
            self.warning_count += 1
            examples = self.warnings
        if len(examples) < MAX_EXAMPLES:
            examples.append(problem)


def reason_kind(reason):
    """A problem's reason without its particulars, for counting: numbers and
    quoted values go, a quoted field name or file type stays.

    >>> reason_kind("missing text: field 'content' is empty, and no title")
    "missing text: field 'content' is empty, and no title"
    >>> reason_kind("field 'date': no date in '2015-99-99 12:00'; row 3 of 5")
    "field 'date': no date in …; row … of …"
    """
    def quoted(match):
        return match.group(0) if _NAME.fullmatch(match.group(1)) else "…"

    return _NUMBER.sub("…", _QUOTED.sub(quoted, reason))


_QUOTED = re.compile(r"'([^']*)'")
_NAME = re.compile(r"[\w.\-]{1,30}")
_NUMBER = re.compile(r"(?<![\w\-'.])0x[0-9a-f]+|(?<![\w\-'.])\d[\d,]*")


def _write_storage(index_dir):
    """The storage a writer opens the index through: without mmap.

    Whoosh reads a memory-mapped segment's term index by copying it into a
    BytesIO, so opening a reader of every segment (as deleting replaced ids
    does) costs about twice the index's term files: ~400 MB of a 31k-article
    index, at every commit.  Read through files, the same reader costs a
    few MB.  Searchers keep mmap (:func:`open_index`).
    """
    return FileStorage(str(index_dir), supports_mmap=False)


def create_or_open(index_dir):
    """Open the archive index in ``index_dir`` for writing, creating it if needed."""
    if check_index_dir(index_dir):
        return _write_storage(index_dir).open_index(INDEX_NAME)
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    # The marker goes first: it claims the folder, so a run killed before
    # Whoosh wrote its first table of contents leaves a folder that the
    # next run recognises as its own and finishes creating.  It is written
    # under a hidden name first (check_index_dir ignores dot files), so a
    # reader looking in meanwhile sees an empty folder, not a foreign one.
    tmp = path / f".{MARKER}.tmp"
    tmp.write_text(json.dumps({
        "format": "archive-index",
        "schema_version": S.SCHEMA_VERSION,
        "analysis": analysis_fingerprint(),
    }))
    os.replace(tmp, path / MARKER)
    return _write_storage(path).create_index(S.build_schema(), indexname=INDEX_NAME)


def _acquire_lock(ix, index_dir, lock_timeout, on_wait):
    """Take the index's write lock for a whole run, or raise IndexBusy.

    Whoosh's lock is an fcntl lock on a file: the kernel releases it when
    the holder dies, so a killed indexer never leaves the index locked.
    """
    lock = ix.lock("WRITELOCK")
    deadline = time.monotonic() + lock_timeout
    told = False
    while not lock.acquire(blocking=False):
        if time.monotonic() >= deadline:
            raise IndexBusy(index_dir, lock_timeout)
        if on_wait and not told:
            on_wait(f"waiting for another 'archive index' to finish with {index_dir} ...")
            told = True
        time.sleep(0.5)
    return lock


def _indexed_ids(ix):
    """Return the :class:`indexer.keyset.KeySet` of the ids in the index's
    term list (16 bytes an id)."""
    with ix.reader() as reader:
        return KeySet(reader.field_terms(S.ID))


def _live_terms(ix, fieldname):
    """The :class:`indexer.keyset.KeySet` of the terms of ``fieldname`` that
    a live document holds (a deleted document's terms stay in the term
    list until its segment is merged)."""
    def terms():
        with ix.reader() as reader:
            for leaf, _ in reader.leaf_readers():
                if not leaf.has_deletions():
                    yield from leaf.field_terms(fieldname)
                    continue
                for term in leaf.field_terms(fieldname):
                    if leaf.postings(fieldname, term).is_active():
                        yield term

    return KeySet(terms())


class _Known:
    """What the index already holds, to skip unchanged articles and exact
    copies of another article.

    An article is unchanged when its fingerprint (every field, and the
    entity data, see :func:`indexer.segments.fingerprint`) is in the index;
    a duplicate when another id has its title and text (white space aside,
    :func:`indexer.cleaning.duplicate_key`), in the index or
    earlier in this run.
    """

    def __init__(self, ix, entities):
        self.ix = ix
        self.entities = entities
        self.fingerprints = _live_terms(ix, S.FINGERPRINT)
        self.contents = _live_terms(ix, S.CONTENT)
        self.run = {}   # content hash -> id, in this run
        # id -> (article, fingerprint, content hash) of the articles to
        # index since the last take(), which the segments store: their
        # builders need not hash each article again.
        self.hashes = {}
        self._searcher = None

    def classify(self, article):
        """Return "unchanged", ("duplicate", id of the original) or "index"."""
        found = fingerprint(article, self.entities)
        if found in self.fingerprints:
            return "unchanged"
        content = duplicate_key(article.title, article.body)
        other = self.run.get(content)
        if other is None and content in self.contents:
            other = self._holder(content)
        if other is not None and other != article.id:
            return "duplicate", other
        self.run[content] = article.id
        self.hashes[article.id] = (article, found, content)
        return "index"

    def take(self, articles):
        """The hashes of ``articles`` that :meth:`classify` worked out
        (``{id: (fingerprint, content hash)}``), forgetting every one kept:
        an article classified before is in ``articles`` or was superseded.

        Only an article's own: the record of an id indexed may be one that
        classify found unchanged (and the run indexes again, as an earlier
        record of its id went into the index in this run), after another
        record of the id it did hash.
        """
        hashes, self.hashes = self.hashes, {}
        out = {}
        for a in articles:
            article, found, content = hashes.get(a.id, (None, None, None))
            if article is a:
                out[a.id] = (found, content)
        return out

    def _holder(self, content):
        if self._searcher is None:
            self._searcher = self.ix.searcher()
        stored = self._searcher.document(**{S.CONTENT: content})
        return stored[S.ID] if stored else None

    def close(self):
        if self._searcher is not None:
            self._searcher.close()


def _commit(ix, ids, segments, known):
    """Make ``segments`` part of the index, replacing older copies of ``ids``.

    ``known`` is the :class:`KeySet` of ids the index may hold (see :func:`_indexed_ids`);
    only those are looked up and deleted, so a batch of new articles opens no
    reader at all.  It is updated with ``ids``.

    Returns how many of ``ids`` were already in the index (updates).  The
    commit is atomic (see :func:`indexer.whoosh_internals.commit_segments`).
    """
    def delete(writer):
        return sum(1 for doc_id in ids if doc_id in known and writer.delete_by_term(S.ID, doc_id))

    updated = commit_segments(ix, segments, delete, plan=merge_plan)
    known.update(ids)
    # A segment Whoosh merged at the commit has no search arrays yet.
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            columns.ensure(ix.storage.folder, leaf)
    return updated


# Segments with fewer live documents are merged together at a commit (runs
# of a few articles each would otherwise pile up segments, and every query
# term is looked up in each); so is a segment that is more deleted than live
# (a re-index in place), which rewriting purges.
SMALL_SEGMENT = 1000


def merge_plan(segments):
    """The index's merge policy: ``(segments to merge, segments to keep)``.

    A segment with no live document is dropped (in neither list); one that
    is mostly deleted, or small, is merged, when there is more than one
    small one or any mostly deleted one.  Large segments are never merged:
    a merge costs about half of indexing its documents again (Whoosh copies
    postings one at a time), and the search reads every segment's postings
    a block at a time, so a few dozen segments cost a query little
    (bench/results/indexing.md).

    >>> class Seg:
    ...     def __init__(self, live, total): self.live, self.total = live, total
    ...     def doc_count(self): return self.live
    ...     def doc_count_all(self): return self.total
    ...     def __repr__(self): return f"{self.live}/{self.total}"
    >>> merge_plan([Seg(2000, 2000), Seg(0, 2000), Seg(900, 2000), Seg(10, 10), Seg(20, 20)])
    ([900/2000, 10/10, 20/20], [2000/2000])
    >>> merge_plan([Seg(2000, 2000), Seg(10, 10)])
    ([], [2000/2000, 10/10])
    """
    live = [s for s in segments if s.doc_count()]
    sparse = [s for s in live if s.doc_count() * 2 < s.doc_count_all()]
    small = [s for s in live if s not in sparse and s.doc_count() < SMALL_SEGMENT]
    merge = sparse + (small if sparse or len(small) > 1 else [])
    return merge, [s for s in live if s not in merge]


def _clusters(ix, index_dir):
    """The near-copy clusters of the index's live articles (:mod:`indexer.nearcopy`)."""
    signatures, keys = [], []
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            arrays = columns.for_segment(index_dir, leaf)
            live = np.ones(arrays.size, dtype=bool)
            if leaf.has_deletions():
                live[list(leaf.deleted_docs_set)] = False
            signatures.append(np.asarray(arrays.signatures)[live])
            keys.append(np.asarray(arrays.clusters)[live])
    if not signatures:
        return nearcopy.Clusters()
    return nearcopy.Clusters(np.concatenate(signatures), np.concatenate(keys))


def _chunks(articles, jobs):
    size = -(-len(articles) // jobs)
    return [articles[i:i + size] for i in range(0, len(articles), size)]


def index_sources(index_dir, paths, field_map=None, **options):
    """Index every article under ``paths`` into ``index_dir``.

    Problems met while reading are reported (see :func:`index_articles`).
    """
    return index_articles(index_dir, read_sources(paths, field_map), **options)


def index_articles(
    index_dir,
    items,
    entities=True,
    batch_size=DEFAULT_BATCH,
    jobs=None,
    memory_mb=DEFAULT_MEMORY_MB,
    lock_timeout=0.0,
    on_progress=None,
    on_problem=None,
    on_wait=None,
    executor=None,
):
    """Index ``items`` (:class:`Article` or :class:`Problem`) into ``index_dir``.

    Articles are gathered in batches of ``batch_size``; each batch is split
    among ``jobs`` worker processes (default: every core), which write a
    segment each (:mod:`indexer.segments`), and committed as one.  While a
    batch is being built the next one is read.  ``memory_mb`` bounds the
    posting pools of all workers together.

    Returns an :class:`IndexReport`.  ``on_progress(n)`` is called with the
    number of articles read so far, ``on_problem(problem)`` for each skipped
    record or warning, ``on_wait(message)`` once if another writer holds the
    index (for up to ``lock_timeout`` seconds, then IndexBusy).

    ``executor`` builds the segments instead of local worker processes
    (:class:`indexer.cluster.ClusterExecutor`, on a Dask cluster): anything
    with ``submit(fn, *args)`` returning a future, ``shutdown(wait=True,
    cancel_futures=False)`` and ``jobs``, the chunks a batch is split into
    (which replaces ``jobs``).  It is shut down when the run ends.
    """
    start = time.perf_counter()
    report = IndexReport()
    jobs = executor.jobs if executor is not None else max(1, jobs or os.cpu_count() or 1)
    limitmb = max(32, memory_mb // (2 * jobs))
    ix = create_or_open(index_dir)
    lock = _acquire_lock(ix, index_dir, lock_timeout, on_wait)
    known = _indexed_ids(ix)
    held = _Known(ix, entities)
    boilerplate = Boilerplate.load(index_dir)
    copies = _clusters(ix, index_dir)
    # What a query needs of the country tables, kept for searchers (and
    # brought up to date by any run, one that changes nothing too).
    country_terms.save(index_dir)
    pool = None
    pending = None  # (ids, futures) of the batch being built
    # An absolute path: an executor's workers run in folders of their own.
    build = partial(build_segment, os.path.abspath(index_dir), INDEX_NAME, entities=entities, limitmb=limitmb)

    def finish_pending(last=False):
        nonlocal pending, pool
        if pending is None:
            return
        ids, futures = pending
        pending = None
        built = [f.result() for f in futures]
        segments = [segment for segment, _ in built]
        # Near-copy clusters are assigned here, in reading order (the
        # chunks are consecutive runs of the batch), against every article
        # indexed before; the copies' keys are written into their segments.
        signatures = np.concatenate([sigs for _, sigs in built])
        keys = copies.assign_many(ids, signatures)
        # Rewritten in place: only files no reader may have open.
        committed = committed_segment_ids(ix).intersection(seg.segment_id() for seg in segments)
        if committed:
            raise RuntimeError(f"built segments {sorted(committed)} are in the index already")
        at = 0
        for segment, sigs in built:
            end = at + len(sigs)
            set_clusters(index_dir, segment, ids[at:end], sigs, keys[at:end])
            at = end
        if last and pool is not None:
            # Each worker holds its entity model and caches (~0.3 GB):
            # let them go before the last commit.
            pool.shutdown()
            pool = None
        updated = _commit(ix, ids, segments, known)
        boilerplate.save(index_dir)
        report.updated += updated
        report.added += len(ids) - updated

    def start_workers():
        nonlocal pool
        if pool is None and executor is None and jobs > 1:
            pool = ProcessPoolExecutor(
                jobs, mp_context=multiprocessing.get_context("spawn"),
                initializer=init_worker, initargs=(entities,),
            )
            # Started now, each worker loads the entity model while the
            # parent reads on (ProcessPoolExecutor starts them on demand).
            for _ in range(jobs):
                pool.submit(int)

    def submit(batch):
        nonlocal pool, pending
        articles = list(batch.values())
        # Decided from every article read so far, this batch's included.
        table = boilerplate.table()
        run = partial(build, boilerplate={a.source: table[a.source] for a in articles if a.source in table},
                      hashes=held.take(articles))
        if pool is None and executor is not None:
            pool = executor
        elif len(articles) >= MIN_PARALLEL_BATCH:
            start_workers()
        if pool is None:
            futures = [_Done(run(articles))]
        else:
            futures = [pool.submit(run, chunk) for chunk in _chunks(articles, jobs)]
        finish_pending()
        pending = (list(batch), futures)

    try:
        batch = {}
        submitted = set()   # ids of the batches handed to workers so far
        seen = 0
        for item in items:
            if isinstance(item, Problem):
                report.note(item)
                if on_problem:
                    on_problem(item)
                continue
            seen += 1
            if on_progress:
                on_progress(seen)
            verdict = held.classify(item)
            if verdict == "unchanged" and item.id in submitted:
                # An earlier record of this id went into the index in this
                # run; this last one is what the index held, and it wins.
                verdict = "index"
            if verdict == "unchanged":
                # An earlier record of the id in this batch is superseded:
                # the index already holds this last one.
                batch.pop(item.id, None)
                report.unchanged += 1
                continue
            if verdict != "index":
                report.duplicates += 1
                if len(report.duplicate_examples) < MAX_EXAMPLES:
                    report.duplicate_examples.append((item.origin, item.id, verdict[1]))
                continue
            boilerplate.observe(item.source, item.body)
            # Within a batch the last copy of an id wins; across batches
            # the commit replaces the committed copy.
            batch.pop(item.id, None)
            batch[item.id] = item
            if len(batch) == MIN_PARALLEL_BATCH:
                start_workers()
            if len(batch) >= batch_size:
                submitted.update(batch)
                submit(batch)
                batch = {}
        if batch:
            submit(batch)
        finish_pending(last=True)
        clean_index_files(ix)
        with ix.searcher() as searcher:
            report.total_docs = searcher.doc_count()
    finally:
        held.close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        elif executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        lock.release()
        ix.close()
    report.seconds = time.perf_counter() - start
    return report


class _Done:
    """A finished result in the shape of a future (the one-job path)."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value
