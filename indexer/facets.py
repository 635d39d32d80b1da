"""Facet values of every document as numpy arrays: filtering and counting.

The facets (country, actor, source, year, and the month of the timeline)
are columns of the index, kept as arrays beside each segment
(:mod:`indexer.columns`): two flat arrays, one entry per (document,
value), so that a filter is a mask and a count is a bincount, not a
stored-field read per hit.  Values come back in the shape datasette uses,
``{value, label, count}``.
"""

import numpy as np

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


def facet_entry(name, value, count):
    """One facet value as ``{value, label, count}``; countries add an English label."""
    if name == "country":
        from analyzers.entities import country_label

        label_ar, label_en = country_label(value)
        return {"value": value, "label": label_ar or value, "label_en": label_en or value, "count": count}
    return {"value": value, "label": value, "count": count}
