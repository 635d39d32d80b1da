"""The SearchService the views use: one per process, shared by every request.

Mirrors flaskr's ``db.py`` (``get_db``/``close_db`` on ``g``), with one
difference on purpose: the service is opened once per app, not once per
request.  Opening reads the table of contents and unpickles the schema,
and the first search of a generation loads every facet column, date and
document length into numpy arrays (about a second on the full archive); a
per-request service would pay that on every page.  Sharing is safe: the
service opens the index read-only, lends each call a Whoosh searcher of
its own while it runs (Whoosh's readers share file objects; a shared
searcher read corrupt blocks under the load benchmark) and shares the
arrays, and it
refreshes itself when an indexer commits.  ``g`` only remembers which
service this request used, so ``close_service`` is the teardown hook
flaskr has; ``shutdown`` closes the service with the app.
"""

import threading

from flask import current_app, g

from indexer.search import SearchService

_EXTENSION = "archive_service"


def _state(app):
    return app.extensions[_EXTENSION]


def open_service(app):
    """Return the app's service, opening it if needed (outside a request too)."""
    state = _state(app)
    with state["lock"]:
        if state["service"] is None:
            state["service"] = SearchService(app.config["INDEX_DIR"], result_cache=app.config["RESULT_CACHE"])
        return state["service"]


def get_service():
    """Return the app's SearchService for this request.

    Raises IndexMissing / NotAnArchiveIndex (ArchiveError) when the index
    cannot be opened; the app turns those into a 503 without details.
    """
    if "service" not in g:
        g.service = open_service(current_app._get_current_object())
    return g.service


def close_service(e=None):
    # Shared: the request lets go of it, the app keeps it open.
    g.pop("service", None)


def get_suggester():
    """Return the app's :class:`~search_web.suggest.Suggester`."""
    return current_app.extensions[_EXTENSION]["suggester"]


def warm_in_background(app):
    """Open the service and build its arrays in a daemon thread.

    A server calls this as a worker starts, so the first visitors do not
    pay for loading the facet tables.
    A missing index is left for the first request to report.
    """
    def warm():
        try:
            open_service(app).warm()
        except Exception:  # the request that meets the problem reports it
            pass

    thread = threading.Thread(target=warm, name="warm-service", daemon=True)
    thread.start()
    return thread


def shutdown(app):
    """Close the app's service and the suggester's thread (tests, server exit)."""
    state = _state(app)
    state["suggester"].close()
    with state["lock"]:
        if state["service"] is not None:
            state["service"].close()
            state["service"] = None


def init_app(app):
    from search_web.suggest import Suggester

    app.extensions[_EXTENSION] = {
        "lock": threading.Lock(),
        "service": None,
        "suggester": Suggester(timeout=app.config["SUGGEST_TIMEOUT"]),
    }
    app.teardown_appcontext(close_service)
