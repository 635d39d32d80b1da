"""Facet values of every document as numpy arrays: filtering and counting.

The facets (country, actor, source, year, and the month of the timeline)
are columns of the index, kept as arrays beside each segment
(:mod:`indexer.columns`): two flat arrays, one entry per (document,
value), so that a filter is a mask and a count is a bincount, not a
stored-field read per hit.  Values come back in the shape datasette uses,
``{value, label, count}``.
"""

import numpy as np

from indexer import schema as S

from indexer.columns import FacetArrays
from indexer.curation import EMPTY

# The facets a search counts, in order.
FACET_FIELDS = ("country", "actor", "source", "year")
# Counted like a facet, returned whole and in calendar order as the timeline.
TIMELINE = "month"
# Below one document in this many, a selection's entries are taken as
# runs rather than by a pass over all of them.
RUNS_BELOW = 4
_UNKNOWN = object()


class FacetColumn:
    """One facet's values for every document, as flat numpy arrays (from
    :class:`indexer.columns.FacetArrays` of the whole index)."""

    def __init__(self, arrays, size):
        self.values = arrays.values
        self._ids = {value: i for i, value in enumerate(arrays.values)}
        self.size = size
        self.entry_doc, self.entry_val = _distinct(arrays.docs, arrays.vals, len(arrays.values))
        self._starts = _UNKNOWN
        self._doc_values = _UNKNOWN

    def mask(self, values):
        """Return a boolean array over docnums: True where a document has
        any of ``values`` (deleted documents included)."""
        ids = [self._ids[v] for v in values if v in self._ids]
        one = self.doc_values
        if ids and one is not None:
            return np.isin(one, ids)
        out = np.zeros(self.size, dtype=bool)
        if ids:
            out[self.entry_doc[np.isin(self.entry_val, ids)]] = True
        return out

    def curated(self, curation, facet):
        """This column with ``curation`` (:mod:`indexer.curation`) applied:
        merged values are one value, hidden ones gone."""
        canonical = [curation.canonical(facet, v) for v in self.values]
        if canonical == self.values:
            return self
        values = list(dict.fromkeys(c for c in canonical if c is not None))
        index = {v: i for i, v in enumerate(values)}
        remap = np.asarray([index[c] if c is not None else -1 for c in canonical], dtype=self.entry_val.dtype)
        vals = remap[self.entry_val] if len(self.entry_val) else self.entry_val
        keep = vals >= 0
        # A document naming two of the merged values counts once (the
        # constructor keeps one entry of each (document, value)).
        return FacetColumn(FacetArrays(self.entry_doc[keep], vals[keep], values), self.size)

    def count(self, mask, limit=None):
        """Return the ``limit`` most frequent [(value, count)] where ``mask`` is True.

        Ties keep the order values were first seen.
        """
        if not self.values:
            return []
        one = self.doc_values
        vals = self.entry_val[mask[self.entry_doc]] if one is None else _valued(one.compress(mask))
        return self.top(np.bincount(vals, minlength=len(self.values)), limit)

    def top(self, counts, limit=None):
        """The ``limit`` most frequent [(value, count)] of ``counts`` (one per
        value id), ties in the order values were first seen.  Only the
        non-zero counts are sorted and only the top ones become Python
        objects: the actor facet has some 70,000 values on SaudiNewsNet.
        """
        present = np.flatnonzero(counts)
        order = present[np.argsort(-counts[present], kind="stable")]
        if limit is not None:
            order = order[:limit]
        return [(self.values[i], int(counts[i])) for i in order.tolist()]

    @property
    def starts(self):
        """Where each document's entries start (``size + 1`` of them), or None
        when the entries are not in document order (the index builds them
        in order; checked once a column, since :meth:`entries` depends on
        it).  Threads that meet a new column together compute it twice."""
        if self._starts is _UNKNOWN:
            d = self.entry_doc
            ordered = len(d) < 2 or bool((d[1:] >= d[:-1]).all())
            # Positions in the entries, which outnumber the documents.
            dtype = np.int32 if len(d) < 2**31 else np.int64
            self._starts = (
                np.searchsorted(d, np.arange(self.size + 1, dtype=d.dtype)).astype(dtype) if ordered else None
            )
        return self._starts

    @property
    def doc_values(self):
        """Each document's value id (-1 for none) when no document has more
        than one, else None: the source, the year and the month, whose
        selections are then read by document rather than by a pass over
        every entry (checked once a column)."""
        if self._doc_values is _UNKNOWN:
            starts = self.starts
            out = None
            if starts is not None and (len(starts) < 2 or int(np.diff(starts).max()) <= 1):
                out = np.full(self.size, -1, dtype=np.int32)
                out[self.entry_doc] = self.entry_val
            self._doc_values = out
        return self._doc_values

    def entries(self, selected, docs):
        """(docs, vals) of the entries of the ``selected`` documents (``docs``,
        their numbers ascending), in document order.

        With one value a document, the selected documents' values; else a
        selection of a few documents takes their runs of entries, found
        from each document's first entry, and a large one, one pass over
        all entries.
        """
        one = self.doc_values
        if one is not None:
            vals = one.take(docs)
            keep = vals >= 0
            return (docs, vals) if keep.all() else (docs.compress(keep), vals.compress(keep))
        starts = self.starts
        if starts is None or len(docs) * RUNS_BELOW > len(selected):
            picked = selected[self.entry_doc]
            found_docs, found_vals = self.entry_doc[picked], self.entry_val[picked]
            if starts is not None:
                return found_docs, found_vals
            order = np.argsort(found_docs, kind="stable")
            return found_docs[order], found_vals[order]
        index = runs(starts[docs], starts[docs + 1])
        return self.entry_doc[index], self.entry_val[index]


class Selection:
    """The documents one search selected and, per facet, their entries and
    each value's count among them, each computed once a search: the facet
    counts, the timeline and the pairs named together all read the
    actors' and the countries' (:mod:`indexer.explore`).

    ``view`` gives the (curated) columns by name (``view.facet(name)``).
    """

    def __init__(self, view, mask, docs=None):
        self.view = view
        self.mask = mask
        self.docs = np.flatnonzero(mask) if docs is None else docs
        self._entries = {}
        self._counts = {}

    def entries(self, name):
        """(docs, vals) of facet ``name``'s entries in the selection, in document order."""
        found = self._entries.get(name)
        if found is None:
            found = self._entries[name] = self.view.facet(name).entries(self.mask, self.docs)
        return found

    def counts(self, name):
        """Each value id's count in the selection (an array over the facet's values)."""
        found = self._counts.get(name)
        if found is None:
            size = len(self.view.facet(name).values)
            found = self._counts[name] = np.bincount(self.entries(name)[1], minlength=size)
        return found

    def count(self, name, limit=None):
        """:meth:`FacetColumn.count` of the selection: [(value, count)], most first."""
        column = self.view.facet(name)
        if not column.values:
            return []
        return column.top(self.counts(name), limit)


def _valued(vals):
    """``vals`` without the -1 of documents that have no value."""
    return vals.compress(vals >= 0)


def runs(starts, ends):
    """The concatenation of ``range(start, end)`` for each pair, as an array."""
    lengths = ends - starts
    total = int(lengths.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + offsets


def _distinct(docs, vals, n_values):
    """The entries without repeats of a (document, value), in their order.

    A count is a count of articles, so an article lists a value once; the
    recogniser can name one actor twice in an article (as a person and as
    an organisation: 598 such entries in SaudiNewsNet), which would count
    the article twice.
    """
    if not len(docs):
        return docs, vals
    keys = np.asarray(docs, dtype=np.int64) * max(n_values, 1) + vals
    _, first = np.unique(keys, return_index=True)
    if len(first) == len(keys):
        return docs, vals
    first.sort()
    return docs[first], vals[first]


def actor_facet_value(name):
    """The value an actor is stored under in the actor facet (no separators)."""
    return name.replace(S.FACET_SEPARATOR, " ")


def facet_entry(name, value, count, curation=EMPTY):
    """One facet value as ``{value, label, count}``; countries add an English
    label; a label the user renamed (:mod:`indexer.curation`) wins."""
    if name == "country":
        from analyzers.entities import country_label

        label_ar, label_en = country_label(value)
        return {"value": value, "label": curation.label(name, value, label_ar or value),
                "label_en": label_en or value, "count": count}
    return {"value": value, "label": curation.label(name, value), "count": count}
