"""Build index segments in worker processes.

Whoosh writes one segment per commit, in the committing process, and that
commit (sorting the posting pool, encoding and compressing blocks) is about
half of all indexing time.  Here each worker takes a chunk of articles,
recognises their entities, analyzes them and writes a complete segment of
its own; the parent only deletes replaced documents and writes the table of
contents naming the new segments (see :mod:`indexer.writer`).  Both cores do
all the heavy work, and nothing is merged twice.

The segment-level writer (Whoosh's private API) is in
:mod:`indexer.whoosh_internals`.
"""

import gc
import hashlib
from functools import lru_cache
from importlib import resources

import numpy as np
from whoosh.reading import SegmentReader

from analyzers.tokenizer import WORD_PATTERN, is_word
from indexer import columns, nearcopy
from indexer.boilerplate import strip
from indexer.facets import actor_facet_value
from indexer import schema as S
from indexer.cleaning import duplicate_key
from indexer.whoosh_internals import ChunkWriter, MappedStorage, PrivateTempStorage, rewrite_fixed_column

# Container allocations between two garbage collections in a worker.
GC_THRESHOLD = 20000
# Articles whose entities are recognised together: the CRF decodes them in
# one call, which costs a fraction of one call each.
ENTITY_BATCH = 64

# Worker-process state: the open index and the entity extractor, loaded once.
_STATE = {}


def _index(index_dir, indexname):
    key = (str(index_dir), indexname)
    if _STATE.get("index_key") != key:
        _STATE["index"] = PrivateTempStorage(str(index_dir)).open_index(indexname)
        _STATE["index_key"] = key
    return _STATE["index"]


def _extractor(entities):
    if not entities:
        return None
    if "extract" not in _STATE:
        from analyzers.entities import extract_entities_many

        _STATE["extract"] = extract_entities_many
    return _STATE["extract"]


def init_worker(entities):
    """Prepare a worker process before its first chunk arrives.

    The entity model and tables load now, while the parent reads the first
    batch.  Then everything alive is frozen out of garbage collection, and
    collections run every GC_THRESHOLD allocations instead of 700: indexing
    allocates millions of short-lived containers, and each collection used
    to walk the model's tables again (about a tenth of a worker's CPU time
    on SaudiNewsNet).
    """
    extract = _extractor(entities)
    if extract is not None:
        extract([""])
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


def article_text(article):
    """The text an article is searched and recognised in: title, then body."""
    return f"{article.title}\n{article.body}"


@lru_cache(maxsize=1)
def entity_version():
    """A hash of the entity recogniser's data (tables and model): articles
    indexed with other data are not unchanged, their entities may differ."""
    digest = hashlib.sha1()
    data = resources.files("analyzers.entities").joinpath("data")
    for entry in sorted(data.iterdir(), key=lambda e: e.name):
        if entry.is_file():
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(article, entities):
    """A hash of everything ``article`` is indexed from: its fields, and the
    entity data when ``entities`` are recognised."""
    parts = (article.id, article.title, article.body, article.date.isoformat() if article.date else "",
             article.source, article.author, article.url, entity_version() if entities else "")
    return hashlib.sha1("\0".join(parts).encode("utf-8")).hexdigest()[:20]


def document_fields(article, entities=None, words=None, fingerprint=None, nearcopy=None, content=None):
    """Return the Whoosh field values of one article; ``words`` are its
    text's words, if the entity recogniser split it already, ``content``
    its :func:`indexer.cleaning.duplicate_key`, if known."""
    # Title and body searched as one field (see indexer.schema); its words
    # are the recogniser's, when it has them.
    doc = {
        S.ID: article.id,
        S.TITLE: article.title,
        S.BODY: article.body,
        S.TEXT: article_text(article) if words is None else words,
        S.AUTHOR: article.author,
        S.URL: article.url,
        S.ORIGIN: article.origin,
        S.CONTENT: content or duplicate_key(article.title, article.body),
    }
    if fingerprint is not None:
        doc[S.FINGERPRINT] = fingerprint
    if nearcopy is not None:
        doc[S.NEARCOPY] = nearcopy
    if article.source:
        doc[S.SOURCE] = article.source
    if article.date is not None:
        doc[S.DATE] = article.date
        doc[S.YEAR] = str(article.date.year)
        doc[S.MONTH] = article.date.strftime("%Y-%m")
    if entities is not None:
        doc[S.ENTITIES] = entities.to_dict()
        countries = [c.code for c in entities.countries]
        actors = [actor_facet_value(a.name) for a in entities.actors]
        if countries:
            doc[S.COUNTRY] = S.FACET_SEPARATOR.join(countries)
        if actors:
            doc[S.ACTOR] = S.FACET_SEPARATOR.join(actors)
    return doc


def build_segment(index_dir, indexname, articles, entities, limitmb, boilerplate=None, hashes=None):
    """Write ``articles`` into a new segment of the index; return the
    Segment and the articles' near-copy signatures (:mod:`indexer.nearcopy`,
    uint32, one row an article, in order).

    ``boilerplate`` is ``{source: keys}`` (:mod:`indexer.boilerplate`):
    those segments of an article are left out of entity recognition and of
    its near-copy signature (they stay searchable).  Each article is
    written with the cluster key of a new cluster (:func:`indexer.nearcopy.cluster_key`):
    the parent, which sees the articles in reading order, rewrites the keys
    of copies (:func:`set_clusters`).  ``hashes`` maps an article's id to
    its :func:`fingerprint` and :func:`indexer.cleaning.duplicate_key`,
    where the caller has them.  Runs in a worker process (or in the parent
    when there is one job).
    """
    ix = _index(index_dir, indexname)
    extract = _extractor(entities)
    boilerplate = boilerplate or {}
    hashes = hashes or {}
    writer = ChunkWriter(ix, limitmb=limitmb)
    signatures = np.empty((len(articles), nearcopy.PERMUTATIONS), dtype=np.uint32)
    try:
        for start in range(0, len(articles), ENTITY_BATCH):
            chunk = articles[start:start + ENTITY_BATCH]
            texts = [article_text(a) for a in chunk]
            if extract:
                # Entities are recognised without the source's boilerplate;
                # where some was cut, the recogniser's words are not the
                # whole text's, which is then split again for its terms.
                stripped = [strip(t, boilerplate.get(a.source)) for a, t in zip(chunk, texts)]
                found = [(e, list(filter(is_word, tokens)))
                         for e, tokens in extract(stripped, with_tokens=True)]
            else:
                stripped = [None] * len(chunk)
                found = [(None, None)] * len(chunk)
            for i, (article, text, recognised, (entities, words)) in enumerate(zip(chunk, texts, stripped, found), start):
                keys = boilerplate.get(article.source)
                sig = signatures[i] = nearcopy.words_signature(body_words(article, keys, words))
                found_hash, content = hashes.get(article.id) or (fingerprint(article, extract is not None), None)
                writer.add_document(**document_fields(
                    article, entities, words if recognised is text else None, found_hash,
                    nearcopy.pack(sig, nearcopy.cluster_key(article.id)), content,
                ))
        segment = writer.finish_segment()
    except BaseException:
        writer.abandon()
        raise
    write_arrays(index_dir, ix, segment)
    return segment, signatures


def body_words(article, keys, words=None):
    """The words of ``article``'s body without its boilerplate ``keys``:
    the end of ``words``, those of its whole text so stripped (the
    recogniser's), if given.

    The line break after the title cuts a segment, so the body's segments
    and what is cut of them are the same in the whole text as alone, and
    the title's are those of the title and its line break.

    >>> from types import SimpleNamespace
    >>> a = SimpleNamespace(title="عنوان الخبر", body="نص الخبر هنا")
    >>> body_words(a, None, ["عنوان", "الخبر", "نص", "الخبر", "هنا"])
    ['نص', 'الخبر', 'هنا']
    """
    if words is None:
        return WORD_PATTERN.findall(strip(article.body, keys))
    return words[len(WORD_PATTERN.findall(strip(article.title + "\n", keys))):]


def set_clusters(index_dir, segment, ids, signatures, keys):
    """Give the documents of a built, uncommitted ``segment`` their cluster
    ``keys`` (``ids``, ``signatures`` and ``keys`` in docnum order), in the
    segment and in its search arrays.  Only keys other than the one
    :func:`build_segment` wrote (a copy's) are written."""
    changed = {d: int(key) for d, (doc_id, key) in enumerate(zip(ids, keys))
               if key != nearcopy.cluster_key(doc_id)}
    if changed:
        rewrite_fixed_column(index_dir, segment, S.NEARCOPY, S.NEARCOPY_BYTES,
                             {d: nearcopy.pack(signatures[d], key) for d, key in changed.items()})
        columns.set_clusters(index_dir, segment.segment_id(), changed)


def write_arrays(index_dir, ix, segment):
    """Save the search arrays of a new segment beside it (:mod:`indexer.columns`).

    The segment is read through a memory map (:class:`MappedStorage`):
    Whoosh's own storage copies every file of it that a reader opens, which
    put the segment's size again (28 MB for 2,000 SaudiNewsNet articles) on
    top of a worker's memory at the end of each chunk.
    """
    reader = SegmentReader(MappedStorage(index_dir), ix.schema, segment)
    try:
        columns.write(index_dir, segment.segment_id(), columns.compute(reader))
    finally:
        reader.close()
