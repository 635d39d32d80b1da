"""The HTML pages: search, document, and downloads of the current results.

Each view reads the URL into a :class:`SearchState`, calls the service and
renders; presentation (facet links, chips, pages, the timeline) is built
here from the service's plain data.  A query the service cannot read is a
message on the page with a 400 status, never a 500.
"""

import ast
import csv
import io
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for

from indexer.errors import QueryError
from indexer.search import MAX_PER_PAGE
from indexer.sources import source_names

from search_web.arabic_numbers import count_phrase
from search_web.service import get_service, get_suggester
from search_web.state import FACET_PARAMS, SearchState
from search_web.timeline import timeline_bars

bp = Blueprint("web", __name__)

# Facets in sidebar order, with their Arabic headings.
FACET_TITLES = {"country": "الدول", "actor": "الفاعلون", "source": "المصادر", "year": "السنوات"}
# Chips add the values that must all hold (a pair's "named together").
CHIP_TITLES = {**FACET_TITLES, "with_actor": "معًا", "with_country": "معًا"}
PAGE_WINDOW = 2  # pages shown either side of the current one
FACET_SHOWN = 8  # values of a facet shown before "more"


def country_labels(code, entry=None):
    """Return (Arabic, English) labels for a country code.

    The service's facet entries carry ``label``/``label_en`` once entity
    facets land; until then ``label`` is the bare code, so fall back to the
    gazetteer's names.
    """
    if entry and entry.get("label_en") and entry.get("label") != code:
        return entry["label"], entry["label_en"]
    try:
        from analyzers.entities import country_label

        return country_label(code)
    except (ImportError, KeyError):
        return (entry or {}).get("label") or code, ""


def source_labels(value):
    """(Arabic, English) names of a source key, from the shipped and the index's tables."""
    # The tables are looked up (a stat of the user's file) once a request,
    # not once for each of the page's sources.
    if "source_names" not in g:
        g.source_names = source_names(current_app.config["INDEX_DIR"])
    return g.source_names.label(value)


def _label(param, value, entry=None):
    if param in ("country", "with_country"):
        return country_labels(value, entry)
    # Once the service names sources in its facet entries, its label wins.
    if entry and entry.get("label") and (entry.get("label_en") or entry["label"] != value):
        return entry["label"], entry.get("label_en", "")
    if param == "source":
        return source_labels(value)
    return value, ""


# The service and the URL parsing explain a problem in English; the page
# says it in Arabic first (the English stays underneath, smaller, folded).
# A query problem is told apart by the error's kind (or, given only the
# message, as the error page is, by a phrase of it)...
QUERY_PROBLEMS = [
    ("no_terms", "no word to search for", "لا كلمة يُبحث عنها: الكلمات الشائعة مثل «في» و«من» "
                                          "وحدها، أو الاستبعاد وحده (-كلمة)، لا تكفي للبحث."),
    ("too_long", "characters long", "البحث أطول من الحد المسموح به."),
    ("empty", "query is empty", "اكتب كلمة أو أكثر."),
    ("syntax", "cannot read the query", "تحقّق من علامات التنصيص والأقواس."),
]
# ...and a problem with a parameter by its message, whose particulars (the
# value, the bounds) go into the Arabic sentence.  A message that matches
# none of these (new wording in the service) still gets PARAM_PROBLEM.
_VALUE = r"(?P<value>'[^']*'|\"[^\"]*\")"
PARAM_FIELDS = {"from": "«من تاريخ»", "to": "«إلى تاريخ»", "page": "رقم الصفحة",
                "per_page": "عدد النتائج في الصفحة", "per page": "عدد النتائج في الصفحة"}
PARAM_PROBLEMS = [
    (rf"^(?P<field>from|to) {_VALUE} is not a date",
     "{field}: «{value}» ليس تاريخًا بالصيغة YYYY-MM-DD (سنة-شهر-يوم)، مثل 2015-07-21."),
    (rf"^(?P<field>page|per_page) {_VALUE} is not a whole number",
     "{field}: «{value}» ليس عددًا صحيحًا."),
    (r"^(?P<field>page|per_page|per page) must be between (?P<low>\d+) and (?P<high>\d+)",
     "{field} يجب أن يكون بين {low} و{high}."),
    (rf"^unknown country {_VALUE}",
     "لا دولة معروفة باسم «{value}»: اكتب اسمها أو رمزها، مثل العراق أو IQ."),
    (rf"^year {_VALUE} is not a year", "«{value}» ليست سنة من أربعة أرقام، مثل 2015."),
    (rf"^unknown sort {_VALUE}", "ترتيب غير معروف «{value}»: رتّب حسب الصلة أو الأحدث أولًا."),
    (r"^at most (?P<count>\d+) (?P<facet>\w+) values at once",
     "لا يُقبل أكثر من {count} من قيم «{facet}» معًا."),
]
PARAM_PROBLEM = "أحد عوامل التصفية أو خيارات الصفحة في الرابط غير صالح."


# What the service repaired or bounded, said on the page in Arabic; the
# value is the text concerned (see indexer.errors.Notice).
NOTICE_TEXTS = {
    "closed_quote": "أُغلقت علامة التنصيص المفتوحة، فبُحث عن «{value}» عبارةً كاملة.",
    "parenthesis": "القوسان غير متوازنين، فأُكملا.",
    "lone_operator": "تُجوهل «{value}»: تحتاج أداة البحث إلى كلمة على جانبيها.",
    "short_prefix": "تُرك «{value}»: يحتاج البحث بالبادئة إلى حرفين على الأقل بعد «ال» و«و» ونحوهما.",
    "broad_prefix": "«{value}» تطابق كلمات كثيرة، فبُحث عن أكثرها شيوعًا فقط؛ البادئة الأطول أدق.",
    "dates_swapped": "بداية نطاق التاريخ بعد نهايته، فقُلب النطاق.",
    "unknown_source": "لا مقالات من المصدر «{value}».",
    "page_past_end": "الصفحة {value} بعد آخر صفحة من النتائج، فعُرضت الأخيرة.",
}


def notice_items(notices):
    """The service's notices as [{code, text (Arabic), detail (English)}]."""
    return [
        {"code": n.code, "text": NOTICE_TEXTS.get(n.code, n.message).format(value=n.value),
         "detail": n.message}
        for n in notices
    ]


def _unquote(text):
    try:
        return ast.literal_eval(text)  # the messages quote values with repr()
    except (ValueError, SyntaxError):
        return text.strip("'\"")


def explain(error):
    """An Arabic sentence for a QueryError (or its message)."""
    kind = getattr(error, "kind", None)
    for problem_kind, _, arabic in QUERY_PROBLEMS:
        if kind == problem_kind:
            return arabic
    message = str(error)
    for pattern, arabic in PARAM_PROBLEMS:
        match = re.match(pattern, message)
        if match:
            parts = match.groupdict()
            if "value" in parts:
                parts["value"] = _unquote(parts["value"])
            if "field" in parts:
                parts["field"] = PARAM_FIELDS[parts["field"]]
            if "facet" in parts:
                parts["facet"] = FACET_TITLES.get(parts["facet"], parts["facet"])
            return arabic.format(**parts)
    for _, needle, arabic in QUERY_PROBLEMS:
        if needle in message:
            return arabic
    return PARAM_PROBLEM


bp.add_app_template_filter(explain, "explain")
# {{ total|count_phrase("result") }}: the number and the noun that agrees with it.
bp.add_app_template_filter(count_phrase, "count_phrase")
# {{ count|thousands }}: 1,234.  A filter is a plain call in the compiled
# template; "{:,}".format(count) was a method looked up and called through
# the context, for every count of a page.
bp.add_app_template_filter("{:,}".format, "thousands")
bp.add_app_template_global(source_labels, "source_labels")
bp.add_app_template_filter(lambda value: source_labels(value)[0], "source_name")


def search_url(state, **change):
    query = state.query_string(**change)
    return search_path() + ("?" + query if query else "")


def search_path():
    """The results page's path, url_for("web.search") once per request: a
    page has some hundred links to it, and url_for is a good part of each."""
    if "search_path" not in g:
        g.search_path = url_for("web.search")
    return g.search_path


# Path-segment characters url_for leaves as they are (werkzeug's
# BaseConverter.to_url, which the path converter uses).
_PATH_SAFE = "!$&'()*+,/:;=@"


@lru_cache(maxsize=4096)
def _document_path(doc_id):
    return "/documents/" + quote(str(doc_id), safe=_PATH_SAFE)


def document_href(doc_id):
    """url_for("web.document", doc_id=doc_id), written out: a results page
    links each hit and each of its copies, and url_for was most of a link's
    cost (the route is /documents/<path:doc_id>)."""
    return request.script_root + _document_path(doc_id)


bp.add_app_template_global(document_href, "document_href")


def run_search(service, state):
    """The results page's search: one service call, whose facet counts are
    already multi-select (each active facet counted without its own filter)."""
    results = service.search(
        state.q, filters=state.filters(), sort=state.sort, page=state.page, per_page=state.per_page,
        cooccurrence=True,
        collapse=state.collapse,
    )
    return results, results.facets


@dataclass(slots=True)
class FacetItem:
    """One value of a facet in the sidebar.  An object, not a dict: the
    template reads some four hundred of these attributes a page, and
    Jinja tries a dict's attribute before its key."""

    value: str
    label: str
    label_en: str
    count: int | None
    selected: bool
    href: str
    page: str | None


def facet_groups(state, facets):
    groups = []
    for param, title in FACET_TITLES.items():
        entries = facets.get(param) or []
        items = []
        seen = set()
        for entry in entries:
            value = entry["value"]
            seen.add(value)
            label, label_en = _label(param, value, entry)
            items.append(FacetItem(value, label, label_en, entry["count"], state.selected(param, value),
                                   search_url(state, toggle=(param, value)), entity_href(param, value)))
        # A selected value past the facet's top N still needs its checkbox.
        for value in getattr(state, FACET_PARAMS[param]):
            if value not in seen:
                label, label_en = _label(param, value)
                items.insert(0, FacetItem(value, label, label_en, None, True,
                                          search_url(state, toggle=(param, value)), entity_href(param, value)))
        if param == "year":
            items.sort(key=lambda item: item.value, reverse=True)
        # The first few show; the rest fold under "more" (a scrolling list
        # would cut its last row in half).  A ticked value among the rest
        # keeps the fold open, so every selection is in sight.
        shown, more = items[:FACET_SHOWN], items[FACET_SHOWN:]
        groups.append({"param": param, "title": title, "items": items, "shown": shown, "more": more,
                       "more_open": any(item.selected for item in more)})
    return groups


def chips(state):
    out = []
    for param, attr in FACET_PARAMS.items():
        for value in getattr(state, attr):
            label, label_en = _label(param, value)
            out.append({
                "param": param, "title": CHIP_TITLES[param], "label": label,
                "label_en": label_en, "href": search_url(state, remove=(param, value)),
                "page": entity_href(param, value),
            })
    if state.date_from or state.date_to:
        text = f"{state.date_from or '…'} – {state.date_to or '…'}"
        out.append({
            "param": "date", "title": "التاريخ", "label": text, "label_en": "",
            "href": search_url(state, date_from=None, date_to=None),
        })
    return out


def pagination(state, pages):
    if pages <= 1:
        return None
    pages = min(pages, 1000)
    shown = sorted({1, pages, *range(max(1, state.page - PAGE_WINDOW), min(pages, state.page + PAGE_WINDOW) + 1)})
    links = []
    previous = 0
    for number in shown:
        if number - previous > 1:
            links.append({"gap": True})
        links.append({
            "number": number, "current": number == state.page,
            "href": search_url(state, page=number),
        })
        previous = number
    return {
        "links": links,
        "prev": search_url(state, page=state.page - 1) if state.page > 1 else None,
        "next": search_url(state, page=state.page + 1) if state.page < pages else None,
    }


def timeline_view(state, timeline):
    shape = timeline_bars(timeline)
    if shape is None:
        return None
    # Only the query is a format string: the path may hold braces.
    path, query = search_path() + "?", state.month_query
    for bar in shape.bars:
        bar.href = path + query.format(bar.first_day.isoformat(), bar.last_day.isoformat())
    return shape


@bp.get("/")
def search():
    per_page = current_app.config["PER_PAGE"]
    try:
        state = SearchState.from_args(request.args, per_page=per_page)
    except QueryError as e:
        # Bad filters in a hand-edited URL: keep the words, drop the rest.
        state = SearchState(q=(request.args.get("q") or "").strip(), per_page=per_page,
                            default_per_page=per_page)
        return render_template("search.html", state=state, error=str(e), explanation=explain(e),
                               **_empty_page(state)), 400
    service = get_service()
    if not state.q and not state.has_filters():
        return render_template("search.html", state=state, home=True,
                               doc_count=service.doc_count(), **_empty_page(state))
    try:
        results, facets = run_search(service, state)
    except QueryError as e:
        return render_template("search.html", state=state, error=str(e), explanation=explain(e),
                               notices=notice_items(e.notices), **_empty_page(state)), 400
    suggestions = []
    if results.total == 0:
        suggestions = [
            {"text": s, "href": search_url(state, q=s)}
            for s in get_suggester().suggest(service, state.q, generation=service.doc_count())
        ]
    return render_template(
        "search.html",
        state=state,
        results=results,
        facets=facet_groups(state, facets),
        chips=chips(state),
        pagination=pagination(state, results.pages),
        timeline=timeline_view(state, results.timeline),
        suggestions=suggestions,
        pair_tables=pair_rows(state, results.cooccurrence),
        notices=notice_items(results.notices),
        collapse_link=search_url(state, collapse=not state.collapse),
        sort_links={s: search_url(state, sort=s) for s in ("relevance", "date", "recent")},
        state_args=state.query_string(page=1),
        export_limit=current_app.config["EXPORT_LIMIT"],
    )


def _empty_page(state):
    return {"chips": chips(state), "facets": [], "results": None}


def entity_query(names):
    """Any word of ``names``: a query that finds articles naming the actor.

    Words, not phrases: the text may attach a clitic the name lacks
    (لمركز التنسيق), which a phrase of the bare name misses.  The actor
    filter that goes with it keeps the results precise.
    """
    words = []
    for name in names:
        for word in re.findall(r"\w+", name):
            if word not in words and word not in ("AND", "OR", "NOT"):
                words.append(word)
    return " ".join(words)


@bp.get("/documents/<path:doc_id>")
def document(doc_id):
    per_page = current_app.config["PER_PAGE"]
    try:
        state = SearchState.from_args(request.args, per_page=per_page)
    except QueryError:
        state = SearchState(q=(request.args.get("q") or "").strip(), per_page=per_page,
                            default_per_page=per_page)
    doc = get_service().document(doc_id, text=state.q or None)
    if doc is None:
        abort(404)
    entities = doc.get("entities") or {}
    countries = []
    for c in entities.get("countries", []):
        label_ar, label_en = c.get("label_ar") or c["code"], c.get("label_en", "")
        # No query to keep: the country's name is no query (the article may
        # say أميركية, not الولايات المتحدة), so the link is the filter alone.
        countries.append({**c, "label_ar": label_ar, "label_en": label_en,
                          "href": search_url(SearchState(q=state.q, countries=[c["code"]])),
                          "page": entity_href("country", c["code"])})
    actors = []
    for a in entities.get("actors", []):
        # The service gives each actor the value its facet filters on.
        value = a["value"]
        # No query to keep: the words of the names the article used for the
        # actor (its aliases) find it; the filter keeps the other senses out.
        q = state.q or entity_query([a["name"], *a.get("aliases", [])])
        actors.append({**a, "href": search_url(SearchState(q=q, actors=[value])),
                       "page": entity_href("actor", value)})
    back = search_url(state) if state.q or state.has_filters() else None
    return render_template("document.html", doc=doc, state=state, countries=countries,
                           actors=actors, back=back)


# --- downloads -------------------------------------------------------------

EXPORT_FIELDS = ["rank", "id", "title", "date", "source", "author", "url", "score"]
# A spreadsheet runs a cell that starts like a formula; news titles can
# start with "-" or "+", so such cells get a leading apostrophe (OWASP's
# CSV-injection advice).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_hits(service, state, limit):
    """Return (results of page 1, [hit dicts]) for up to ``limit`` hits of ``state``."""
    hits = []
    first = None
    page = 1
    while len(hits) < limit:
        results = service.search(state.q, filters=state.filters(), sort=state.sort, page=page,
                                 per_page=MAX_PER_PAGE, facets=False, snippets=False, cache=False)
        first = first or results
        hits.extend(results.hits)
        if page >= results.pages:
            break
        page += 1
    return first, hits[:limit]


def _export_state():
    state = SearchState.from_args(request.args, per_page=current_app.config["PER_PAGE"])
    if not state.q:
        raise QueryError("the query is empty: type one or more words")
    return state


def _filename(ext):
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"archive-results-{stamp}.{ext}"


@bp.get("/export.json")
def export_json():
    state = _export_state()
    limit = current_app.config["EXPORT_LIMIT"]
    results, hits = export_hits(get_service(), state, limit)
    body = {
        "query": state.q,
        "filters": state.filter_dict(),
        "sort": state.sort,
        "total": results.total,
        "limit": limit,
        "exported": len(hits),
        "hits": [
            {"rank": i, **{k: v for k, v in asdict(h).items() if k not in ("snippet", "title_html")}}
            for i, h in enumerate(hits, 1)
        ],
    }
    return Response(
        json.dumps(body, ensure_ascii=False, indent=1),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{_filename("json")}"'},
    )


def _cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@bp.get("/export.csv")
def export_csv():
    state = _export_state()
    limit = current_app.config["EXPORT_LIMIT"]
    _, hits = export_hits(get_service(), state, limit)
    out = io.StringIO()
    # The BOM makes spreadsheet programs read the Arabic as UTF-8.
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(EXPORT_FIELDS)
    for rank, hit in enumerate(hits, 1):
        row = {"rank": rank, **asdict(hit)}
        writer.writerow([_cell(row[f]) for f in EXPORT_FIELDS])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_filename("csv")}"'},
    )


# The entity pages register on this blueprint; they use the helpers above.
from search_web.explore import entity_href, pair_rows  # noqa: E402
