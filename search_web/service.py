"""One SearchService per app, shared by every request and thread.

Mirrors flaskr's ``db.py`` (``get_db``/``close_db`` on ``g``), with one
difference on purpose: the service is opened once per app, not once per
request.  Opening reads the table of contents and unpickles the schema,
and the first search of a generation loads every facet column into numpy
arrays (tens of milliseconds on the full archive); a per-request service
would pay that on every page.  Sharing is safe: the service opens the index
read-only, its Whoosh searcher is read-only, and it refreshes itself (under
its own lock) when an indexer commits.  ``g`` only remembers which service
this request used, so ``close_service`` is the teardown hook flaskr has.
"""

import threading

from flask import current_app, g

from indexer.search import SearchService

_EXTENSION = "archive_service"


def get_service():
    """Return the app's SearchService, opening it on first use.

    Raises IndexMissing / NotAnArchiveIndex (ArchiveError) when the index
    cannot be opened; the app turns those into a 503 without details.
    """
    if "service" not in g:
        app = current_app._get_current_object()
        state = app.extensions[_EXTENSION]
        with state["lock"]:
            if state["service"] is None:
                state["service"] = SearchService(app.config["INDEX_DIR"])
        g.service = state["service"]
    return g.service


def close_service(e=None):
    # Shared: the request lets go of it, the app keeps it open.
    g.pop("service", None)


def shutdown(app):
    """Close the app's service (tests and server shutdown)."""
    state = app.extensions.get(_EXTENSION)
    if state and state["service"] is not None:
        with state["lock"]:
            state["service"].close()
            state["service"] = None


def get_suggester():
    """Return the app's :class:`~search_web.suggest.Suggester` (one per process)."""
    return current_app.extensions[_EXTENSION]["suggester"]


def init_app(app):
    from search_web.suggest import Suggester

    app.extensions[_EXTENSION] = {
        "lock": threading.Lock(),
        "service": None,
        "suggester": Suggester(timeout=app.config["SUGGEST_TIMEOUT"]),
    }
    app.teardown_appcontext(close_service)
