"""Every state of a search, read from and written back to the URL.

A search page is bookmarkable because nothing lives anywhere else: the
query, the facet values (several per facet), the date range, the sort and
the page are all query-string parameters, and every link on the page
(facet, chip, sort, page, timeline bar) is this state with one change.

    >>> s = SearchState.from_args({"q": "النفط", "country": "Iraq", "page": "2"})
    >>> s.countries, s.page
    (['IQ'], 2)
    >>> s.query_string(page=1, add=("year", "2015"))
    'q=%D8%A7%D9%84%D9%86%D9%81%D8%B7&country=IQ&year=2015'
"""

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property, lru_cache
from urllib.parse import quote_plus

from indexer.errors import QueryError
from indexer.search import MAX_PAGE, MAX_PER_PAGE, SORTS, Filters

# URL parameter → SearchState attribute, for the multi-valued facets; the
# order is the order of chips on the page.
FACET_PARAMS = {"country": "countries", "actor": "actors", "source": "sources", "year": "years",
                # Values that must all hold, not alternatives: a co-occurrence
                # pair links to the articles naming both.
                "with_actor": "with_actors", "with_country": "with_countries"}
# The order of SearchState.pairs(), page last.
PARAM_ORDER = ("q", *FACET_PARAMS, "from", "to", "sort", "collapse", "per_page", "page")
# Changes whose query string is made from the state's encoded pairs.
EDITS = ("add", "remove", "toggle")
YEAR = re.compile(r"\d{4}")
MAX_VALUES = 50  # per facet: more is no longer a narrowing, just a slow query

# A results page links its own state a hundred times with one change each,
# and percent-encoding the Arabic query byte by byte was most of a link's
# cost: each parameter name and value is encoded once.
_quote = lru_cache(maxsize=4096)(quote_plus)


def encode_pairs(pairs):
    """``urlencode(pairs)`` for pairs of strings, each encoded once a process."""
    return "&".join(_quote(name) + "=" + _quote(value) for name, value in pairs)


def _getlist(args, key):
    if hasattr(args, "getlist"):
        values = args.getlist(key)
    else:
        value = args.get(key)
        values = value if isinstance(value, list) else [] if value is None else [value]
    # Empty values come from blank form fields: ignore them, don't fail.
    return [v.strip() for v in values if v and v.strip()]


def _parse_date(value, name):
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise QueryError(f"{name} {value!r} is not a date like 2015-07-21") from None


def _parse_int(value, name, low, high, default):
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise QueryError(f"{name} {value!r} is not a whole number") from None
    if not low <= number <= high:
        raise QueryError(f"{name} must be between {low} and {high}")
    return number


def _resolve_countries(values):
    from analyzers.entities import resolve_country

    codes = []
    for value in values:
        code = resolve_country(value)
        if code is None:
            raise QueryError(f"unknown country {value!r}: use an ISO code or a country name")
        if code not in codes:
            codes.append(code)
    return codes


@dataclass(frozen=True)
class SearchState:
    q: str = ""
    countries: list = field(default_factory=list)
    actors: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    years: list = field(default_factory=list)
    with_actors: list = field(default_factory=list)
    with_countries: list = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    # Near-copies of a story shown once (collapse=0 in the URL: every copy).
    collapse: bool = True
    page: int = 1
    per_page: int = 10
    default_per_page: int = 10

    @classmethod
    def from_args(cls, args, per_page=10):
        """Read the state from request args; raise QueryError for bad values."""
        values = {}
        for param, attr in FACET_PARAMS.items():
            got = list(dict.fromkeys(_getlist(args, param)))
            if len(got) > MAX_VALUES:
                raise QueryError(f"at most {MAX_VALUES} {param} values at once")
            values[attr] = got
        values["countries"] = _resolve_countries(values["countries"])
        values["with_countries"] = _resolve_countries(values["with_countries"])
        for year in values["years"]:
            if not YEAR.fullmatch(year):
                raise QueryError(f"year {year!r} is not a year like 2015")
        date_from = _parse_date(args.get("from"), "from")
        date_to = _parse_date(args.get("to"), "to")
        # A reversed range is the service's to repair (with a notice).
        sort = args.get("sort") or "relevance"
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        return cls(
            q=(args.get("q") or "").strip(),
            date_from=date_from,
            date_to=date_to,
            sort=sort,
            collapse=(args.get("collapse") or "1").strip().lower() not in ("0", "false", "no", "off"),
            page=_parse_int(args.get("page"), "page", 1, MAX_PAGE, 1),
            per_page=_parse_int(args.get("per_page"), "per_page", 1, MAX_PER_PAGE, per_page),
            default_per_page=per_page,
            **values,
        )

    def filters(self, without=None):
        """The service's Filters; ``without`` drops one facet (for its own counts)."""
        def keep(param):
            return [] if param == without else list(getattr(self, FACET_PARAMS[param]))

        return Filters(
            sources=keep("source"),
            countries=keep("country"),
            actors=keep("actor"),
            years=keep("year"),
            with_actors=keep("with_actor"),
            with_countries=keep("with_country"),
            date_from=datetime.combine(self.date_from, datetime.min.time()) if self.date_from else None,
            date_to=datetime.combine(self.date_to, datetime.min.time()) if self.date_to else None,
        )

    def has_filters(self):
        return not self.filters().is_empty()

    def filter_dict(self):
        """The filters as {param: [values]} / {"from"/"to": date}, empty ones left out."""
        out = {p: list(getattr(self, a)) for p, a in FACET_PARAMS.items() if getattr(self, a)}
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        return out

    def selected(self, param, value):
        return value in getattr(self, FACET_PARAMS[param])

    def pairs(self):
        """The state as (param, value) pairs, defaults left out."""
        out = [("q", self.q)] if self.q else []
        for param, attr in FACET_PARAMS.items():
            out.extend((param, v) for v in getattr(self, attr))
        if self.date_from:
            out.append(("from", self.date_from.isoformat()))
        if self.date_to:
            out.append(("to", self.date_to.isoformat()))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if not self.collapse:
            out.append(("collapse", "0"))
        if self.per_page != self.default_per_page:
            out.append(("per_page", str(self.per_page)))
        if self.page != 1:
            out.append(("page", str(self.page)))
        return out

    def changed(self, add=None, remove=None, toggle=None, page=None, **changes):
        """Return a new state: one facet value added/removed/toggled, or fields replaced.

        Anything that changes the result set sends the user back to page 1.
        """
        edit = toggle or add or remove
        if edit:
            param, value = edit
            attr = FACET_PARAMS[param]
            current = list(getattr(self, attr))
            if value in current and (toggle or remove):
                current.remove(value)
            elif value not in current and (toggle or add):
                current.append(value)
            changes = {attr: current, **changes}
        if page is not None:
            changes["page"] = page
        elif changes:
            changes["page"] = 1
        # One copy of the state, not one per kind of change.
        return replace(self, **changes) if changes else self

    def query_string(self, **change):
        """The URL query of this state with ``change`` (see :meth:`changed`):
        ``urlencode(state.pairs())``, each name and value encoded once a
        process.

        A results page links its state with one facet value toggled (or a
        page number) some hundred times: those queries are put together
        from this state's encoded pairs, without a changed state.
        """
        if change.keys() == {"date_from", "date_to"} and all(change.values()):
            return self.month_query.format(change["date_from"].isoformat(), change["date_to"].isoformat())
        if len(change) == 1:
            ((kind, arg),) = change.items()
            if kind in EDITS and arg:
                return self._edited(kind, *arg)
            if kind == "page" and arg is not None:
                return self._joined({"page": [_quote("page") + "=" + _quote(str(arg))] if arg != 1 else []})
        state = self.changed(**change) if change else self
        return encode_pairs(state.pairs())

    @cached_property
    def month_query(self):
        """:meth:`query_string` with a date range, as a ``str.format``
        template of the two ISO dates: a timeline's bars (a page of twenty
        years has 240) differ only in them.  The encoded pairs hold no
        braces (quote_plus escapes them)."""
        return self._joined({"from": [_quote("from") + "={0}"], "to": [_quote("to") + "={1}"], "page": []})

    @cached_property
    def _encoded(self):
        """{parameter: its encoded "name=value" pairs} of this state."""
        out = {}
        for name, value in self.pairs():
            out.setdefault(name, []).append(_quote(name) + "=" + _quote(value))
        return out

    def _joined(self, replaced):
        """The encoded pairs with ``replaced`` ({parameter: pairs}) instead of
        their own, in the order of :meth:`pairs`."""
        encoded = self._encoded
        return "&".join(pair for name in PARAM_ORDER for pair in replaced.get(name, encoded.get(name, ())))

    def _edited(self, kind, param, value):
        """query_string(**{kind: (param, value)}) for an edit (see :meth:`changed`):
        back to page 1, the value added, removed or toggled."""
        values = getattr(self, FACET_PARAMS[param])
        pairs = self._encoded.get(param, [])
        if value in values and kind != "add":
            at = values.index(value)  # list.remove's: the first
            pairs = pairs[:at] + pairs[at + 1:]
        elif value not in values and kind != "remove":
            pairs = pairs + [_quote(param) + "=" + _quote(value)]
        return self._joined({param: pairs, "page": []})
