"""Every use of Whoosh below its public API, in one module, for one Whoosh version.

The archive reaches into Whoosh in these places, each for a speed or memory
figure measured in ``bench/``:

1. **Importing Whoosh without what it never calls** (:func:`import_whoosh`,
   run when this module is imported, before its own Whoosh imports).  Three
   Whoosh modules import, when they load, a module for one name that a search
   never calls: ``whoosh.compat`` takes ``urlretrieve`` from
   ``urllib.request`` (which loads http, email, ssl and tempfile; nothing in
   Whoosh calls it), ``whoosh.reading`` takes the ``cached_property`` package
   (which loads asyncio, for coroutine properties Whoosh has none of), and
   ``whoosh.query.terms`` takes ``variations`` from ``whoosh.lang.morph_en``
   (English morphology tables, built at import, for the ``Variations`` query
   the archive does not use).  About 0.05 s of CPU of a one-word ``archive
   query`` in a fresh process.  While those three Whoosh modules load, each of
   the three modules is a stand-in in ``sys.modules`` holding just that name:
   ``urlretrieve`` and ``variations`` import the real module on their first
   call, and ``cached_property`` is the package's own non-coroutine path.  The
   stand-ins leave ``sys.modules`` as soon as the Whoosh modules are loaded
   (anyone importing ``urllib.request`` later gets the real one); what stays
   is Whoosh's three names, bound to those stand-in values.  A process that
   loaded a Whoosh module before this one keeps what it loaded, so the search
   service imports this module before anything of Whoosh.
2. **Reading segments without copying them** (:class:`MappedStorage`).  A
   segment is one compound file; Whoosh opens each file inside it as
   ``BufferFile(memoryview)``, which copies the view into a BytesIO: every
   searcher held a private copy of its segments' term, posting and column
   files (about 200 MB a searcher on the full SaudiNewsNet index, and the
   web server keeps one per thread).  The storage :func:`open_for_reading`
   returns reads each inside file straight from one memory map.  It is a
   storage of its own, passed where the index is opened; nothing in Whoosh
   is patched.
3. **Posting lists a block at a time** (:func:`segment_postings`,
   :func:`term_positions`): a segment reader's raw term matcher
   (``_terms``, ``_text_to_bytes``), the W3 codec's ``_ids``,
   ``_weights``, ``_read_ids``, ``_read_weights``, ``_next_block``,
   ``_i``, and for positions ``_read_data``, ``_data``, ``_byteids``,
   ``_maxid``, ``_read_values`` and ``_values`` (a list matcher's
   ``_ids`` and ``_values``).  Scoring every match in numpy is an order
   of magnitude faster than Whoosh's one posting at a time; a matcher of
   any other kind raises instead of taking a slow path.
4. **Segments written in worker processes** (:class:`ChunkWriter`,
   :class:`CompactPostingPool`): ``SegmentWriter(_lk=False)``,
   ``_finalize_segment``, ``_close_segment``, ``_flush_segment`` and the
   posting pool's ``_new_run``/``_write_run``/``_add_run``, the way
   Whoosh's own multiprocessing writer uses them; documents added as
   ``SegmentWriter.add_document`` adds them (its ``_check_state``,
   ``_check_fields``, ``docnum`` and ``_added``), a field's postings at
   a time; a segment's postings
   written a term at a time (:func:`_add_terms`): the field writer's
   ``_postwriter``, ``_fieldid``, ``_format`` and ``_tindex``, its posting
   writer's ``_postfile``, ``_blocklimit``, ``_compression`` and
   ``_inlinelimit``, and the W3
   posting block and ``W3TermInfo`` statistics (``_weight``, ``_df``,
   ``_minlength``, ``_maxlength``, ``_maxweight``, ``_minid``, ``_maxid``)
   as ``W3PostingsWriter._write_block`` writes and sets them (pickled at
   protocol 4, not 2: :data:`BLOCK_PROTOCOL`); the term
   index's records as ``OrderedHashWriter.add`` writes them (its
   ``dbfile``, ``index``, ``buckets``, ``hashfn`` and ``lastkey``); the
   stored fields' compression level (the per-document writer's
   ``_colwriters``, the pickle column writer's ``_child``, and its
   ``_level``).
5. **Committing prebuilt segments** (:func:`commit_segments`,
   :func:`clean_index_files`, :func:`rewrite_fixed_column`,
   :func:`committed_segment_ids`): the writer's
   ``_added``, ``_finish``, the ``TOC`` class and ``clean_files``; and the
   layout of a ``FixedBytesColumn`` in a compound segment file (the W3
   codec's column file names, ``CompoundStorage.range``), to set the
   near-copy cluster keys of a built segment before it is committed.
6. **BM25F's per-field B** (:func:`field_b`): ``BM25F._field_B``.

Importing this module checks the installed Whoosh (whoosh-reloaded, exactly
the version pinned in pyproject.toml) and that every private name above is
there; anything else fails at once with :class:`WhooshVersionError`, so an
upgrade fails loudly rather than running silently slower or wrong.
"""

import importlib
import io
import mmap
import os
import re
import struct
import sys
import types
import weakref
import zlib
from array import array
from bisect import bisect_left
from functools import lru_cache, partial
from itertools import accumulate
from operator import sub

import numpy as np


# --- 1. importing Whoosh without what it never calls ---------------------

def _on_first_call(module, name):
    """A stand-in for ``module.name`` that imports ``module`` when called."""
    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{module}.{name}, imported on the first call."
    return call


class CachedProperty:
    """The ``cached_property`` package's property for plain methods (computed
    once, then an ordinary attribute of the instance), without its import of
    asyncio, which serves coroutine methods only."""

    def __init__(self, func):
        self.__doc__ = getattr(func, "__doc__")
        self.func = func

    def __get__(self, obj, cls):
        if obj is None:
            return self
        value = obj.__dict__[self.func.__name__] = self.func(obj)
        return value


# Whoosh module -> (the module it imports when it loads, the stand-in's names).
STAND_INS = {
    "whoosh.compat": ("urllib.request", {"urlretrieve": _on_first_call("urllib.request", "urlretrieve")}),
    "whoosh.reading": ("cached_property", {"cached_property": CachedProperty}),
    "whoosh.query.terms": ("whoosh.lang.morph_en",
                           {"variations": _on_first_call("whoosh.lang.morph_en", "variations")}),
}


def import_whoosh():
    """Load the Whoosh modules of ``STAND_INS`` with the stand-ins in place
    of what they import, then take the stand-ins out of ``sys.modules``.

    A Whoosh module already loaded, or whose import is loaded already, is
    left as it is.
    """
    placed = {}
    for whoosh_module, (imported, names) in STAND_INS.items():
        if whoosh_module in sys.modules or imported in sys.modules:
            continue
        stand_in = types.ModuleType(imported, f"A stand-in for {imported} while {whoosh_module} loads "
                                              f"(see {__name__}).")
        vars(stand_in).update(names)
        placed[imported] = sys.modules[imported] = stand_in
    try:
        for whoosh_module in STAND_INS:
            importlib.import_module(whoosh_module)
    finally:
        for imported, stand_in in placed.items():
            if sys.modules.get(imported) is stand_in:
                del sys.modules[imported]


import_whoosh()

import whoosh  # noqa: E402 (after import_whoosh)
from whoosh.codec.whoosh3 import (  # noqa: E402
    WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3LeafMatcher, W3PerDocWriter, W3PostingsWriter, W3TermInfo,
)
from whoosh.compat import dumps  # noqa: E402
from whoosh.columns import CompressedBytesColumn, WrappedColumnWriter  # noqa: E402
from whoosh.filedb.compound import CompoundStorage  # noqa: E402
from whoosh.filedb.filestore import FileStorage  # noqa: E402
from whoosh.filedb.filetables import OrderedHashWriter  # noqa: E402
from whoosh.filedb.structfile import BufferFile, StructFile  # noqa: E402
from whoosh.index import TOC, FileIndex, clean_files  # noqa: E402
from whoosh.matching import ListMatcher  # noqa: E402
from whoosh.reading import SegmentReader  # noqa: E402
from whoosh.scoring import BM25F  # noqa: E402
from whoosh.system import pack_int, pack_ushort  # noqa: E402
from whoosh.util.numeric import length_to_byte  # noqa: E402
from whoosh.writing import PostingPool, SegmentWriter  # noqa: E402

DISTRIBUTION = "whoosh-reloaded"
SUPPORTED_VERSION = "2.7.5"

# The private names each place above relies on, checked at import.
PRIVATE_NAMES = {
    W3LeafMatcher: ("_read_ids", "_read_weights", "_read_data", "_read_values", "_next_block"),
    SegmentWriter: ("_finalize_segment", "_close_segment", "_flush_segment", "_finish", "_check_state",
                    "_check_fields"),
    PostingPool: ("_new_run", "_write_run", "_add_run"),
    FileIndex: ("_read_toc",),
    SegmentReader: ("_text_to_bytes",),
    CompoundStorage: ("range",),
    W3Codec: ("column_filename",),
}
# Attributes set on instances (not visible on the class), checked by tests.
INSTANCE_NAMES = {
    W3LeafMatcher: ("_ids", "_weights", "_i", "_data", "_values", "_byteids", "_maxid"),
    SegmentReader: ("_terms",),
    SegmentWriter: ("_added", "_tempstorage", "perdocwriter", "fieldwriter", "docnum"),
    BM25F: ("_field_B",),
    W3FieldWriter: ("_postwriter", "_fieldid", "_format", "_tindex"),
    W3PostingsWriter: ("_postfile", "_blocklimit", "_compression", "_inlinelimit"),
    W3TermInfo: ("_weight", "_df", "_minlength", "_maxlength", "_maxweight", "_minid", "_maxid"),
    OrderedHashWriter: ("dbfile", "index", "buckets", "hashfn", "lastkey"),
    W3PerDocWriter: ("_colwriters",),
    WrappedColumnWriter: ("_child",),
    CompressedBytesColumn.Writer: ("_level",),
}


class WhooshVersionError(ImportError):
    """The installed Whoosh is not the one this archive reads and writes."""


def check_whoosh(module_version, distribution_version):
    """Raise WhooshVersionError unless Whoosh is the supported release with
    every private name the archive uses."""
    found = ".".join(map(str, module_version))
    if distribution_version != SUPPORTED_VERSION or found != SUPPORTED_VERSION:
        raise WhooshVersionError(
            f"the archive needs {DISTRIBUTION}=={SUPPORTED_VERSION} (it reads Whoosh's "
            f"posting blocks and writes its segments directly), but found "
            f"{DISTRIBUTION} {distribution_version or 'not installed'} with whoosh "
            f"{found}; run: pip install '{DISTRIBUTION}=={SUPPORTED_VERSION}'"
        )
    missing = [
        f"{cls.__name__}.{name}" for cls, names in PRIVATE_NAMES.items()
        for name in names if not hasattr(cls, name)
    ]
    if missing:
        raise WhooshVersionError(f"this Whoosh lacks {', '.join(missing)}, which the archive uses")


def _distribution_version():
    """The installed whoosh-reloaded's version, or None.

    Read from the name of its ``.dist-info`` folder beside the ``whoosh``
    package: installers name it ``{name}-{version}.dist-info`` (PyPA,
    "Recording installed projects").  importlib.metadata, which reads the
    same folder but imports the email package to parse its METADATA file
    (0.02 s of CPU of a query in a fresh process), answers only when there is not
    exactly one such folder there (an egg, an editable install of Whoosh).
    """
    site = os.path.dirname(os.path.dirname(whoosh.__file__))
    versions = _dist_info_versions(site)
    if len(versions) == 1:
        return versions[0]
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def _dist_info_versions(folder):
    """The versions of every ``.dist-info`` folder of whoosh-reloaded in ``folder``."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in names:
        if name.endswith(".dist-info"):
            project, _, version = name[:-len(".dist-info")].partition("-")
            if _normalized(project) == _normalized(DISTRIBUTION) and version:
                found.append(version)
    return found


def _normalized(project):
    # PEP 503: runs of -, _ and . are one separator; case does not count.
    return re.sub(r"[-_.]+", "_", project).lower()


check_whoosh(whoosh.__version__, _distribution_version())


# --- 2. reading segments through a memory map -----------------------------

# Bytes read ahead per sequential read (a posting block header, a varint).
READ_BUFFER = 4096
COMPOUND_EXT = ".seg"


class RawView(io.RawIOBase):
    """A read-only raw file over a buffer (a memoryview of an mmap)."""

    def __init__(self, buf):
        self._view = memoryview(buf)
        self._pos = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, out):
        end = min(self._pos + len(out), len(self._view))
        count = max(0, end - self._pos)
        out[:count] = self._view[self._pos:self._pos + count]
        self._pos += count
        return count

    def seek(self, pos, whence=io.SEEK_SET):
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self):
        return self._pos

    def close(self):
        # Let go of the view, so the mapping can close.
        self._view.release()
        super().close()


def view_reader(buf):
    """Return a file reading ``buf`` without copying it: C-level reads from
    a small buffer (Whoosh reads varints a byte at a time), refilled from
    the view."""
    return io.BufferedReader(RawView(buf), buffer_size=READ_BUFFER)


class ViewBufferFile(BufferFile):
    """Whoosh's BufferFile (``get`` and array reads slice the buffer), with
    its sequential reads going through :func:`view_reader`, not a copy."""

    def __init__(self, buf, name=None, onclose=None):
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = view_reader(buf)


class MappedSegmentFile(StructFile):
    """A compound segment file whose inner files are views of one mmap.

    Whoosh's CompoundStorage asks the file for ``subset(offset, length)``
    when its storage does not map files itself (:class:`MappedStorage`).
    """

    def __init__(self, fileobj, name=None):
        super().__init__(fileobj, name=name)
        self._map = None

    def subset(self, offset, length, name=None):
        if self._map is None:
            self._map = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
        return ViewBufferFile(memoryview(self._map)[offset:offset + length], name=name)

    def close(self):
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:
                # A reader still holds a view: the map closes with it.
                pass
            self._map = None
        super().close()


class MappedStorage(FileStorage):
    """A read-only index folder whose segments are read without copies."""

    def __init__(self, path):
        # supports_mmap=False: CompoundStorage would map the file itself and
        # copy every inner file it opens; it asks the file for subsets instead.
        super().__init__(str(path), supports_mmap=False, readonly=True)

    def open_file(self, name, **kwargs):
        if name.endswith(COMPOUND_EXT):
            return MappedSegmentFile(open(self._fpath(name), "rb"), name=name)
        return super().open_file(name, **kwargs)


def open_for_reading(index_dir, indexname):
    """Open an index read-only through :class:`MappedStorage`."""
    return MappedStorage(index_dir).open_index(indexname)


# --- 3. posting lists a block at a time -----------------------------------

def segment_postings(reader, fieldname, text):
    """Return (ids, weights) of a term in one segment, as numpy arrays read a
    block at a time, deleted documents left out.

    Whoosh's ``reader.postings`` wraps a segment with deletions in a filter
    that walks the deleted prefix one posting at a time (after a re-index
    in place, most of the segment); here the raw postings are read and the
    deletions masked in numpy.
    """
    ids, weights = posting_arrays(raw_matcher(reader, fieldname, text))
    deleted = _deleted_array(reader)
    if len(deleted):
        keep = ~np.isin(ids, deleted, assume_unique=True)
        ids, weights = ids[keep], weights[keep]
    return ids, weights


def raw_matcher(reader, fieldname, text):
    """A segment's matcher for a term, deleted documents included (for
    callers that only visit live ones: no deletion filter to walk)."""
    return reader._terms.matcher(fieldname, reader._text_to_bytes(fieldname, text),
                                 reader.schema[fieldname].format)


_DELETED = weakref.WeakKeyDictionary()


def _deleted_array(reader):
    found = _DELETED.get(reader)
    if found is None:
        found = _DELETED[reader] = np.fromiter(
            reader.deleted_docs_set, dtype=np.int64, count=len(reader.deleted_docs_set)
        )
    return found


def posting_arrays(matcher):
    """Return (ids, weights) of one segment's raw posting list as numpy
    arrays, read a block at a time.

    Raises WhooshVersionError for a matcher of another kind: reading one
    posting at a time would be about ten times slower, and must not happen
    silently.
    """
    if isinstance(matcher, ListMatcher):
        return (np.asarray(matcher._ids, dtype=np.int64),
                np.asarray(matcher._weights, dtype=np.float64))
    if not isinstance(matcher, W3LeafMatcher):
        raise WhooshVersionError(
            f"cannot read a {type(matcher).__name__} a block at a time "
            "(the archive reads Whoosh's W3 posting blocks)"
        )
    id_blocks, weight_blocks = [], []
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        start = matcher._i
        id_blocks.append(np.asarray(matcher._ids[start:], dtype=np.int64))
        weight_blocks.append(np.asarray(matcher._weights[start:], dtype=np.float64))
        matcher._next_block()
    if not id_blocks:
        return np.empty(0, dtype=np.int64), np.empty(0)
    return np.concatenate(id_blocks), np.concatenate(weight_blocks)


def term_positions(reader, fieldname, text, docnums):
    """Return {docnum: [positions]} of a term in one segment for those of
    ``docnums`` (segment docnums, ascending) in its posting list.

    A block at a time: blocks without a wanted document are skipped by
    their headers, a wanted block's ids are decoded once (a running sum in
    C, where Whoosh decodes them in a Python generator) and the documents
    are found in it by bisection, where ``skip_to`` steps through the block
    one posting at a time.  Only the wanted postings' positions are decoded.
    """
    matcher = raw_matcher(reader, fieldname, text)
    decode = reader.schema[fieldname].format.decoder("positions")
    out = {}
    if isinstance(matcher, ListMatcher):  # a rare term, inlined in its term info
        ids, values = matcher._ids, matcher._values
        for docnum in docnums:
            _add_positions(out, docnum, ids, values, decode)
        return out
    if not isinstance(matcher, W3LeafMatcher):
        raise WhooshVersionError(f"cannot read a {type(matcher).__name__}'s positions a block at a time")
    wanted = iter(docnums)
    docnum = next(wanted, None)
    while docnum is not None and matcher.is_active():
        if docnum > matcher._maxid:
            matcher._next_block()
            continue
        if matcher._data is None:
            matcher._read_data()
        ids = matcher._data[0]
        if not matcher._byteids:
            ids = list(accumulate(ids))
        matcher._read_values()
        values = matcher._values
        while docnum is not None and docnum <= matcher._maxid:
            _add_positions(out, docnum, ids, values, decode)
            docnum = next(wanted, None)
    return out


def _add_positions(out, docnum, ids, values, decode):
    i = bisect_left(ids, docnum)
    if i < len(ids) and ids[i] == docnum:  # a document without the term has none
        out[docnum] = decode(values[i])


# --- 4. segments written in worker processes ------------------------------

class PrivateTempStorage(FileStorage):
    """File storage whose temporary folders are private to this process.

    Whoosh's writers (posting pool and per-document writer alike) keep
    temporary files in one folder per index, and every commit deletes it:
    a worker still writing its segment while the parent commits the
    previous batch would lose its files.  The host is in the name too:
    workers of a Dask cluster on several machines share the index folder,
    and their process ids may be the same.
    """

    def temp_storage(self, name=None):
        import socket  # here: a search never writes, and socket loads selectors and more

        return super().temp_storage(f"{name or 'tmp'}.{socket.gethostname()}.{os.getpid()}")


# What a pooled posting costs: its three slots in the term's list, its
# weight (a float of its own) and the list's spare room; its value's bytes
# object besides the bytes; and a new term: the term's bytes object, its
# list and their dict slot (CPython 3.11).  The count is an upper bound:
# most values (one position in a document) are shared objects, and the
# real size of a pool of 2,000 SaudiNewsNet articles is 0.65 of its count.
_POSTING_COST = 56
_VALUE_COST = 33
_TERM_COST = 160


class CompactPostingPool(PostingPool):
    """Whoosh's posting pool, with each term's postings in one flat list.

    Whoosh's pool keeps every posting as a 5-tuple (the tuple, a copy of
    the term's bytes, an int, a float and the value bytes: ~230 bytes in
    CPython 3.11) and sorts them all when the segment is written.  Here each
    field's terms map to a list of ``docnum, weight, value, docnum, ...``,
    which the term writer takes apart with three slices.  On 2,000
    SaudiNewsNet articles (396k postings) adding and taking them out again
    costs 0.12 ms an article instead of 0.20 with the postings packed in a
    bytearray, for some 12 MB more.  A writer adds documents in docnum
    order, so a term's postings are already in order and only the distinct
    terms are sorted.

    Past ``limitmb`` (counted as above, never less than the real size)
    the pool is written out as a sorted run and the runs are merged at the
    end, exactly as Whoosh's pool does.
    """

    def __init__(self, tempstore, segment, limitmb=128, **kwargs):
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self._fields = {}  # fieldname -> {term bytes: [docnum, weight, value, ...]}

    def add(self, item):
        fieldname, tbytes, docnum, weight, vbytes = item
        self.add_postings(fieldname, docnum, ((tbytes, 0, weight, vbytes),))

    def add_postings(self, fieldname, docnum, items):
        """Add one document's postings in ``fieldname``, ``(term bytes,
        frequency, weight, value)`` as a field's ``index`` gives them;
        return the sum of the frequencies (the document's length in the
        field).  One call a field, where Whoosh's writer makes one a posting
        (:meth:`ChunkWriter.add_document`)."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        find = terms.get
        size = length = 0
        for tbytes, freq, weight, vbytes in items:
            length += freq
            postings = find(tbytes)
            if postings is None:
                postings = terms[tbytes] = []
                size += _TERM_COST + len(tbytes)
            if vbytes is None:
                postings += (docnum, weight, b"")
                size += _POSTING_COST
            else:
                postings += (docnum, weight, vbytes)
                size += _POSTING_COST + _VALUE_COST + len(vbytes)
        self.currentsize += size
        if self.currentsize > self.limit:
            self.save()
        return length

    def _drain(self):
        """Yield the pooled postings in Whoosh's order, emptying the pool
        (for a run written out, or merged with runs)."""
        for fieldname, tbytes, docnums, weights, values in self.terms():
            for docnum, weight, value in zip(docnums, weights, values):
                yield fieldname, tbytes, docnum, weight, value or None

    def terms(self):
        """Yield ``(fieldname, term bytes, docnums, weights, values)`` of every
        pooled term in Whoosh's order, emptying the pool.  A value is ``b""``
        where the posting has none, as Whoosh's writer passes it.

        Each term's list is let go once read, so the pool shrinks while
        the segment's files grow.
        """
        fields, self._fields = self._fields, {}
        self.currentsize = 0
        for fieldname in sorted(fields):
            terms = fields.pop(fieldname)
            for tbytes in sorted(terms):
                postings = terms.pop(tbytes)
                yield fieldname, tbytes, postings[0::3], postings[1::3], postings[2::3]

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

    def of(self, fieldname):
        """Every document's length in ``fieldname`` (a list), or None."""
        return self._lengths.get(fieldname)


def _add_terms(fieldwriter, schema, lengths, terms):
    """Whoosh's ``FieldWriter.add_postings`` for postings grouped by term
    (:meth:`CompactPostingPool.terms`): the same files, byte for byte.

    Whoosh's W3 writer takes a posting at a time, four Python calls and a
    block's statistics each, some 190 postings an article; then a dozen
    calls a term to write its blocks (``finish_term``), and a segment of
    2,000 articles has some 20 terms an article.  Here each term's blocks
    are encoded and its term info set at once (:func:`_write_term`), as
    those calls would have: writing a segment of 2,916 SaudiNewsNet
    articles took 1.55 ms of CPU an article instead of 1.70 with Whoosh's
    block writer fed a block at a time, and finishing a segment of 3,000
    articles 0.60 ms instead of 0.67 with the blocks written here (the
    pickling and compressing of each block is half of the rest).
    """
    field = None
    for fieldname, tbytes, docnums, weights, values in terms:
        if fieldname != field:
            if field is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            field = fieldname
            postwriter = fieldwriter._postwriter
            if postwriter._inlinelimit > 1:
                # Whoosh would inline a short term's postings in its term info.
                raise RuntimeError("the term writer writes no inlined postings: keep the codec's inlinelimit at 1")
            postfile = postwriter._postfile
            # Only the terms' blocks go into the postings file from here:
            # its offset is counted, not asked of the file (a system call).
            offset = postfile.tell()
            write_term = partial(_write_term, postwriter._blocklimit, postwriter._compression,
                                 fieldwriter._format.fixed_value_size(),
                                 lengths.of(fieldname) if lengths is not None else None)
            key = pack_ushort(fieldwriter._fieldid)
            tindex = _TermIndex(fieldwriter._tindex)
        terminfo, data = write_term(docnums, weights, values)
        postfile.write(data)
        terminfo.set_extent(offset, len(data))
        offset += len(data)
        tindex.add(key + tbytes, terminfo.to_bytes())
    if field is not None:
        fieldwriter.finish_field()


# OrderedHashWriter's record header: key and value lengths.
_KEY_VALUE_LENGTHS = struct.Struct("!ii")


class _TermIndex:
    """``OrderedHashWriter.add`` of a field's terms: the same records,
    offsets and hash buckets, with the file's offset counted instead of
    asked twice a term (``tell`` on the buffered file was a twentieth of
    writing a segment).  Nothing else writes to the term index file while
    a field's terms are added.
    """

    def __init__(self, writer):
        self._writer = writer
        self._file = writer.dbfile
        self._offset = writer.dbfile.tell()
        self._positions = writer.index
        self._buckets = writer.buckets
        self._hash = writer.hashfn

    def add(self, key, value):
        writer = self._writer
        if key <= writer.lastkey:
            raise ValueError(f"Keys must increase: {writer.lastkey!r}..{key!r}")
        offset = self._offset
        self._positions.append(offset)
        self._file.write(_KEY_VALUE_LENGTHS.pack(len(key), len(value)) + key + value)
        h = self._hash(key)
        self._buckets[h & 255].append((h, offset))
        self._offset = offset + _KEY_VALUE_LENGTHS.size + len(key) + len(value)
        writer.lastkey = key


# Posting blocks of fewer bytes are written uncompressed.  Deflate's
# header and checksum outweigh what it saves on them: on 2,000 SaudiNewsNet
# articles, with blocks pickled at protocol 2, two blocks in three were
# this small, compressing them cost a tenth of writing the terms, and the
# postings file was 0.4% smaller without (at protocol 4, three in four).
MIN_COMPRESSED = 128
# Posting blocks are pickled at protocol 4, not Whoosh's 2 (kept for Python
# 2): protocol 2 pickles each posting's value, a bytes object, as a call of
# _codecs.encode on a latin-1 str, some 20 bytes more a posting.  On 8,500
# SaudiNewsNet articles the postings file is 45% smaller (16.1 MB, not
# 29.2), pickling and compressing it cost 120 us an article instead of 276,
# and reading it back 54 instead of 142.  Whoosh's reader unpickles any
# protocol; a block's statistics stay at 2 (numbers only, no frame).
BLOCK_PROTOCOL = 4


def _write_term(limit, compression, fixed_size, field_lengths, docnums, weights, values):
    """Encode one term's postings as W3 posting blocks of at most ``limit``
    postings; return its :class:`W3TermInfo` (its extent not yet set) and
    the bytes.

    What ``start_postings``, ``add_posting`` for each posting and
    ``finish_postings`` write (``W3PostingsWriter._write_block``: a header,
    then each block's length, negative for the last, its pickled
    statistics and its ids, weights and values, pickled at BLOCK_PROTOCOL
    and compressed where they are MIN_COMPRESSED bytes or more), with the
    statistics ``TermInfo.add_block`` keeps.  A term is never inlined:
    the codec's ``inlinelimit`` is 1.  Most terms have one short block, so
    a term's bytes are joined and written at once.
    """
    terminfo = W3TermInfo()
    parts = [WHOOSH3_HEADER_MAGIC]
    total = len(docnums)
    for start in range(0, total, limit):
        stop = start + limit
        if total <= limit:
            ids, raw_weights, block_values = docnums, weights, values
        else:
            ids, raw_weights, block_values = docnums[start:stop], weights[start:stop], values[start:stop]
        # Whoosh keeps a block's weights as 32-bit floats, but its maximum
        # as add_posting saw it.
        block_weights = array("f", raw_weights)
        heaviest = max(raw_weights)
        max_weight = heaviest if heaviest > 0 else 0
        # add_posting's statistics count only non-zero lengths.
        if field_lengths:
            counted = [n for n in map(field_lengths.__getitem__, ids) if n]
            min_length = min(counted) if counted else None
            max_length = max(counted) if counted else 0
        else:
            min_length, max_length = None, 0

        terminfo._weight += sum(block_weights)
        terminfo._df += len(ids)
        if terminfo._minlength is None:
            terminfo._minlength = min_length
        elif min_length is not None:
            terminfo._minlength = min(terminfo._minlength, min_length)
        if max_length > terminfo._maxlength:
            terminfo._maxlength = max_length
        if max_weight > terminfo._maxweight:
            terminfo._maxweight = max_weight
        if terminfo._minid is None:
            terminfo._minid = ids[0]
        terminfo._maxid = ids[-1]

        # Whoosh's delta_encode: the gaps, the first from 0 (in C here).
        gaps = (ids[0], *map(sub, ids[1:], ids)) if len(ids) > 1 else (ids[0],)
        data = dumps((gaps, _mini_weights(block_weights),
                      _mini_values(list(filter(None, block_values)), fixed_size)), BLOCK_PROTOCOL)
        # Each block says whether it is compressed (the reader decompresses
        # only those that are).
        block_compression = compression if len(data) >= MIN_COMPRESSED else 0
        if block_compression:
            data = zlib.compress(data, block_compression)
        info = dumps((len(ids), ids[-1], max_weight, block_compression,
                      _length_byte(min_length), _length_byte(max_length)), 2)
        length = len(info) + len(data)
        parts += (pack_int(length if stop < total else -length), info, data)
    return terminfo, b"".join(parts)


@lru_cache(maxsize=4096)
def _length_byte(length):
    """Whoosh's ``length_to_byte`` (a bisection), cached: a block's lengths
    are few and repeat."""
    return length_to_byte(length)


def _mini_weights(weights):
    """``W3PostingsWriter._mini_weights``: None when all are 1, one weight
    when all are the same, else all of them."""
    first = weights[0]
    if first == 1.0 and all(w == 1.0 for w in weights):
        return None
    if all(w == first for w in weights):
        return first
    return tuple(weights)


def _mini_values(values, fixed_size):
    """``W3PostingsWriter._mini_values``: the format's values as stored."""
    if fixed_size is None or fixed_size < 0:
        return tuple(values)
    if fixed_size == 0:
        return None
    return b"".join(values)


# The per-document writer's column of stored fields, and the zlib level it
# is compressed at here: Whoosh's 3 took a tenth of adding a document (a
# SaudiNewsNet article's stored fields are some 6 KB); level 1 takes 80 us
# where 3 took 101, for 7% more bytes, and any level decompresses the same.
STORED_COLUMN_NAME = "_stored"
STORED_LEVEL = 1


class ChunkWriter(SegmentWriter):
    """A lock-free writer for one segment that no TOC names yet.

    ``ix`` must be opened through :class:`PrivateTempStorage`.
    """

    def __init__(self, ix, limitmb, pool_class=CompactPostingPool, **kwargs):
        super().__init__(ix, _lk=False, limitmb=limitmb, **kwargs)
        self.pool = pool_class(self._tempstorage, self.newsegment, limitmb=limitmb)
        # Stored fields at deflate's fastest level (any level reads the same).
        self.perdocwriter._colwriters[STORED_COLUMN_NAME]._child._level = STORED_LEVEL
        # Documents are added a field's postings at a time, unless a field
        # wants what only Whoosh's add_document writes.
        self._by_field = isinstance(self.pool, CompactPostingPool) and not any(
            field.separate_spelling() or field.vector for _, field in self.schema.items()
        )

    def add_document(self, **fields):
        """``SegmentWriter.add_document``, with each field's postings given
        to the pool in one call (:meth:`CompactPostingPool.add_postings`)
        instead of a call a posting: the same segment, byte for byte.
        Documents with boosts or ``_stored_`` values (which the archive
        never passes) take Whoosh's way.
        """
        if not self._by_field or any(name.startswith("_") for name in fields):
            return super().add_document(**fields)
        self._check_state()
        schema = self.schema
        names = sorted(fields)
        self._check_fields(schema, names)
        perdocwriter = self.perdocwriter
        add_postings = self.pool.add_postings
        docnum = self.docnum
        perdocwriter.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    length = add_postings(name, docnum, field.index(value))
                    if not field.scorable:
                        length = 0
                perdocwriter.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    perdocwriter.add_column_value(name, field.column_type, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self):
        # SegmentWriter._flush_segment, with the lengths read once.
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        lengths = _Lengths(reader, self.schema, self.docnum) if reader else None
        if isinstance(self.pool, CompactPostingPool) and not self.pool.runs:
            _add_terms(self.fieldwriter, self.schema, lengths, self.pool.terms())
        else:
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


# --- 5. committing prebuilt segments --------------------------------------

def commit_segments(ix, segments, delete, plan=None, limitmb=128):
    """Make ``segments`` part of the index in one atomic commit.

    ``delete(writer)`` deletes the documents the new segments replace (with
    ``writer.delete_by_term``) and returns what it likes, which is returned.
    ``plan(old segments)`` returns ``(to merge, to keep)``: the index's
    segments that are rewritten into one (their deleted documents left
    out), and those kept as they are; a segment in neither is dropped (it
    must have no live document).  The new segments are taken as they are.
    The table of contents is written last, so a crash before it leaves the
    previous index whole.
    """
    writer = ChunkWriter(ix, limitmb)
    try:
        result = delete(writer)
        merge, kept = plan(list(writer.segments)) if plan else ([], list(writer.segments))
        for segment in merge:
            reader = SegmentReader(writer.storage, writer.schema, segment)
            try:
                writer.add_reader(reader)
            finally:
                reader.close()
        if writer._added:
            kept.append(writer._finalize_segment())
        else:
            writer._close_segment()
        # Not writer._commit_toc: it also deletes every segment file the new
        # TOC does not name, and the next batch's segments are being written
        # right now.  Stale files go in clean_index_files, once nothing is
        # in flight.
        TOC(writer.schema, kept + list(segments), writer.generation).write(writer.storage, writer.indexname)
    finally:
        writer._finish()
    return result


def clean_index_files(ix):
    """Delete the files of old generations and of abandoned segments."""
    toc = ix._read_toc()
    clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)


def committed_segment_ids(ix):
    """The ids of the segments the index's table of contents names."""
    return {segment.segment_id() for segment in ix._read_toc().segments}


def rewrite_fixed_column(index_dir, segment, fieldname, fixedlen, records):
    """Overwrite documents' values in a ``FixedBytesColumn`` of a segment
    that no table of contents names yet: ``records`` maps a docnum to its
    new value (``fixedlen`` bytes), each written where the old one is.

    The column's file (inside the compound segment file, or on its own) is
    the values one after another, ``fixedlen`` bytes a document, up to the
    last document whose value is not the column's default; each docnum of
    ``records`` must have been written a value (not the default) when the
    segment was built.
    """
    if not records:
        return
    name = W3Codec.column_filename(segment, fieldname)
    if segment.is_compound():
        path = os.path.join(index_dir, segment.make_filename(COMPOUND_EXT))
        files = CompoundStorage(StructFile(open(path, "rb")), use_mmap=False)
        try:
            start, length = files.range(name)
        finally:
            files.close()
    else:
        path = os.path.join(index_dir, name)
        start, length = 0, os.path.getsize(path)
    with open(path, "r+b") as f:
        for docnum, value in sorted(records.items()):
            if len(value) != fixedlen or (docnum + 1) * fixedlen > length:
                raise ValueError(f"segment {segment.segment_id()}: no {fixedlen}-byte value of "
                                 f"document {docnum} in column {fieldname!r} to rewrite")
            f.seek(start + docnum * fixedlen)
            f.write(value)


# --- 6. scoring -----------------------------------------------------------

def field_b(weighting, fieldname):
    """BM25F's length normalization B for ``fieldname``."""
    return weighting._field_B.get(fieldname, weighting.B)
