"""The search service: the one place the CLI and the web app read the index.

It returns plain data: :class:`SearchResults` with hits (highlighted
snippets included), facet counts as ``{value, label, count}`` lists in the
shape datasette uses, and notices saying what was repaired or bounded.
URLs and presentation stay with the callers.

One call does the whole page: the query is read once
(:func:`indexer.query.read_query`), every match is scored at once in numpy
(:mod:`indexer.ranking`), and the facets are counted over every match from
the index's columns (:mod:`indexer.facets`), each active facet with its own
filter left out (multi-select, "disjunctive" counts: the numbers next to a
country say what ticking it too would show).  With filters and no words a
search browses what the filters select, newest first.
"""

import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

# Before any other Whoosh import: it loads Whoosh without the modules Whoosh
# imports and a search never calls (0.05 s CPU of a query in a fresh process).
import indexer.whoosh_internals  # noqa: F401, I001
import numpy as np
from whoosh.util.times import datetime_to_long

from indexer import country_terms, curation, proximity
from indexer import schema as S
from indexer.documents import document_dict, make_hit
from indexer.errors import Notice, QueryError
from indexer.facets import FACET_FIELDS, TIMELINE, Selection, facet_entry
from indexer.query import highlight_terms, make_parser, positive_patterns, positive_terms, read_query
from indexer.ranking import MAX_PREFIX_TERMS, Budget, top
from indexer.resultcache import RESULT_CACHE, ResultCache
from indexer.scoring import LuceneBM25
from indexer.snapshot import Snapshots
from indexer.store import open_index

SORTS = ("relevance", "date", "recent")
# "recent": relevance halved for every HALF_LIFE_DAYS an article is older
# than the newest match (the archive's "now", not today's date).
HALF_LIFE_DAYS = 30.0
_USECS_A_DAY = 86_400_000_000
MAX_PER_PAGE = 100
MAX_PAGE = 1000
FACET_LIMIT = 20
# Other copies of a story listed with its hit.
MAX_COPIES = 20
# Seconds a search may run before it stops with a message (the CLI's; the
# web app sets its own).  Every query's cost is bounded (prefixes, phrase
# checks): this is the backstop.
SEARCH_SECONDS = 10.0


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
    # Each of these must hold (AND), unlike a facet's alternatives: "the
    # articles naming both", which a co-occurrence pair links to.
    with_actors: list = field(default_factory=list)
    with_countries: list = field(default_factory=list)

    def is_empty(self):
        return not (
            self.sources or self.countries or self.actors or self.years
            or self.date_from or self.date_to or self.with_actors or self.with_countries
        )

    def facet_values(self):
        """{facet name: values} of the facets this filters on."""
        out = {"source": self.sources, "country": self.countries,
               "actor": self.actors, "year": self.years}
        return {name: values for name, values in out.items() if values}


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
    notices: list = field(default_factory=list)
    # Distinct stories among the matches (near-copies counted once), and
    # whether hits were collapsed to them.
    stories: int = 0
    collapsed: bool = False
    # The entities most often named together in the results
    # (:func:`indexer.explore.pairs`), when the search was asked for them.
    cooccurrence: dict | None = None

    @property
    def pages(self):
        return max(1, -(-(self.stories if self.collapsed else self.total) // self.per_page))

    def to_dict(self):
        out = {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "sort": self.sort,
            "stories": self.stories,
            "collapsed": self.collapsed,
            "took_ms": round(self.took_ms, 1),
            "notices": [n.to_dict() for n in self.notices],
            "hits": [asdict(h) for h in self.hits],
            "facets": self.facets,
            "timeline": self.timeline,
        }
        if self.cooccurrence is not None:
            out["cooccurrence"] = self.cooccurrence
        return out


class SearchService:
    """Read-only access to an archive index.

    One service can be shared by threads: each call borrows one of a few
    Whoosh searchers (a searcher serves one thread at a time), and the
    per-generation arrays (facets, dates, lengths, the postings cache) are
    shared and built under a lock (:mod:`indexer.snapshot`).
    """

    def __init__(self, index_dir, search_seconds=SEARCH_SECONDS, result_cache=RESULT_CACHE):
        self.index_dir = index_dir
        self.ix = open_index(index_dir)
        country_terms.load(index_dir)
        self.schema = self.ix.schema
        self.parser = make_parser(self.schema)
        self.search_seconds = search_seconds
        self._snapshots = Snapshots(self.ix, LuceneBM25(), index_dir)
        # The user's entity corrections, read again when the file changes.
        self.curation = curation.Watcher(index_dir)
        # Whole results of repeated requests (0: none, as benchmarks of
        # the search itself want).
        self._results = ResultCache(result_cache)

    def close(self):
        self._snapshots.close()
        self.ix.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def reading(self, budget=None):
        """``with service.reading() as (searcher, snapshot):`` a searcher of
        the latest commit and its :class:`indexer.snapshot.Snapshot`, this
        thread's for the block (:class:`indexer.snapshot.Snapshots`); a
        wait for one is bounded by ``budget``."""
        return self._snapshots.current(budget)

    def warm(self):
        """Build the current generation's arrays now rather than on first use.

        A server calls this in the background at start, so the first
        searches and suggestions do not pay for it.
        """
        with self.reading() as (_, snapshot):
            for name in FACET_FIELDS + (TIMELINE,):
                snapshot.facet(name)
            snapshot.live, snapshot.dates, snapshot.ranker

    def doc_count(self):
        with self.reading() as (searcher, _):
            return searcher.doc_count()

    def parse(self, text):
        return read_query(self.parser, text)[0]

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
        budget=None,
        half_life=HALF_LIFE_DAYS,
        collapse=True,
        cooccurrence=False,
        cache=True,
    ):
        """Run a query; raise QueryError for one that cannot be read.

        ``sort`` is "relevance", "date" (newest first) or "recent":
        relevance times 2**(-age / ``half_life``), age in days before the
        newest match (an article without a date counts as the oldest).
        With filters and no ``text``, browse what the filters select, newest
        first.  With ``collapse``, near-copies of one story
        (:mod:`indexer.nearcopy`) are one hit listing the others in
        ``copies``, and pages count stories; ``total`` and the facets still
        count articles.  ``budget`` (a :class:`indexer.ranking.Budget`) bounds the
        time; by default ``search_seconds``.  With ``cooccurrence``, the
        results carry the pairs of entities named together most often in
        them (:func:`indexer.explore.pairs`).

        A request repeated on the same index generation and curation is
        answered from the service's :class:`indexer.resultcache.ResultCache`,
        without a searcher; ``cache=False`` neither reads nor fills it (a
        download's pages of 100 hits would push out what people ask again).
        """
        start = time.perf_counter()
        budget = budget or Budget(self.search_seconds)
        curation = self.curation.current()
        key = (self._snapshots.latest(), curation.version, text, repr(filters), sort, page,
               per_page, facets, snippets, facet_limit, half_life, collapse, cooccurrence)
        results = self._results.get(key) if cache else None
        if results is None:
            with self.reading(budget) as (searcher, snapshot):
                results = self._search(
                    searcher, snapshot, curation, text, filters, sort, page, per_page, facets,
                    snippets, facet_limit, budget, half_life, collapse, cooccurrence,
                )
            if cache:
                self._results.put(key, results)
        results.took_ms = (time.perf_counter() - start) * 1000
        return results

    def _search(self, searcher, snapshot, curation, text, filters, sort, page, per_page, facets,
                snippets, facet_limit, budget, half_life, collapse, cooccurrence):
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise QueryError(f"per page must be between 1 and {MAX_PER_PAGE}")
        if not 1 <= page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}")
        if not half_life > 0:
            raise QueryError("the half-life of 'recent' must be a positive number of days")
        filters, notices = _checked_filters(filters or Filters())
        filters = _named_actors(filters)
        browse = not (text or "").strip() and not filters.is_empty()
        q = None
        if not browse:
            q, query_notices = read_query(self.parser, text)
            notices = query_notices + notices
        view = _View(snapshot, curation)
        filters = _curated_filters(filters, curation)
        notices += self._unknown_sources(view, filters)
        matched = snapshot.live.copy()
        scores = None
        if browse:
            sort = "date"
        else:
            ranked = snapshot.ranker.rank(q, searcher, budget)
            notices += self._broad_prefixes(searcher, snapshot, q)
            keep = matched[ranked.docs]
            matched = np.zeros(snapshot.size, dtype=bool)
            matched[ranked.docs[keep]] = True
            scores = np.zeros(snapshot.size)
            scores[ranked.docs] = ranked.scores
        masks = self._filter_masks(view, filters)
        selected = matched
        for mask in masks.values():
            selected = selected & mask
        docs = np.flatnonzero(selected)
        budget.check()
        # The sort key of every match (largest first).
        if sort == "date":
            keys, doc_scores = snapshot.dates[docs], None
        else:
            with snapshot.ranker.using(searcher, budget) as ranker:
                doc_scores = proximity.rerank(ranker, q, docs, scores[docs])
            if sort == "recent":
                doc_scores = doc_scores * _recency(snapshot.dates[docs], half_life)
            keys = doc_scores
        clusters = _cluster_keys(snapshot, docs) if collapse else None
        stories = _distinct_count(clusters) if collapse else len(docs)
        first = (page - 1) * per_page
        if first >= stories > 0:
            last = -(-stories // per_page)
            notices.append(Notice(
                "page_past_end", f"page {page} is past the last page of results; showing page {last}",
                str(page),
            ))
            page, first = last, (last - 1) * per_page
        wanted = page * per_page
        best = _ranked_stories(docs, keys, clusters, wanted) if collapse else top(docs, keys, wanted)
        page_docs = best[first:]
        hits = []
        if len(page_docs):
            terms = None if not snippets else set() if browse else self._highlight_terms(searcher, snapshot, q)
            copies = self._copies(searcher, docs, clusters, page_docs, keys) if collapse else {}
            for i in page_docs.tolist():
                score = doc_scores[i] if doc_scores is not None else None
                docnum = int(docs[i])
                stored = searcher.stored_fields(docnum)
                body = snapshot.snippet_text(docnum, stored) if terms is not None else None
                hit = make_hit(stored, terms, score, body=body)
                hit.copies = copies.get(i, [])
                hits.append(hit)
        # The selected documents' facet entries, gathered once for the
        # counts, the timeline and the pairs.
        selection = Selection(view, selected, docs)
        facet_counts, timeline = (
            self._count_facets(view, selection, matched, masks, facet_limit) if facets else ({}, [])
        )
        pairs = _explore().pairs(view, selected, selection=selection) if cooccurrence else None
        return SearchResults(
            query=text,
            total=len(docs),
            page=page,
            per_page=per_page,
            sort=sort,
            hits=hits,
            facets=facet_counts,
            timeline=timeline,
            notices=notices,
            stories=stories,
            collapsed=collapse,
            cooccurrence=pairs,
        )

    def _copies(self, searcher, docs, clusters, page_docs, keys, limit=MAX_COPIES):
        """{index in docs of a page hit: [the other matches of its cluster]},
        best first, each ``{id, title, source, date}``."""
        wanted = clusters[page_docs]
        members = np.flatnonzero(np.isin(clusters, wanted))
        out = {}
        by_cluster = {}
        for i in members[np.lexsort((docs[members], -keys[members]))].tolist():
            by_cluster.setdefault(int(clusters[i]), []).append(i)
        for i in page_docs.tolist():
            others = [j for j in by_cluster.get(int(clusters[i]), []) if j != i]
            out[i] = [_copy_entry(searcher.stored_fields(int(docs[j]))) for j in others[:limit]]
            if len(others) > limit:
                out[i].append({"more": len(others) - limit})
        return out

    def _filter_masks(self, view, filters):
        """{facet name or "date": boolean array over docnums} for the filters.

        Facet filters read the same per-generation arrays the counts do
        (the country and actor facets are columns only, not indexed).
        """
        masks = {
            name: view.facet(name).mask(values)
            for name, values in filters.facet_values().items()
        }
        if filters.date_from or filters.date_to:
            dates = view.snapshot.dates
            part = dates >= 0
            if filters.date_from:
                part &= dates >= datetime_to_long(filters.date_from)
            if filters.date_to:
                end = filters.date_to + timedelta(days=1) - timedelta(microseconds=1)
                part &= dates <= datetime_to_long(end)
            masks["date"] = part
        if filters.with_actors or filters.with_countries:
            masks.update(_explore().required_masks(view, filters))
        return masks

    def _count_facets(self, view, selection, matched, masks, limit):
        """Facet counts over the matches: a facet with a selection is counted
        with every filter but its own, the others with all of them (the
        search's ``selection``)."""
        def without(name):
            out = matched
            for other, mask in masks.items():
                if other != name:
                    out = out & mask
            return out

        counts = {}
        for name in FACET_FIELDS:
            found = view.facet(name).count(without(name), limit) if name in masks else selection.count(name, limit)
            counts[name] = [facet_entry(name, value, count, view.curation) for value, count in found]
        months = selection.count(TIMELINE)
        timeline = [{"month": m, "count": c} for m, c in sorted(months)]
        return counts, timeline

    def _highlight_terms(self, searcher, snapshot, q):
        """The index terms to mark: the query's words, the forms the ranker
        also finds for them and what its prefixes were searched as."""
        terms = highlight_terms(q)
        with snapshot.ranker.using(searcher) as ranker:
            # A phrase's words are matched as written.
            for term in positive_terms(q, S.TEXT, phrases=False):
                terms.update(ranker.clitic_forms(S.TEXT, term))
            for node in positive_patterns(q):
                terms.update(ranker.expansion(node).terms)
        return terms

    def _broad_prefixes(self, searcher, snapshot, q):
        notices = []
        with snapshot.ranker.using(searcher) as ranker:
            expansions = [(node, ranker.expansion(node)) for node in positive_patterns(q)]
        for node, expansion in expansions:
            if not expansion.complete:
                notices.append(Notice(
                    "broad_prefix",
                    f"{node.text}* matches more words than a search takes: searched the "
                    f"{MAX_PREFIX_TERMS} most widespread (a longer prefix is more precise)",
                    f"{node.text}*",
                ))
        return notices

    def _unknown_sources(self, view, filters):
        if not filters.sources:
            # Not even the source facet: a fresh process would join it
            # from every segment for nothing.
            return []
        known = set(view.facet("source").values)
        return [
            Notice("unknown_source", f"no article comes from source {value!r}", value)
            for value in filters.sources if value not in known
        ]

    def top_entities(self, limit=20):
        """{"actor": [...], "country": [...]}: the most frequent values over
        the whole index, as ``{value, label, count}`` (curation applied)."""
        with self.reading() as (_, snapshot):
            view = _View(snapshot, self.curation.current())
            return {
                name: [facet_entry(name, v, c, view.curation)
                       for v, c in view.facet(name).count(snapshot.live, limit)]
                for name in curation.FACETS
            }

    def entity_values(self, facet):
        """Every value of ``facet`` ("actor" or "country") in the index, as stored."""
        with self.reading() as (_, snapshot):
            return snapshot.facet(facet).values

    def suggest(self, text, limit=3):
        """Return up to ``limit`` respellings of ``text`` whose words are in
        the index (:func:`indexer.spelling.respellings`)."""
        from indexer.spelling import respellings  # only for a search that found nothing

        with self.reading() as (searcher, _):
            return respellings(text, lambda t: searcher.doc_frequency(S.TEXT, t), limit)

    def document(self, doc_id, text=None):
        """Return one stored document as a dict, or None.

        With ``text`` (a query), ``body_html`` and ``title_html`` carry the
        query's matches marked; a query that cannot be read is ignored.
        """
        with self.reading() as (searcher, snapshot):
            stored = searcher.document(**{S.ID: doc_id})
            if stored is None:
                return None
            terms = set()
            if text:
                try:
                    terms = self._highlight_terms(searcher, snapshot, self.parse(text))
                except QueryError:
                    terms = set()
            doc = document_dict(stored, terms, self.curation.current())
            doc["copies"] = self._document_copies(searcher, snapshot, doc_id)
            return doc

    def _document_copies(self, searcher, snapshot, doc_id):
        """The other live articles of a document's near-copy cluster."""
        docnum = searcher.document_number(**{S.ID: doc_id})
        if docnum is None:
            return []
        key = snapshot.arrays.clusters[docnum]
        if key == 0:
            return []
        others = np.flatnonzero((snapshot.arrays.clusters == key) & snapshot.live)
        others = others[others != docnum]
        order = others[np.argsort(-snapshot.dates[others], kind="stable")]
        return [_copy_entry(searcher.stored_fields(int(d))) for d in order[:MAX_COPIES].tolist()]

    # --- exploring by entity (indexer.explore) ----------------------------

    def entity(self, kind, value, latest=None, limit=None):
        """Return the :class:`indexer.explore.EntityPage` of an actor or a
        country (``kind`` "actor" or "country", ``value`` its facet value),
        with its ``latest`` articles as hits (``explore.LATEST`` by default)
        and ``limit`` companions and sources (``explore.COMPANION_LIMIT``),
        or None when no article names it."""
        explore = _explore()
        latest = explore.LATEST if latest is None else latest
        limit = explore.COMPANION_LIMIT if limit is None else limit
        start = time.perf_counter()
        curation = self.curation.current()
        # A value merged into another has the other's page; a hidden one none.
        value = curation.canonical(kind, value)
        if value is None:
            return None
        with self.reading() as (searcher, snapshot):
            view = _View(snapshot, curation)
            page = explore.entity_page(view, searcher, kind, value, latest=latest, limit=limit)
            if page is None:
                return None
            page.latest = [self._latest_hit(searcher, snapshot, d) for d in page.latest]
        page.took_ms = (time.perf_counter() - start) * 1000
        return page

    @staticmethod
    def _latest_hit(searcher, snapshot, docnum):
        stored = searcher.stored_fields(docnum)
        return make_hit(stored, set(), None, body=snapshot.snippet_text(docnum, stored))

    def actor(self, value, **options):
        """The page of the actor whose facet value is ``value`` (see :meth:`entity`)."""
        return self.entity("actor", value, **options)

    def country(self, code, **options):
        """The page of the country with ISO code ``code`` (see :meth:`entity`)."""
        return self.entity("country", (code or "").upper(), **options)

def _explore():
    """:mod:`indexer.explore`, imported when a search asks for what it
    counts: a plain search in a fresh process does without it."""
    from indexer import explore

    return explore


def _cluster_keys(snapshot, docs):
    """Each match's near-copy cluster (an article in none is its own)."""
    keys = snapshot.arrays.clusters[docs]
    alone = keys == 0
    if alone.any():
        keys = keys.copy()
        keys[alone] = -1 - docs[alone]
    return keys


def _ranked_stories(docs, keys, clusters, k):
    """Indexes into ``docs`` of the ``k`` best stories: each cluster's best
    match, in order of ``keys`` (largest first, ties by smaller docnum)."""
    fetch = k
    while True:
        best = top(docs, keys, fetch)
        _, first = np.unique(clusters[best], return_index=True)
        chosen = best[np.sort(first)]
        if len(chosen) >= k or len(best) == len(docs):
            return chosen[:k]
        fetch *= 4


def _copy_entry(stored):
    date = stored.get(S.DATE)
    return {"id": stored[S.ID], "title": stored.get(S.TITLE, ""), "source": stored.get(S.SOURCE, ""),
            "date": date.isoformat() if date else None}


def _distinct_count(values):
    """How many distinct values: np.unique without indexes imports numpy.ma
    (0.05-0.1 s) on first use, a cost every fresh CLI process would pay."""
    if not len(values):
        return 0
    ordered = np.sort(values)
    return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1


def _recency(dates, half_life):
    """2**(-age / half_life) per document, age in days before the newest of
    ``dates`` (Whoosh longs; -1, no date, counts as the oldest)."""
    if not len(dates):
        return np.ones(0)
    dated = dates >= 0
    if not dated.any():
        return np.ones(len(dates))
    newest = dates[dated].max()
    ages = (newest - np.where(dated, dates, dates[dated].min())) / _USECS_A_DAY
    return np.exp2(-ages / half_life)


class _View:
    """A snapshot's facets as the user's curation shows them."""

    def __init__(self, snapshot, curation):
        self.snapshot = snapshot
        self.curation = curation

    def facet(self, name):
        raw = self.snapshot.facet(name)
        if name not in curation.FACETS or not self.curation:
            return raw
        key = ("curated", name, self.curation.version)
        return self.snapshot.cached(key, lambda: raw.curated(self.curation, name))


def _named_actors(filters):
    """Actor filters given by any name the gazetteers know (``Hezbollah``,
    ``بوتين``) also find the canonical name the index holds (the value
    typed stays an alternative: it may be a facet value itself)."""
    if not filters.actors:
        return filters
    from analyzers.entities.gazetteer import resolve_actor

    values = [name for v in filters.actors for name in (v, resolve_actor(v)) if name]
    return replace(filters, actors=list(dict.fromkeys(values)))


def _curated_filters(filters, curation):
    """Filters on the values the curation shows (a link to a value merged
    since finds its new value's articles)."""
    if not curation or not (filters.actors or filters.countries
                            or filters.with_actors or filters.with_countries):
        return filters

    def canonical(facet, values):
        return list(dict.fromkeys(curation.canonical(facet, v) or v for v in values))

    return replace(filters, actors=canonical("actor", filters.actors),
                   countries=canonical("country", filters.countries),
                   with_actors=canonical("actor", filters.with_actors),
                   with_countries=canonical("country", filters.with_countries))


def _checked_filters(filters):
    """Return (filters, notices): a reversed date range is put the right way round."""
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        notice = Notice(
            "dates_swapped",
            f"the date range started ({filters.date_from:%Y-%m-%d}) after it ended "
            f"({filters.date_to:%Y-%m-%d}); searched from {filters.date_to:%Y-%m-%d} "
            f"to {filters.date_from:%Y-%m-%d}",
            f"{filters.date_from:%Y-%m-%d}/{filters.date_to:%Y-%m-%d}",
        )
        filters = replace(filters, date_from=filters.date_to, date_to=filters.date_from)
        return filters, [notice]
    return filters, []
