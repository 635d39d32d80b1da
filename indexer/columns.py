"""Each segment's per-document arrays, written once beside the segment.

Search needs, for every document, its text length (BM25), its date (date
sort, the timeline) and its facet values (filters, counts).  Reading them
from Whoosh's columns costs a Python call per document: about 0.8 s on the
full SaudiNewsNet index, paid by every new process (a one-word query in the
CLI) and after every commit.  So when a segment is written its arrays are
read once (:func:`compute`) and saved as ``<segment id>.arrays`` in the
index folder (an uncompressed ``.npz``); a searcher loads each segment's
file and joins them (:func:`join`).  The file's name follows Whoosh's
segment file pattern, so Whoosh's own clean-up deletes it with its segment.
A segment without the file (Whoosh merged it at a commit, or an older
index) has its arrays computed in memory instead.
"""

import os
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
    return SegmentArrays(size, lengths, dates, facets)


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


def write(index_dir, segment_id, arrays):
    """Save ``arrays`` beside segment ``segment_id``, atomically."""
    final = path_of(index_dir, segment_id)
    # Hidden while being written: Whoosh's clean-up skips dot files.
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    payload = {"size": np.asarray(arrays.size), "lengths": arrays.lengths, "dates": arrays.dates}
    for name, facet in arrays.facets.items():
        payload[f"{name}.docs"] = facet.docs
        payload[f"{name}.vals"] = facet.vals
        payload[f"{name}.values"] = np.frombuffer(
            VALUE_SEPARATOR.join(facet.values).encode("utf-8"), dtype=np.uint8
        )
    with open(tmp, "wb") as f:
        np.savez(f, **payload)
    os.replace(tmp, final)


def load(index_dir, segment_id):
    """Return the saved arrays of a segment, or None without a file."""
    try:
        data = np.load(path_of(index_dir, segment_id))
    except FileNotFoundError:
        return None
    with data:
        facets = {}
        for name in FACETS:
            text = data[f"{name}.values"].tobytes().decode("utf-8")
            facets[name] = FacetArrays(
                data[f"{name}.docs"], data[f"{name}.vals"], text.split(VALUE_SEPARATOR) if text else []
            )
        return SegmentArrays(int(data["size"]), data["lengths"], data["dates"], facets)


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


def join(parts):
    """Join ``[(SegmentArrays, offset), ...]`` into one index's arrays,
    each facet's values renumbered over all segments."""
    size = sum(a.size for a, _ in parts)
    lengths = np.concatenate([a.lengths for a, _ in parts]) if parts else np.empty(0)
    dates = np.concatenate([a.dates for a, _ in parts]) if parts else np.empty(0, dtype=np.int64)
    facets = {}
    for name in FACETS:
        index, docs, vals = {}, [], []
        for arrays, offset in parts:
            facet = arrays.facets[name]
            remap = np.fromiter(
                (index.setdefault(v, len(index)) for v in facet.values), dtype=np.int64, count=len(facet.values)
            )
            docs.append(facet.docs.astype(np.int64) + offset)
            vals.append(remap[facet.vals] if len(facet.vals) else np.empty(0, dtype=np.int64))
        facets[name] = FacetArrays(
            np.concatenate(docs) if docs else np.empty(0, dtype=np.int64),
            np.concatenate(vals) if vals else np.empty(0, dtype=np.int64),
            list(index),
        )
    return SegmentArrays(size, lengths, dates, facets)
