"""Each segment's per-document arrays, written once beside the segment.

Search needs, for every document, its text length (BM25), its date (date
sort, the timeline) and its facet values (filters, counts).  Reading them
from Whoosh's columns costs a Python call per document: about 0.8 s on the
full SaudiNewsNet index, paid by every new process (a one-word query in the
CLI) and after every commit.  So when a segment is written its arrays are
read once (:func:`compute`) and saved as ``<segment id>.arrays`` in the
index folder; a searcher maps each segment's file (:class:`SavedArrays`)
and joins them (:class:`Joined`), each facet only when it is asked for.  The file's name follows Whoosh's
segment file pattern, so Whoosh's own clean-up deletes it with its segment.
A segment without the file (Whoosh merged it at a commit, or an older
index) has its arrays computed in memory instead.
"""

import json
import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer import schema as S

EXTENSION = ".arrays"
# Facets kept as arrays: name -> (field, multi-valued).
FACETS = {
    "country": (S.COUNTRY, True),
    "actor": (S.ACTOR, True),
    "source": (S.SOURCE, False),
    "year": (S.YEAR, False),
    "month": (S.MONTH, False),
}
# Between facet values in the saved value list (values never hold it).
VALUE_SEPARATOR = "\x1f"
_MAX_LONG = 1 << 63


@dataclass
class FacetArrays:
    """One facet of one segment (or of a whole index, once joined): an entry
    per (document, value), values numbered in order of first sight."""

    docs: np.ndarray      # int32 docnums
    vals: np.ndarray      # int32 indexes into values
    values: list


@dataclass
class SegmentArrays:
    size: int
    lengths: np.ndarray   # float64 text-field lengths, as Whoosh scores them
    dates: np.ndarray     # int64 Whoosh date longs, -1 without a date
    facets: dict          # name -> FacetArrays
    signatures: np.ndarray = None   # uint32 (size x 32) MinHash, zeros: none
    clusters: np.ndarray = None     # int64 near-copy cluster keys, 0: none

    def facet(self, name):
        return self.facets[name]


def compute(reader):
    """Read the arrays of one segment ``reader`` from its columns."""
    size = reader.doc_count_all()
    lengths = np.fromiter(
        (reader.doc_field_length(d, S.TEXT, 0) for d in range(size)), dtype=np.float64, count=size
    )
    dates = np.full(size, -1, dtype=np.int64)
    if reader.has_column(S.DATE):
        column = reader.column_reader(S.DATE, translate=False)
        for docnum in range(size):
            value = column[docnum]
            # Raw values are datetime_to_long(date); a document without a
            # date reads back as the column's default, outside that range
            # (0 or past 2**63).
            if 0 < value < _MAX_LONG:
                dates[docnum] = value
    facets = {name: _facet(reader, fieldname, multi, size) for name, (fieldname, multi) in FACETS.items()}
    signatures, clusters = _nearcopies(reader, size)
    return SegmentArrays(size, lengths, dates, facets, signatures, clusters)


def _nearcopies(reader, size):
    # Imported here: only a segment without saved arrays needs it, and it
    # draws its hash constants from numpy.random when imported (5 ms of CPU
    # of a query in a fresh process, up to 0.03 s on a loaded machine).
    from indexer import nearcopy

    if S.NEARCOPY in reader.schema and reader.has_column(S.NEARCOPY) and size:
        column = reader.column_reader(S.NEARCOPY)
        return nearcopy.unpack_many(b"".join(column[d] for d in range(size)), size)
    return (np.zeros((size, nearcopy.PERMUTATIONS), dtype=np.uint32), np.zeros(size, dtype=np.int64))


def _facet(reader, fieldname, multi, size):
    labels = {}
    docs, vals = [], []
    if fieldname in reader.schema and reader.has_column(fieldname):
        column = reader.column_reader(fieldname, translate=True)
        for docnum in range(size):
            raw = column[docnum]
            if not raw:
                continue
            for value in raw.split(S.FACET_SEPARATOR) if multi else (raw,):
                docs.append(docnum)
                vals.append(labels.setdefault(value.replace(VALUE_SEPARATOR, " "), len(labels)))
    return FacetArrays(np.asarray(docs, dtype=np.int32), np.asarray(vals, dtype=np.int32), list(labels))


def path_of(index_dir, segment_id):
    return Path(index_dir) / f"{segment_id}{EXTENSION}"


# File layout: a magic word and the header's length, a JSON header naming each array's
# dtype, length and offset, then the arrays (8-byte aligned), so that each
# is a view of the mapped file, its pages read when first used, not read
# and parsed with the rest.
MAGIC = b"ARCHARR2"
_HEAD = struct.Struct("<8sQ")


def write(index_dir, segment_id, arrays):
    """Save ``arrays`` beside segment ``segment_id``, atomically."""
    final = path_of(index_dir, segment_id)
    # Hidden while being written: Whoosh's clean-up skips dot files.
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    payload = {"lengths": arrays.lengths, "dates": arrays.dates,
               "signatures": arrays.signatures.reshape(-1), "clusters": arrays.clusters}
    for name, facet in arrays.facets.items():
        payload[f"{name}.docs"] = facet.docs
        payload[f"{name}.vals"] = facet.vals
        payload[f"{name}.values"] = np.frombuffer(
            VALUE_SEPARATOR.join(facet.values).encode("utf-8"), dtype=np.uint8
        )
    header, blobs, offset = {"size": arrays.size, "arrays": {}}, [], 0
    for key, array in payload.items():
        array = np.ascontiguousarray(array)
        header["arrays"][key] = [array.dtype.str, len(array), offset]
        blob = array.tobytes()
        blobs.append(blob + b"\0" * (-len(blob) % 8))
        offset += len(blobs[-1])
    head = json.dumps(header).encode("utf-8")
    head += b" " * (-(len(head) + _HEAD.size) % 8)
    with open(tmp, "wb") as f:
        f.write(_HEAD.pack(MAGIC, len(head)) + head)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, final)


def set_clusters(index_dir, segment_id, keys):
    """Overwrite, in place, the near-copy cluster keys of some documents in
    a segment's saved arrays: ``keys`` maps a docnum to its key.  For a
    segment no table of contents names yet (no searcher maps the file)."""
    path = path_of(index_dir, segment_id)
    with open(path, "r+b") as f:
        header, data_start = _read_header(f, path)
        dtype, count, offset = header["arrays"]["clusters"]
        start = data_start + offset
        value = np.dtype(dtype)
        for docnum, key in sorted(keys.items()):
            if not 0 <= docnum < count:
                raise IndexError(f"{path}: no document {docnum} of {count}")
            f.seek(start + docnum * value.itemsize)
            f.write(np.array(key, dtype=value).tobytes())


def _read_header(f, path):
    """The JSON header of the arrays file open as ``f``, and where its
    arrays start."""
    magic, length = _HEAD.unpack(f.read(_HEAD.size))
    if magic != MAGIC:
        raise ValueError(f"{path} is not an arrays file of this version")
    return json.loads(f.read(length)), _HEAD.size + length


class SavedArrays:
    """A segment's saved arrays: read-only views of one memory map of the
    file, each made when first asked for."""

    def __init__(self, path):
        with open(path, "rb") as f:
            header, self._start = _read_header(f, path)
            # One map for the whole file, not an np.memmap per array: that
            # opens and maps the file again each time (0.3 ms, and a query
            # on 16 segments takes 48 arrays).  The map lives as long as
            # an array viewing it.
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self._path = path
        self._layout = header["arrays"]
        self.size = header["size"]

    def _array(self, key):
        dtype, count, offset = self._layout[key]
        if not count:
            return np.empty(0, dtype=dtype)
        return np.frombuffer(self._map, dtype=dtype, count=count, offset=self._start + offset)

    @property
    def lengths(self):
        return self._array("lengths")

    @property
    def dates(self):
        return self._array("dates")

    @property
    def signatures(self):
        return self._array("signatures").reshape(self.size, -1)

    @property
    def clusters(self):
        return self._array("clusters")

    def facet(self, name):
        """The facet's arrays, its values read from the file each call: they
        are needed once per generation, to join them, and a segment's
        value strings kept for good cost 340 MB at a million articles
        (500 segments, an actor list each)."""
        text = bytes(self._array(f"{name}.values")).decode("utf-8")
        return FacetArrays(
            self._array(f"{name}.docs"), self._array(f"{name}.vals"),
            text.split(VALUE_SEPARATOR) if text else [],
        )


def load(index_dir, segment_id):
    """Return the saved arrays of a segment, or None without a file."""
    try:
        return SavedArrays(path_of(index_dir, segment_id))
    except FileNotFoundError:
        return None
    except (ValueError, struct.error, KeyError):
        # Written by another version, or cut short: computed instead.
        return None


def for_segment(index_dir, reader):
    """The arrays of one segment reader: from its file, else computed."""
    segment = reader.segment()
    found = load(index_dir, segment.segment_id()) if index_dir is not None and segment is not None else None
    return found if found is not None else compute(reader)


def ensure(index_dir, reader):
    """Write the arrays file of segment ``reader`` if it has none (segments
    Whoosh merged at a commit)."""
    segment_id = reader.segment().segment_id()
    if not path_of(index_dir, segment_id).exists():
        write(index_dir, segment_id, compute(reader))


class Joined:
    """One index's arrays, joined from its segments' ``[(arrays, offset)]``.

    A facet is joined each time it is asked for, its values renumbered over
    all segments: the caller keeps it (a snapshot keeps one
    :class:`indexer.facets.FacetColumn` a facet and generation)."""

    def __init__(self, parts):
        self._parts = parts
        self.size = sum(a.size for a, _ in parts)
        self.lengths = _concat([np.asarray(a.lengths, dtype=np.float64) for a, _ in parts], np.float64)
        self.dates = _concat([np.asarray(a.dates) for a, _ in parts], np.int64)
        self.clusters = _concat([np.asarray(a.clusters) for a, _ in parts], np.int64)

    def facet(self, name):
        # Docnums and value ids as int32 where they fit: half the memory and
        # the memory traffic of a count (a million articles have ~4M actor
        # entries).  A segment's value strings are read one segment at a
        # time and let go.
        index, docs, vals = {}, [], []
        for arrays, offset in self._parts:
            facet = arrays.facet(name)
            remap = np.fromiter(
                (index.setdefault(v, len(index)) for v in facet.values), dtype=np.int64, count=len(facet.values)
            )
            docs.append(np.asarray(facet.docs, dtype=_index_type(self.size)) + offset)
            vals.append(remap[facet.vals].astype(_index_type(len(index))) if len(facet.vals)
                        else np.empty(0, dtype=np.int32))
        return FacetArrays(_concat(docs, _index_type(self.size)), _concat(vals, np.int32), list(index))


def _index_type(count):
    """The integer type of indexes into ``count`` things."""
    return np.int32 if count < 2**31 else np.int64


def _concat(arrays, dtype):
    return np.concatenate(arrays) if arrays else np.empty(0, dtype=dtype)
