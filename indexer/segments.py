"""Build index segments in worker processes.

Whoosh writes one segment per commit, in the committing process, and that
commit (sorting the posting pool, encoding and compressing blocks) is about
half of all indexing time.  Here each worker takes a chunk of articles,
recognises their entities, analyzes them and writes a complete segment of
its own; the parent only deletes replaced documents and writes the table of
contents naming the new segments (see :mod:`indexer.writer`).  Both cores do
all the heavy work, and nothing is merged twice.

This uses Whoosh's segment-level writer API the way its own multiprocessing
writer does (``SegmentWriter(_lk=False)``, ``_finalize_segment``); the
version is pinned in pyproject.toml.
"""

import gc
import os
import struct

from whoosh.filedb.filestore import FileStorage
from whoosh.writing import PostingPool, SegmentWriter

from analyzers.analysis import positions_of
from indexer import schema as S

# Container allocations between two garbage collections in a worker.
GC_THRESHOLD = 20000
# Articles whose entities are recognised together: the CRF decodes them in
# one call, which costs a fraction of one call each.
ENTITY_BATCH = 64

# Worker-process state: the open index and the entity extractor, loaded once.
_STATE = {}


class _PrivateTempStorage(FileStorage):
    """File storage whose temporary folders are private to this process.

    Whoosh's writers (posting pool and per-document writer alike) keep
    temporary files in one folder per index, and every commit deletes it:
    a worker still writing its segment while the parent commits the
    previous batch would lose its files.
    """

    def temp_storage(self, name=None):
        return super().temp_storage(f"{name or 'tmp'}.{os.getpid()}")


# One posting in a term's buffer: docnum, weight, length of the value bytes
# that follow (-1: no value).
_POSTING = struct.Struct("<Idi")
_NO_VALUE = -1
# What a new term costs besides its postings: the term's bytes object, its
# buffer and their dict slot (CPython 3.11; the pool's real size is within
# 5% of its count on SaudiNewsNet).
_TERM_COST = 160


class CompactPostingPool(PostingPool):
    """Whoosh's posting pool, with each term's postings packed in one buffer.

    Whoosh's pool keeps every posting as a 5-tuple (the tuple, a copy of
    the term's bytes, an int, a float and the value bytes: ~230 bytes in
    CPython 3.11) and sorts them all when the segment is written.  Here each
    field's terms map to a bytearray of packed ``(docnum, weight, value)``
    records.  On 2,000 SaudiNewsNet articles (329k postings, 38k terms) that
    is 15 MB instead of 71 MB.  A writer adds documents in docnum order, so
    a term's postings are already in order and only the distinct terms are
    sorted.

    Past ``limitmb`` (counted in real bytes, within 5%) the pool is written
    out as a sorted run and the runs are merged at the end, exactly as
    Whoosh's pool does.
    """

    def __init__(self, tempstore, segment, limitmb=128, **kwargs):
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self._fields = {}  # fieldname -> {term bytes: bytearray of postings}

    def add(self, item):
        fieldname, tbytes, docnum, weight, vbytes = item
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        postings = terms.get(tbytes)
        if postings is None:
            postings = terms[tbytes] = bytearray()
            self.currentsize += _TERM_COST + len(tbytes)
        if vbytes is None:
            postings += _POSTING.pack(docnum, weight, _NO_VALUE)
            self.currentsize += _POSTING.size
        else:
            postings += _POSTING.pack(docnum, weight, len(vbytes))
            postings += vbytes
            self.currentsize += _POSTING.size + len(vbytes)
        if self.currentsize > self.limit:
            self.save()

    def _drain(self):
        """Yield the pooled postings in Whoosh's order, emptying the pool.

        Each term's buffer is let go once read, so the pool shrinks while
        the segment's files grow.
        """
        fields, self._fields = self._fields, {}
        self.currentsize = 0
        unpack = _POSTING.unpack_from
        size = _POSTING.size
        for fieldname in sorted(fields):
            terms = fields.pop(fieldname)
            for tbytes in sorted(terms):
                data = bytes(terms.pop(tbytes))
                pos, end = 0, len(data)
                while pos < end:
                    docnum, weight, length = unpack(data, pos)
                    pos += size
                    if length == _NO_VALUE:
                        value = None
                    else:
                        value = data[pos:pos + length]
                        pos += length
                    yield fieldname, tbytes, docnum, weight, value

    def save(self):
        if self._fields:
            path, f = self._new_run()
            self._write_run(f, self._drain())
            self._add_run(path)
        self.currentsize = 0

    def items(self, maxfiles=128):
        if not self.runs:
            return self._drain()
        return super().items(maxfiles)


class _Lengths:
    """Field lengths of a new segment, read once into lists.

    Whoosh's posting writer asks for the field length of every posting's
    document (for each block's min/max length) through a column reader,
    about a fifth of writing a segment; the lengths are fixed by then.
    """

    def __init__(self, reader, schema, doc_count):
        self._lengths = {
            name: [reader.doc_field_length(d, name, 0) for d in range(doc_count)]
            for name in schema.scorable_names()
        }

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self._lengths.get(fieldname)
        return lengths[docnum] if lengths is not None else default


class ChunkWriter(SegmentWriter):
    """A lock-free writer for one segment that no TOC names yet."""

    def __init__(self, ix, limitmb, **kwargs):
        super().__init__(ix, _lk=False, limitmb=limitmb, **kwargs)
        self.pool = CompactPostingPool(self._tempstorage, self.newsegment, limitmb=limitmb)

    def _flush_segment(self):
        # SegmentWriter._flush_segment, with the lengths read once.
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        lengths = _Lengths(reader, self.schema, self.docnum) if reader else None
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if reader:
            reader.close()

    def finish_segment(self):
        """Write the segment's files and return the Segment."""
        segment = self._finalize_segment()
        self._tempstorage.destroy()
        self.is_closed = True
        return segment

    def abandon(self):
        try:
            self._close_segment()
        finally:
            self._tempstorage.destroy()
            self.is_closed = True


def _index(index_dir, indexname):
    key = (str(index_dir), indexname)
    if _STATE.get("index_key") != key:
        _STATE["index"] = _PrivateTempStorage(str(index_dir)).open_index(indexname)
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


def actor_facet_value(name):
    """The value an actor is stored under in the actor facet (no separators)."""
    return name.replace(S.FACET_SEPARATOR, " ")


def article_text(article):
    """The text an article is searched and recognised in: title, then body."""
    return f"{article.title}\n{article.body}"


def document_fields(article, entities=None, terms=None):
    """Return the Whoosh field values of one article; ``terms`` are the
    index terms of its text's tokens, if the entity recogniser has them."""
    # Title and body searched as one field (see indexer.schema).
    text = article_text(article)
    doc = {
        S.ID: article.id,
        S.TITLE: article.title,
        S.BODY: article.body,
        S.TEXT: text if terms is None else S.AnalyzedText(text, positions_of(terms)),
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
        actors = [actor_facet_value(a.name) for a in entities.actors]
        if countries:
            doc[S.COUNTRY] = S.FACET_SEPARATOR.join(countries)
        if actors:
            doc[S.ACTOR] = S.FACET_SEPARATOR.join(actors)
    return doc


def build_segment(index_dir, indexname, articles, entities, limitmb):
    """Write ``articles`` into a new segment of the index; return the Segment.

    Runs in a worker process (or in the parent when there is one job).
    """
    ix = _index(index_dir, indexname)
    extract = _extractor(entities)
    writer = ChunkWriter(ix, limitmb=limitmb)
    try:
        for start in range(0, len(articles), ENTITY_BATCH):
            chunk = articles[start:start + ENTITY_BATCH]
            if extract:
                found = extract([article_text(a) for a in chunk], with_terms=True)
            else:
                found = [(None, None)] * len(chunk)
            for article, (entities, terms) in zip(chunk, found):
                writer.add_document(**document_fields(article, entities, terms))
        return writer.finish_segment()
    except BaseException:
        writer.abandon()
        raise
