"""Who appears with whom, where and when: entity pages and co-occurrence.

Everything is counted from the facet columns the search already holds
(:mod:`indexer.facets`), never from stored fields: an entity's articles
are the mask of its facet value; its timeline, sources and companions are
facet counts over that mask (a companion's count is the number of articles
naming both).  The pairs under a search are counted through each matching
document's entries among the most frequent entities of the matches
(:func:`pairs`), exactly.  Only the articles a page shows are read, and
an actor's latest few for its other names.

Facets are read through the search's curated view (``view.facet``, see
``_View`` in :mod:`indexer.search`) and labels through
:func:`indexer.facets.facet_entry` with its curation, so whatever the user
merges, renames or hides (:mod:`indexer.curation`), these pages follow.
"""

from collections import Counter
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from indexer import schema as S
from indexer.facets import TIMELINE, Selection, facet_entry
from indexer.ranking import top

# The kinds of entity with a page, by facet name.
KINDS = ("actor", "country")
# Pairs shown under a search, and companions, sources and articles on a page.
PAIR_LIMIT = 10
COMPANION_LIMIT = 10
LATEST = 10
# An actor's other names come from the stored entities of its latest
# articles: enough to see the usual spellings, bounded in reads.
NAMES_FROM = 30
NAMES_SHOWN = 12
# Entities a pair table starts from, and the most it widens to (see pairs).
FIRST_K = 24
MAX_K = 256


@dataclass
class EntityPage:
    """What the archive knows of one actor or country.

    ``actors``, ``countries`` and ``sources`` are ``{value, label, count}``
    lists (a companion's count: the articles naming both); ``latest`` holds
    the docnums of the newest articles until the service makes them hits.
    """

    kind: str
    value: str
    label: str
    label_en: str
    names: list
    total: int
    timeline: list
    actors: list
    countries: list
    sources: list
    latest: list
    actor_kind: str = ""
    first_date: str | None = None
    last_date: str | None = None
    took_ms: float = 0.0

    def to_dict(self):
        out = {
            "kind": self.kind, "value": self.value, "label": self.label, "label_en": self.label_en,
            "names": self.names, "total": self.total, "first_date": self.first_date,
            "last_date": self.last_date, "timeline": self.timeline, "actors": self.actors,
            "countries": self.countries, "sources": self.sources,
            "latest": [asdict(h) if not isinstance(h, dict) else h for h in self.latest],
            "took_ms": round(self.took_ms, 1),
        }
        if self.kind == "actor":
            out["actor_kind"] = self.actor_kind
        return out


# --- filters -----------------------------------------------------------------

def required_masks(view, filters):
    """{"with_actor"/"with_country": mask} for the values that must all hold.

    A facet's own values are alternatives; these are conjunctions, one mask
    per value ANDed, so "the articles naming A and B" is a link away.
    """
    out = {}
    for name, values in (("actor", filters.with_actors), ("country", filters.with_countries)):
        if values:
            column = view.facet(name)
            mask = np.ones(view.snapshot.size, dtype=bool)
            for value in values:
                mask &= column.mask([value])
            out[f"with_{name}"] = mask
    return out


# --- co-occurrence -------------------------------------------------------------

class _Entries:
    """One facet's entries in the selected documents (in document order),
    each value's count there, from the search's
    :class:`indexer.facets.Selection`, and the MAX_K most counted values."""

    def __init__(self, selection, name, curation):
        self.curation = curation
        self.values = selection.view.facet(name).values
        self.docs, self.vals = selection.entries(name)
        self.counts = selection.counts(name)
        present = np.flatnonzero(self.counts)
        # Value ids by count, most first, ties in the order values were
        # first seen (as the facet counts); every table below is a prefix.
        self.order = present[top(present, self.counts[present], MAX_K)]
        self._top = None
        self._restricted = {}

    def ranked(self, k=None, at_least=None):
        """The first ``k`` value ids of :attr:`order`, or all counted at
        least ``at_least`` times (at most MAX_K)."""
        if at_least is not None:
            k = int(np.count_nonzero(self.counts[self.order] >= at_least))
        return self.order[:k]

    def restricted(self, k):
        """(docs, column) of the entries whose value is among the ``k`` first
        of :attr:`order`, the column being the value's place there.

        One pass over the entries finds those of all MAX_K; a narrower
        table filters what it found.
        """
        if self._top is None:
            # Places of MAX_K values: two bytes each while they fit.
            dtype = np.int16 if len(self.order) < 2**15 else np.int32
            place = np.full(len(self.values), -1, dtype=dtype)
            place[self.order] = np.arange(len(self.order), dtype=dtype)
            where = place.take(self.vals)
            keep = where >= 0
            self._top = (np.compress(keep, self.docs), np.compress(keep, where))
        if k not in self._restricted:
            docs, cols = self._top
            if k < len(self.order):
                keep = cols < k
                docs, cols = np.compress(keep, docs), np.compress(keep, cols)
            self._restricted[k] = (docs, cols.astype(np.int64))
        return self._restricted[k]

    def entry(self, name, value_id):
        return facet_entry(name, self.values[value_id], int(self.counts[value_id]), self.curation)


def _document_runs(docs):
    """(first, end, doc) of each run of one document in ``docs`` (ascending)."""
    change = np.flatnonzero(docs[1:] != docs[:-1]) + 1
    first = np.concatenate(([0], change))
    end = np.concatenate((change, [len(docs)]))
    return first, end, docs.take(first)


def _pair_counts(docs_a, cols_a, k_a, docs_b, cols_b, k_b):
    """A ``k_a`` x ``k_b`` array: how many documents hold an a entry of each
    column with a b entry of each column, ``docs_a`` and ``docs_b``
    ascending.  Each a entry meets every b entry of its document, found by
    matching the documents' runs of entries rather than each entry; for a
    facet paired with itself (``docs_b`` None) it meets the entries after
    it, and the array is folded so that [i, j] (i < j) counts both orders.
    """
    same = docs_b is None
    if same:
        docs_b, cols_b, k_b = docs_a, cols_a, k_a
    counts = np.zeros(k_a * k_b, dtype=np.int64)
    if len(docs_a) and len(docs_b):
        a_first, a_end, a_docs = _document_runs(docs_a)
        lengths = a_end - a_first
        if same:
            first = np.arange(1, len(docs_a) + 1)
            last = np.repeat(a_end, lengths)
        else:
            b_first, b_end, b_docs = _document_runs(docs_b)
            at = np.minimum(np.searchsorted(b_docs, a_docs), len(b_docs) - 1)
            shared = b_docs.take(at) == a_docs
            first = np.repeat(np.where(shared, b_first.take(at), 0), lengths)
            last = np.repeat(np.where(shared, b_end.take(at), 0), lengths)
        reps = np.maximum(last - first, 0)
        total = int(reps.sum())
        if total:
            # The b entries met, run after run: first, first + 1, ... last - 1.
            right = np.arange(total) + np.repeat(first - (np.cumsum(reps) - reps), reps)
            keys = np.repeat(cols_a * k_b, reps) + cols_b.take(right)
            counts = np.bincount(keys, minlength=k_a * k_b)
    counts = counts.reshape(k_a, k_b)
    if same:
        counts = np.triu(counts + counts.T, 1)
    return counts


def _top_pairs(counts, limit):
    """The ``limit`` largest (i, j, count) of a pair count array, most
    first, ties by i then j (the entities' own ranks)."""
    flat = counts.ravel()
    found = np.flatnonzero(flat)
    order = found[np.lexsort((found, -flat[found]))][:limit]
    k_b = counts.shape[1]
    return [(int(o // k_b), int(o % k_b), int(flat[o])) for o in order]


def _paired(left, k_left, right, k_right, limit):
    docs_a, cols_a = left.restricted(k_left)
    docs_b, cols_b = (None, None) if right is None else right.restricted(k_right)
    return _top_pairs(_pair_counts(docs_a, cols_a, k_left, docs_b, cols_b, k_right), limit)


def pairs(view, selected, limit=PAIR_LIMIT, selection=None):
    """The pairs of entities named together most often in the ``selected``
    documents: ``{"actors": [...], "actor_country": [...]}``, each pair
    ``{"a": entry, "b": entry, "count": articles naming both}`` with
    ``{value, label, count}`` entries (their counts in the selection),
    most first; ties in the order of the entities' own counts.

    Exact, and cheap: a pair is never named more often than either of its
    entities, so once the FIRST_K most frequent entities give ``limit``
    pairs, the last counted ``t`` times, only entities named ``t`` times or
    more can make the table; they are paired again (at most MAX_K of each,
    past which the table is of the MAX_K most named).  Pairs are counted by
    going through each document's entries, not a product of matrices: most
    articles name few of the frequent entities.  ``selection`` is the
    :class:`indexer.facets.Selection` of these documents (live ones only)
    when the caller has one, its entries already gathered.
    """
    if selection is None:
        selection = Selection(view, selected & view.snapshot.live)
    actors = _Entries(selection, "actor", view.curation)
    countries = _Entries(selection, "country", view.curation)

    def best(left, right, same):
        left_ids = left.ranked(FIRST_K)
        right_ids = left_ids if same else right.ranked(FIRST_K)
        found = _paired(left, len(left_ids), None if same else right, len(right_ids), limit)
        floor = found[-1][2] if len(found) == limit else 1
        wider = left.ranked(at_least=floor)
        wider_right = wider if same else right.ranked(at_least=floor)
        if len(wider) > len(left_ids) or len(wider_right) > len(right_ids):
            left_ids, right_ids = wider, wider_right
            found = _paired(left, len(left_ids), None if same else right, len(right_ids), limit)
        return [(left_ids[i], right_ids[j], n) for i, j, n in found]

    return {
        "actors": [
            {"a": actors.entry("actor", i), "b": actors.entry("actor", j), "count": n}
            for i, j, n in best(actors, actors, True)
        ],
        "actor_country": [
            {"a": actors.entry("actor", i), "b": countries.entry("country", j), "count": n}
            for i, j, n in best(actors, countries, False)
        ],
    }


# --- entity pages --------------------------------------------------------------

def entity_page(view, searcher, kind, value, latest=LATEST, limit=COMPANION_LIMIT):
    """The :class:`EntityPage` of actor or country ``value`` (a curated
    value), or None when no live article names it."""
    snapshot, curation = view.snapshot, view.curation
    if kind not in KINDS:
        raise ValueError(f"no pages for {kind!r}")
    mask = view.facet(kind).mask([value]) & snapshot.live
    total = int(mask.sum())
    if not total:
        return None
    entry = facet_entry(kind, value, total, curation)

    def counted(name, extra=0):
        column = view.facet(name)
        return [facet_entry(name, v, c, curation) for v, c in column.count(mask, limit + extra)]

    actors = [e for e in counted("actor", 1) if not (kind == "actor" and e["value"] == value)][:limit]
    countries = [e for e in counted("country", 1) if not (kind == "country" and e["value"] == value)][:limit]
    months = view.facet(TIMELINE).count(mask)
    docs = np.flatnonzero(mask)
    dates = snapshot.dates[docs]
    newest = docs[top(docs, dates, max(latest, NAMES_FROM))]
    page = EntityPage(
        kind=kind, value=value, label=entry["label"], label_en=entry.get("label_en", ""),
        names=[], total=total, timeline=[{"month": m, "count": c} for m, c in sorted(months)],
        actors=actors, countries=countries, sources=counted("source"),
        latest=newest[:latest].tolist(),
        first_date=_day(dates[dates >= 0].min()) if (dates >= 0).any() else None,
        last_date=_day(dates.max()) if (dates >= 0).any() else None,
    )
    if kind == "actor":
        page.names, page.actor_kind = _actor_names(searcher, newest.tolist(), value, page.label, curation)
        if not page.label_en:
            page.label_en = known_actor_label(value)
    else:
        page.names = country_names(value, page.label)
    return page


def _day(long_date):
    from whoosh.util.times import long_to_datetime

    return long_to_datetime(int(long_date)).date().isoformat()


def _actor_names(searcher, docnums, value, label, curation):
    """(other names, kind) of an actor, from the stored entities of
    ``docnums``: the surface forms the articles used, most frequent first
    (those of the values the curation merged into ``value`` too)."""
    from indexer.facets import actor_facet_value

    names, kinds = Counter(), Counter()
    for docnum in docnums:
        entities = searcher.stored_fields(docnum).get(S.ENTITIES) or {}
        for actor in entities.get("actors", []):
            if curation.canonical("actor", actor_facet_value(actor["name"])) != value:
                continue
            kinds[actor.get("kind", "")] += 1
            for name in [actor["name"], *actor.get("aliases", [])]:
                names[name] += 1
    skip = {value, label}
    other = [name for name, _ in names.most_common() if name not in skip][:NAMES_SHOWN]
    return other, (kinds.most_common(1)[0][0] if kinds else "")


def known_actor_label(name):
    """The English label the actor gazetteer gives canonical name ``name``, or ""."""
    from analyzers.entities.gazetteer import actor_table
    from analyzers.normalize import normalize

    words = normalize(name).split()
    if not words:
        return ""
    hit = actor_table().match_at(words, 0)
    if hit is None or hit[0] != len(words):
        return ""
    known = hit[1][0]
    return known.label_en if known.name == name else ""


@lru_cache(maxsize=256)
def _country_names(code):
    from analyzers.entities.resources import read_table

    names = []
    for key, kind, forms in read_table("countries.tsv"):
        if key == code and kind == "name":
            names.extend(f for f in forms if f not in names)
    return tuple(names)


def country_names(code, label):
    """A country's other names: the spellings the recogniser knows it by."""
    return [n for n in _country_names(code) if n != label][:NAMES_SHOWN]
