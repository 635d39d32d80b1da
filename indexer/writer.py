"""Build and update the Whoosh index from articles.

Articles are written in batches, each batch one Whoosh commit: a run that is
killed keeps every batch it committed, and Whoosh's commit is atomic (the
table of contents is written last), so the index on disk is always the last
committed one, whole.  Rerunning the same command finishes the job: ids are
unique, so articles already in are updated in place, never duplicated.
"""

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index
from whoosh.index import LockError

from indexer import schema as S
from indexer.errors import IndexBusy, IndexMissing, NotAnArchiveIndex
from indexer.readers import Article, Problem, read_sources

MARKER = "archive-index.json"
INDEX_NAME = "MAIN"
DEFAULT_BATCH = 2000


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    skipped: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    total_docs: int = 0

    @property
    def indexed(self):
        return self.added + self.updated

    @property
    def docs_per_second(self):
        return self.indexed / self.seconds if self.seconds else 0.0


def _visible_entries(path):
    return [p for p in path.iterdir() if not p.name.startswith(".")]


def check_index_dir(index_dir):
    """Return True if ``index_dir`` holds an archive index, False if it is
    missing or empty; raise NotAnArchiveIndex for anything else.

    Whoosh unpickles the schema it finds, so a folder this archive did not
    create is untrusted code: it is refused, not opened.
    """
    path = Path(index_dir)
    if not path.exists() or not _visible_entries(path):
        return False
    if not path.is_dir():
        raise NotAnArchiveIndex(index_dir, "not a folder")
    marker = path / MARKER
    if not marker.exists():
        raise NotAnArchiveIndex(index_dir, f"it has files but no {MARKER}")
    try:
        info = json.loads(marker.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise NotAnArchiveIndex(index_dir, f"unreadable {MARKER}: {e}") from None
    if info.get("schema_version") != S.SCHEMA_VERSION:
        raise NotAnArchiveIndex(
            index_dir,
            f"schema version {info.get('schema_version')} but this archive writes "
            f"{S.SCHEMA_VERSION}; rebuild it into an empty folder",
        )
    return index.exists_in(index_dir, indexname=INDEX_NAME)


def open_index(index_dir):
    """Open an existing archive index for reading, or raise IndexMissing."""
    if not check_index_dir(index_dir):
        raise IndexMissing(index_dir)
    return index.open_dir(str(index_dir), indexname=INDEX_NAME, readonly=True)


def create_or_open(index_dir):
    """Open the archive index in ``index_dir`` for writing, creating it if needed."""
    if check_index_dir(index_dir):
        return index.open_dir(str(index_dir), indexname=INDEX_NAME)
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(path), S.build_schema(), indexname=INDEX_NAME)
    # The marker goes last: a folder with Whoosh files and no marker is
    # refused, so a crash here leaves nothing to trust by mistake.
    tmp = path / (MARKER + ".tmp")
    tmp.write_text(json.dumps({"format": "archive-index", "schema_version": S.SCHEMA_VERSION}))
    os.replace(tmp, path / MARKER)
    return ix


def _acquire_writer(ix, index_dir, lock_timeout, on_wait):
    deadline = time.monotonic() + lock_timeout
    told = False
    while True:
        try:
            return ix.writer(limitmb=256)
        except LockError:
            if time.monotonic() >= deadline:
                raise IndexBusy(index_dir, lock_timeout) from None
            if on_wait and not told:
                on_wait(f"waiting for another 'archive index' to finish with {index_dir} ...")
                told = True
            time.sleep(0.5)


def document_fields(article, entities=None):
    """Return the Whoosh field values of one article."""
    doc = {
        S.ID: article.id,
        S.TITLE: article.title,
        S.BODY: article.body,
        # Title and body searched as one field (see indexer.schema).
        S.TEXT: f"{article.title}\n{article.body}",
        S.AUTHOR: article.author,
        S.URL: article.url,
        S.ORIGIN: article.origin,
    }
    if article.source:
        doc[S.SOURCE] = article.source
    if article.date is not None:
        doc[S.DATE] = article.date
        doc[S.YEAR] = str(article.date.year)
        doc[S.MONTH] = article.date.strftime("%Y-%m")
    if entities is not None:
        doc[S.ENTITIES] = entities.to_dict()
        countries = [c.code for c in entities.countries]
        actors = [a.name.replace(S.FACET_SEPARATOR, " ") for a in entities.actors]
        if countries:
            doc[S.COUNTRY] = S.FACET_SEPARATOR.join(countries)
        if actors:
            doc[S.ACTOR] = S.FACET_SEPARATOR.join(actors)
    return doc


def _entity_extractor(enabled):
    if not enabled:
        return None
    from analyzers.entities import extract_entities

    return lambda article: extract_entities(f"{article.title}\n{article.body}")


def _write_batch(ix, index_dir, batch, extract, report, lock_timeout, on_wait):
    writer = _acquire_writer(ix, index_dir, lock_timeout, on_wait)
    try:
        with ix.searcher() as searcher:
            existing = {
                doc_id for doc_id in batch if searcher.document_number(**{S.ID: doc_id}) is not None
            }
        for doc_id, article in batch.items():
            entities = extract(article) if extract else None
            fields = document_fields(article, entities)
            if doc_id in existing:
                writer.update_document(**fields)
            else:
                writer.add_document(**fields)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    report.updated += len(existing)
    report.added += len(batch) - len(existing)


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
    lock_timeout=0.0,
    on_progress=None,
    on_problem=None,
    on_wait=None,
):
    """Index ``items`` (:class:`Article` or :class:`Problem`) into ``index_dir``.

    Returns an :class:`IndexReport`.  ``on_progress(n)`` is called with the
    number of articles read so far, ``on_problem(problem)`` for each skipped
    record or warning, ``on_wait(message)`` once if another writer holds the
    index (for up to ``lock_timeout`` seconds, then IndexBusy).
    """
    start = time.perf_counter()
    report = IndexReport()
    ix = create_or_open(index_dir)
    extract = _entity_extractor(entities)
    batch = {}
    seen = 0
    try:
        for item in items:
            if isinstance(item, Problem):
                (report.skipped if item.severity == "skipped" else report.warnings).append(item)
                if on_problem:
                    on_problem(item)
                continue
            assert isinstance(item, Article)
            # Within a batch the last copy of an id wins; across batches
            # update_document replaces the committed one.
            batch.pop(item.id, None)
            batch[item.id] = item
            seen += 1
            if on_progress:
                on_progress(seen)
            if len(batch) >= batch_size:
                _write_batch(ix, index_dir, batch, extract, report, lock_timeout, on_wait)
                batch = {}
        if batch:
            _write_batch(ix, index_dir, batch, extract, report, lock_timeout, on_wait)
        with ix.searcher() as searcher:
            report.total_docs = searcher.doc_count()
    finally:
        ix.close()
    report.seconds = time.perf_counter() - start
    return report
