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


class FacetColumn:
    """One facet's values for every document, as flat numpy arrays (from
    :class:`indexer.columns.FacetArrays` of the whole index)."""

    def __init__(self, arrays, size):
        self.values = arrays.values
        self._ids = {value: i for i, value in enumerate(arrays.values)}
        self.size = size
        self.entry_doc = arrays.docs
        self.entry_val = arrays.vals

    def mask(self, values):
        """Return a boolean array over docnums: True where a document has
        any of ``values`` (deleted documents included)."""
        ids = [self._ids[v] for v in values if v in self._ids]
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
        remap = np.asarray([index[c] if c is not None else -1 for c in canonical], dtype=np.int64)
        vals = remap[self.entry_val] if len(self.entry_val) else self.entry_val
        keep = vals >= 0
        docs, vals = self.entry_doc[keep], vals[keep]
        # A document naming two of the merged values counts once.
        _, first = np.unique(docs * max(1, len(values)) + vals, return_index=True)
        first.sort()
        return FacetColumn(FacetArrays(docs[first], vals[first], values), self.size)

    def count(self, mask, limit=None):
        """Return the ``limit`` most frequent [(value, count)] where ``mask`` is True.

        Ties keep the order values were first seen.  Only the non-zero
        counts are sorted and only the top ones become Python objects: the
        actor facet has some 70,000 values on SaudiNewsNet.
        """
        if not self.values:
            return []
        counts = np.bincount(self.entry_val[mask[self.entry_doc]], minlength=len(self.values))
        present = np.flatnonzero(counts)
        order = present[np.argsort(-counts[present], kind="stable")]
        if limit is not None:
            order = order[:limit]
        return [(self.values[i], int(counts[i])) for i in order.tolist()]


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
