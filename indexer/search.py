"""The search service: the one place the CLI and the web app read the index.

It returns plain data: :class:`SearchResults` with hits (highlighted
snippets included) and facet counts as ``{value, label, count}`` lists, in
the shape datasette uses.  URLs and presentation stay with the callers.

Facets are counted over every article the query and filters match, from
the index's columns: the values are loaded once per index generation into
numpy arrays, so counting is a mask and a bincount, not a stored-field read
per hit.  Ranking takes the same route where it can (:mod:`indexer.ranking`):
every match is needed for the facets anyway, so scoring them all at once in
numpy beats Whoosh's one-document-at-a-time collector by an order of
magnitude; phrases and prefixes still go through Whoosh.
"""

import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import numpy as np
from whoosh import query as Q
from whoosh.util.times import datetime_to_long

from indexer import schema as S
from indexer import proximity, snippets
from indexer.errors import QueryError
from indexer.query import expand_prefixes, highlight_terms, make_parser, parse_query
from indexer.ranking import Ranker, term_postings, top
from indexer.scoring import LuceneBM25
from indexer.segments import actor_facet_value
from indexer.writer import open_index

SORTS = ("relevance", "date")
MAX_PER_PAGE = 100
MAX_PAGE = 1000
FACET_LIMIT = 20
SNIPPET_CHARS = 240


@dataclass
class Filters:
    """Narrowing that is not part of the query text.

    Values within one facet are alternatives (OR); different facets must all
    hold (AND).  ``date_to`` includes its whole day.
    """

    sources: list = field(default_factory=list)
    countries: list = field(default_factory=list)
    actors: list = field(default_factory=list)
    years: list = field(default_factory=list)
    date_from: datetime | None = None
    date_to: datetime | None = None

    def is_empty(self):
        return not (
            self.sources or self.countries or self.actors or self.years
            or self.date_from or self.date_to
        )


@dataclass
class Hit:
    id: str
    title: str
    date: str | None
    source: str
    url: str
    author: str
    score: float | None
    snippet: str
    title_html: str = ""


@dataclass
class SearchResults:
    query: str
    total: int
    page: int
    per_page: int
    sort: str
    hits: list
    facets: dict
    timeline: list = field(default_factory=list)
    took_ms: float = 0.0

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))

    def to_dict(self):
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "sort": self.sort,
            "took_ms": round(self.took_ms, 1),
            "hits": [asdict(h) for h in self.hits],
            "facets": self.facets,
            "timeline": self.timeline,
        }


class _FacetColumn:
    """One facet's values for every document, as flat numpy arrays."""

    def __init__(self, reader, fieldname, multi):
        labels = {}
        docs, vals = [], []
        if fieldname in reader.schema and reader.has_column(fieldname):
            column = reader.column_reader(fieldname, translate=True)
            for docnum in range(reader.doc_count_all()):
                raw = column[docnum]
                if not raw:
                    continue
                parts = raw.split(S.FACET_SEPARATOR) if multi else (raw,)
                for value in parts:
                    docs.append(docnum)
                    vals.append(labels.setdefault(value, len(labels)))
        self.values = list(labels)
        self._ids = labels
        self.size = reader.doc_count_all()
        self.entry_doc = np.asarray(docs, dtype=np.int64)
        self.entry_val = np.asarray(vals, dtype=np.int64)

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


FACET_FIELDS = {
    "country": (S.COUNTRY, True),
    "actor": (S.ACTOR, True),
    "source": (S.SOURCE, False),
    "year": (S.YEAR, False),
}
# Counted like a facet, returned whole and in calendar order as the timeline.
TIMELINE = (S.MONTH, False)


def matching_docs(searcher, q):
    """Return the sorted docnums ``q`` matches (deleted ones included).

    Boolean structure over plain terms is done with numpy set operations on
    posting arrays; anything else (phrases, prefixes, ranges) asks Whoosh.
    """
    if isinstance(q, Q.Term):
        return np.unique(term_postings(searcher, q.fieldname, q.text)[0])
    if isinstance(q, Q.Or):
        parts = [matching_docs(searcher, c) for c in q.children()]
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
    if isinstance(q, Q.And):
        positive = [c for c in q.children() if not isinstance(c, Q.Not)]
        negative = [c.query for c in q.children() if isinstance(c, Q.Not)]
        if positive:
            docs = matching_docs(searcher, positive[0])
            for c in positive[1:]:
                docs = np.intersect1d(docs, matching_docs(searcher, c), assume_unique=True)
            for c in negative:
                docs = np.setdiff1d(docs, matching_docs(searcher, c), assume_unique=True)
            return docs
    if isinstance(q, Q.AndNot):
        return np.setdiff1d(
            matching_docs(searcher, q.a), matching_docs(searcher, q.b), assume_unique=True
        )
    return np.fromiter(searcher.docs_for_query(q, for_deletion=True), dtype=np.int64)


_MAX_LONG = 1 << 63


class _Generation:
    """The arrays of one index generation, shared by the service's threads.

    Each array is built once, under the lock, by the first thread that needs
    it (through that thread's searcher, see :class:`_Snapshot`).
    """

    def __init__(self, generation):
        self.generation = generation
        self.lock = threading.Lock()
        self.cache = {}


class _Snapshot:
    """A generation's arrays as one thread sees them: built on first use
    through this thread's searcher, since Whoosh's file objects must not be
    shared between threads."""

    def __init__(self, generation, searcher):
        self._generation = generation
        self.searcher = searcher
        self.size = searcher.doc_count_all()

    def _get(self, key, build):
        shared = self._generation
        with shared.lock:
            if key not in shared.cache:
                shared.cache[key] = build()
            return shared.cache[key]

    @property
    def live(self):
        def build():
            live = np.ones(self.size, dtype=bool)
            for sub, offset in self.searcher.leaf_searchers():
                reader = sub.reader()
                if reader.has_deletions():
                    for docnum in range(reader.doc_count_all()):
                        if reader.is_deleted(docnum):
                            live[offset + docnum] = False
            return live

        return self._get("live", build)

    @property
    def dates(self):
        """Each document's date as Whoosh's long, or -1 when it has none."""

        def build():
            dates = np.full(self.size, -1, dtype=np.int64)
            reader = self.searcher.reader()
            if reader.has_column(S.DATE):
                column = reader.column_reader(S.DATE, translate=False)
                for docnum in range(self.size):
                    value = column[docnum]
                    # Raw values are datetime_to_long(date); a document
                    # without a date reads back as the column's default,
                    # outside that range (0 or past 2**63).
                    if 0 < value < _MAX_LONG:
                        dates[docnum] = value
            return dates

        return self._get("dates", build)

    @property
    def ranker(self):
        def build():
            reader = self.searcher.reader()
            lengths = np.fromiter(
                (reader.doc_field_length(d, S.TEXT, 0) for d in range(self.size)),
                dtype=np.float64, count=self.size,
            )
            return Ranker(self.searcher, S.TEXT, lengths)

        return self._get("ranker", build)

    @property
    def vocabulary(self):
        """The set of text-field terms, for spelling suggestions."""

        def build():
            vocabulary = set()
            # Segment by segment: Whoosh's multi-segment term iterator merges
            # through a heap and is several times slower.
            for sub, _ in self.searcher.leaf_searchers():
                for term in sub.reader().lexicon(S.TEXT):
                    vocabulary.add(term.decode("utf-8") if isinstance(term, bytes) else term)
            return frozenset(vocabulary)

        return self._get("vocabulary", build)

    def facet(self, name, spec):
        fieldname, multi = spec
        return self._get(("facet", name), lambda: _FacetColumn(self.searcher.reader(), fieldname, multi))


class SearchService:
    """Read-only access to an archive index.

    One service can be shared by threads: each thread gets a Whoosh
    searcher of its own, and the per-generation arrays (facets, dates,
    lengths, the postings cache) are shared and built under a lock.
    """

    def __init__(self, index_dir):
        self.index_dir = index_dir
        self.ix = open_index(index_dir)
        self.schema = self.ix.schema
        self.parser = make_parser(self.schema)
        self.analyzer = self.schema[S.TEXT].analyzer
        self.weighting = LuceneBM25()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._searchers = []
        self._generations = {}

    def close(self):
        with self._lock:
            for searcher in self._searchers:
                searcher.close()
            self._searchers = []
        self.ix.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _open_searcher(self):
        searcher = self.ix.searcher(weighting=self.weighting)
        with self._lock:
            self._searchers.append(searcher)
        return searcher

    def _current(self):
        """Return (searcher, snapshot) on the latest committed index.

        Each thread reads through a searcher of its own (Whoosh's readers
        share file objects, and concurrent reads through one came back
        corrupt); the per-generation arrays are shared by all threads.
        """
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._local.searcher = self._open_searcher()
        elif not searcher.up_to_date():
            # Refreshing reuses the readers of unchanged segments, but
            # Whoosh's refresh of an empty index's reader fails.  The old
            # searcher's files close when it is garbage collected.
            fresh = searcher.refresh() if searcher.doc_count_all() else self.ix.searcher(weighting=self.weighting)
            with self._lock:
                self._searchers = [s for s in self._searchers if s is not searcher] + [fresh]
            searcher = self._local.searcher = fresh
        generation = searcher.reader().generation()
        with self._lock:
            shared = self._generations.get(generation)
            if shared is None:
                shared = self._generations[generation] = _Generation(generation)
                # Keep the two newest: threads may briefly straddle a commit.
                for old in sorted(self._generations)[:-2]:
                    del self._generations[old]
        return searcher, _Snapshot(shared, searcher)

    def searcher(self):
        """Return this thread's searcher on the latest committed index."""
        return self._current()[0]

    def warm(self):
        """Build the current generation's arrays now rather than on first use.

        A server calls this in the background at start, so the first
        searches and suggestions do not pay for it.
        """
        _, snapshot = self._current()
        for name, spec in FACET_FIELDS.items():
            snapshot.facet(name, spec)
        snapshot.facet("month", TIMELINE)
        snapshot.live, snapshot.dates, snapshot.ranker, snapshot.vocabulary

    def doc_count(self):
        return self.searcher().doc_count()

    def _filter_mask(self, snapshot, filters):
        """A boolean array over docnums for the filters, or None for no filters.

        Facet filters read the same per-generation arrays the counts do
        (the country and actor facets are columns only, not indexed).
        """
        mask = None
        for values, name in (
            (filters.sources, "source"),
            (filters.countries, "country"),
            (filters.actors, "actor"),
            (filters.years, "year"),
        ):
            if values:
                part = snapshot.facet(name, FACET_FIELDS[name]).mask(values)
                mask = part if mask is None else mask & part
        if filters.date_from or filters.date_to:
            dates = snapshot.dates
            part = dates >= 0
            if filters.date_from:
                part &= dates >= datetime_to_long(filters.date_from)
            if filters.date_to:
                end = filters.date_to + timedelta(days=1) - timedelta(microseconds=1)
                part &= dates <= datetime_to_long(end)
            mask = part if mask is None else mask & part
        return mask

    def parse(self, text):
        return parse_query(self.parser, text)

    def search(
        self,
        text,
        filters=None,
        sort="relevance",
        page=1,
        per_page=10,
        facets=True,
        snippets=True,
        facet_limit=FACET_LIMIT,
    ):
        """Run a query; raise QueryError for one that cannot be read."""
        start = time.perf_counter()
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise QueryError(f"per page must be between 1 and {MAX_PER_PAGE}")
        if not 1 <= page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}")
        filters = filters or Filters()
        browse = not (text or "").strip() and not filters.is_empty()
        # No words but filters: browse everything the filters select, newest
        # first (a country link from a document page is such a search).
        q = None if browse else self.parse(text)
        searcher, snapshot = self._current()
        if browse:
            sort = "date"
            ranked = None
            docs = np.arange(snapshot.size, dtype=np.int64)
        else:
            ranked = snapshot.ranker.rank(q, searcher)
            docs = ranked.docs if ranked is not None else matching_docs(searcher, q)
        keep = snapshot.live[docs]
        mask = self._filter_mask(snapshot, filters)
        if mask is not None:
            keep &= mask[docs]
        docs = docs[keep]
        wanted = page * per_page
        if sort == "date":
            best = top(docs, snapshot.dates[docs], wanted)
            page_docs, scores = docs[best], [None] * len(best)
        elif ranked is not None:
            with snapshot.ranker.using(searcher) as ranker:
                scores = proximity.rerank(ranker, q, docs, ranked.scores[keep])
            best = top(docs, scores, wanted)
            page_docs, scores = docs[best], scores[best].tolist()
        else:
            # Phrases, prefixes: Whoosh scores, restricted to the filtered matches.
            results = searcher.search(q, limit=wanted, filter=set(docs.tolist()), terms=False)
            page_docs = np.asarray([h.docnum for h in results], dtype=np.int64)
            scores = [h.score for h in results]
        first = (page - 1) * per_page
        hits = []
        if first < len(page_docs):
            if not snippets:
                terms = None
            elif browse:
                terms = set()
            else:
                terms = highlight_terms(q) | expand_prefixes(q, searcher.reader())
            for docnum, score in zip(page_docs[first:].tolist(), scores[first:]):
                hits.append(self._hit(searcher.stored_fields(docnum), terms, score))
        facet_counts, timeline = self._count_facets(snapshot, docs, facet_limit) if facets else ({}, [])
        return SearchResults(
            query=text,
            total=len(docs),
            page=page,
            per_page=per_page,
            sort=sort,
            hits=hits,
            facets=facet_counts,
            timeline=timeline,
            took_ms=(time.perf_counter() - start) * 1000,
        )

    def _count_facets(self, snapshot, docs, limit):
        mask = np.zeros(snapshot.size, dtype=bool)
        mask[docs] = True
        out = {}
        for name, spec in FACET_FIELDS.items():
            out[name] = [
                _facet_entry(name, value, count)
                for value, count in snapshot.facet(name, spec).count(mask, limit)
            ]
        months = snapshot.facet("month", TIMELINE).count(mask)
        timeline = [{"month": m, "count": c} for m, c in sorted(months)]
        return out, timeline

    def _hit(self, stored, terms, score):
        date = stored.get(S.DATE)
        return Hit(
            id=stored[S.ID],
            title=stored.get(S.TITLE, ""),
            date=date.isoformat() if date else None,
            source=stored.get(S.SOURCE, ""),
            url=stored.get(S.URL, ""),
            author=stored.get(S.AUTHOR, ""),
            score=round(float(score), 4) if score is not None else None,
            snippet=snippets.snippet(stored.get(S.BODY, ""), terms, SNIPPET_CHARS) if terms is not None else "",
            title_html=snippets.highlight_all(stored.get(S.TITLE, ""), terms) if terms is not None else "",
        )

    def suggest(self, text, limit=3):
        """Return up to ``limit`` respellings of ``text`` whose words are in the index.

        Each word of the query that the index lacks is corrected on its
        index term: every term one edit away (a letter deleted, swapped with
        its neighbour, replaced or inserted) that the index holds, the most
        widespread first.  The fix is rebuilt with the clitics and endings
        the user typed: الاستخبرات becomes الاستخبارات, not the bare stem.
        Generating a word's few hundred one-edit spellings and looking each
        up is instant, where Whoosh's corrector walks the whole vocabulary
        (about 20 s on SaudiNewsNet without a spelling graph).
        """
        from analyzers.analysis import index_term
        from analyzers.tokenizer import WORD_PATTERN

        searcher, snapshot = self._current()
        vocabulary = snapshot.vocabulary
        options = []
        changed = False
        for match in WORD_PATTERN.finditer(text):
            word = match.group(0)
            term = index_term(word)
            if term is None or term in vocabulary or len(term) < 3:
                options.append([word])
                continue
            fixes = sorted(
                (t for t in _one_edit(term) if t in vocabulary),
                key=lambda t: (-searcher.doc_frequency(S.TEXT, t), t),
            )[:limit]
            if not fixes:
                options.append([word])
                continue
            changed = True
            options.append([_respell(word, term, fix) for fix in fixes])
        if not changed:
            return []
        out = []
        for i in range(limit):
            candidate = " ".join(opts[min(i, len(opts) - 1)] for opts in options)
            if candidate not in out and candidate != text:
                out.append(candidate)
        return out

    def document(self, doc_id, text=None):
        """Return one stored document as a dict, or None.

        With ``text`` (a query), ``body_html`` and ``title_html`` carry the
        query's matches marked; a query that cannot be read is ignored.
        """
        searcher = self.searcher()
        stored = searcher.document(**{S.ID: doc_id})
        if stored is None:
            return None
        terms = set()
        if text:
            try:
                q = self.parse(text)
                terms = highlight_terms(q) | expand_prefixes(q, searcher.reader())
            except QueryError:
                terms = set()
        date = stored.get(S.DATE)
        body = stored.get(S.BODY, "")
        return {
            "id": stored[S.ID],
            "title": stored.get(S.TITLE, ""),
            "body": body,
            "date": date.isoformat() if date else None,
            "source": stored.get(S.SOURCE, ""),
            "author": stored.get(S.AUTHOR, ""),
            "url": stored.get(S.URL, ""),
            "entities": _with_facet_values(stored.get(S.ENTITIES)),
            "title_html": snippets.highlight_all(stored.get(S.TITLE, ""), terms),
            "body_html": snippets.highlight_all(body, terms),
        }


def _with_facet_values(entities):
    """A document's entities, each actor with the value its facet filters on."""
    entities = entities or {"countries": [], "actors": []}
    for actor in entities.get("actors", []):
        actor["value"] = actor_facet_value(actor["name"])
    return entities


def _facet_entry(name, value, count):
    """One facet value as ``{value, label, count}``; countries add an English label."""
    if name == "country":
        from analyzers.entities import country_label

        label_ar, label_en = country_label(value)
        return {"value": value, "label": label_ar or value, "label_en": label_en or value, "count": count}
    return {"value": value, "label": value, "count": count}


# Letters a normalized Arabic term is made of (after the search folds).
_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءؤئ"


def _one_edit(term):
    """Every string one deletion, transposition, replacement or insertion from ``term``."""
    splits = [(term[:i], term[i:]) for i in range(len(term) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    edits |= {a + c + b for a, b in splits for c in _LETTERS}
    edits.discard(term)
    return edits


def _respell(word, stem, fix):
    """Put corrected stem ``fix`` in place of ``stem`` inside the typed ``word``."""
    from analyzers.normalize import normalize

    normalized = normalize(word)
    at = normalized.find(stem)
    if at < 0:
        return fix
    return normalized[:at] + fix + normalized[at + len(stem):]
