"""The JSON API: the service's results as ``archive query --json`` prints them.

``GET /api/search?q=&country=&actor=&source=&year=&from=&to=&sort=&page=&per_page=``
(facet parameters repeat for several values; no ``q`` but filters browses
them, newest first) and ``GET /api/documents/<id>``.  A search says what it
repaired in ``notices`` and offers respellings of a query that found
nothing in ``suggestions``.
Errors are JSON too: ``{"error": {"status": 400, "message": "..."}}`` for a
query or parameter the service cannot use, 404 for an unknown document.
"""

from flask import Blueprint, abort, current_app, jsonify, request

from search_web.service import get_service, get_suggester
from search_web.state import SearchState

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    # QueryError (bad parameter or unreadable query) propagates to the
    # app's handler, which answers 400 with the message.
    state = SearchState.from_args(request.args, per_page=current_app.config["PER_PAGE"])
    service = get_service()
    results = service.search(
        state.q, filters=state.filters(), sort=state.sort, page=state.page, per_page=state.per_page,
        collapse=state.collapse,
    )
    out = results.to_dict()
    # The same shape as 'archive query --json', which leaves title_html out.
    for hit in out["hits"]:
        hit.pop("title_html", None)
    out["suggestions"] = (
        get_suggester().suggest(service, state.q, generation=service.doc_count())
        if state.q and not results.total else []
    )
    return jsonify(out)


@bp.get("/documents/<path:doc_id>")
def document(doc_id):
    doc = get_service().document(doc_id, text=(request.args.get("q") or "").strip() or None)
    if doc is None:
        abort(404, description=f"no document with id {doc_id!r}")
    return jsonify(doc)
