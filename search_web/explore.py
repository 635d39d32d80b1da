"""Exploring by entity: the actor and country pages and the pairs under a search.

``/entities`` lists the most frequent actors and countries of the whole
index (the curated counts ``archive entities --top N`` prints), each
linking to its page.  ``/actor/<id>`` (the id is the actor's facet value, URL-encoded) and
``/country/<code>`` render the service's :class:`indexer.explore.EntityPage`:
names, article count, timeline, the actors and countries named with it,
its sources and latest articles.  A companion's name links to the
articles naming both (``with_actor``/``with_country``: values that must
all hold), its icon to its own page.  Under a search the pairs named
together most often link the same way, on top of the search.  Their JSON
twins are in :mod:`search_web.api`.  Only presentation is built here; the
counting is the service's.
"""

from functools import lru_cache
from urllib.parse import quote

from flask import abort, redirect, render_template, request, url_for

from indexer.errors import QueryError
from search_web.service import get_service
from search_web.state import FACET_PARAMS, SearchState, encode_pairs
from search_web.views import bp, search_path, search_url, timeline_view

# Arabic for an actor's kind, as the recogniser names it.
ACTOR_KINDS = {"person": "شخص", "organization": "منظمة"}
# Which filter parameter holds an entity of each kind, on its own and in a pair.
FILTER_PARAM = {"actor": "actor", "country": "country"}
PAIR_PARAM = {"actor": "with_actor", "country": "with_country"}


# Page addresses by filter parameter.  Written out rather than by url_for:
# a results page links some forty entities, and url_for is most of the
# cost of a link (the routes are /actor/<path:actor_id>, /country/<code>).
PAGE_PATHS = {"actor": "/actor/", "with_actor": "/actor/", "country": "/country/", "with_country": "/country/"}


@lru_cache(maxsize=4096)
def _page_id(value):
    return quote(value, safe="")


def entity_href(kind, value):
    """The URL of an entity's page, or None for a facet without pages."""
    path = PAGE_PATHS.get(kind)
    return f"{request.script_root}{path}{_page_id(value)}" if path else None


def both_href(state, *entities, base=None):
    """``state`` narrowed to the articles naming every (kind, value) of
    ``entities`` (``base``: the state's query string at page 1, if known)."""
    if base is None:
        base = state.query_string(page=1)
    extra = [(PAIR_PARAM[kind], value) for kind, value in entities
             if value not in getattr(state, FACET_PARAMS[PAIR_PARAM[kind]])]
    query = "&".join(part for part in (base, encode_pairs(extra)) if part)
    return search_path() + ("?" + query if query else "")


def _bar(count, most):
    """A bar's length in percent of the longest (at least a sliver)."""
    return max(1.5, round(100 * count / most, 1)) if most else 0


def pair_rows(state, cooccurrence):
    """The search's pairs as two tables: [{title, rows: [{a, b, count, bar, href}]}]."""
    if not cooccurrence:
        return []
    base = state.query_string(page=1)
    tables = []
    for key, title, b_kind in (("actors", "فاعلان يُذكران معًا", "actor"),
                               ("actor_country", "فاعل ودولة يُذكران معًا", "country")):
        found = cooccurrence.get(key) or []
        if not found:
            continue
        most = max(p["count"] for p in found)
        rows = []
        for pair in found:
            a, b = pair["a"], pair["b"]
            rows.append({
                "a": a, "b": b, "b_kind": b_kind, "count": pair["count"], "bar": _bar(pair["count"], most),
                "href": both_href(state, ("actor", a["value"]), (b_kind, b["value"]), base=base),
            })
        tables.append({"key": key, "title": title, "rows": rows})
    return tables


def _companions(page, kind, entries):
    """Rows of a companion table: each entry with its page and the articles naming both."""
    most = max((e["count"] for e in entries), default=0)
    base = SearchState()
    return [
        {**e, "page": entity_href(kind, e["value"]), "bar": _bar(e["count"], most),
         "href": both_href(base, (page.kind, page.value), (kind, e["value"]))}
        for e in entries
    ]


def render_entity(page):
    """The HTML of an entity page."""
    own = SearchState(**{FACET_PARAMS[FILTER_PARAM[page.kind]]: [page.value]})
    most = max((e["count"] for e in page.sources), default=0)
    sources = [
        {**e, "href": search_url(own.changed(add=("source", e["value"]))), "bar": _bar(e["count"], most)}
        for e in page.sources
    ]
    return render_template(
        "entity.html",
        page=page,
        actor_kind=ACTOR_KINDS.get(page.actor_kind, ""),
        all_href=search_url(own),
        timeline=timeline_view(own, page.timeline),
        actors=_companions(page, "actor", page.actors),
        countries=_companions(page, "country", page.countries),
        sources=sources,
    )


@bp.get("/actor/<path:actor_id>")
def actor(actor_id):
    page = get_service().actor(actor_id)
    if page is None:
        abort(404)
    return render_entity(page)


@bp.get("/country/<code>")
def country(code):
    from analyzers.entities import resolve_country

    canonical = resolve_country(code)
    if canonical is None:
        abort(404)
    if canonical != code:
        # /country/iq, /country/Iraq, /country/العراق: one address per country.
        return redirect(url_for("web.country", code=canonical), 301)
    page = get_service().country(canonical)
    if page is None:
        abort(404)
    return render_entity(page)


# How many of each kind /entities lists by default, and at most.
TOP_DEFAULT = 50
TOP_MAX = 1000


def top_param():
    """The ``top`` parameter of /entities; QueryError (a 400 naming the
    value) for one that is not a whole number from 1 to TOP_MAX."""
    raw = request.args.get("top", "").strip()
    if not raw:
        return TOP_DEFAULT
    if not raw.isdigit() or not 1 <= int(raw) <= TOP_MAX:
        raise QueryError(f"top must be a whole number from 1 to {TOP_MAX}, not {raw!r}")
    return int(raw)


def _top_rows(kind, entries):
    most = max((e["count"] for e in entries), default=0)
    return [
        {**e, "page": entity_href(kind, e["value"]), "bar": _bar(e["count"], most),
         "href": search_url(SearchState(**{FACET_PARAMS[FILTER_PARAM[kind]]: [e["value"]]}))}
        for e in entries
    ]


@bp.get("/entities")
def entities():
    top = top_param()
    found = get_service().top_entities(top)
    return render_template("entities.html", top=top, actors=_top_rows("actor", found["actor"]),
                           countries=_top_rows("country", found["country"]))
