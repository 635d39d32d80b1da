"""The SearchService the views use: opened once, reused by every request.

Mirrors flaskr's ``db.py`` (``get_db``/``close_db`` on ``g``), with one
difference on purpose: a service is not opened per request.  Opening reads
the table of contents and unpickles the schema, and the first search of a
generation loads every facet column, date and document length into numpy
arrays (about a second on the full archive); a per-request service would
pay that on every page.  So a service is opened once per server thread (or
once per process with SHARE_SERVICE, see :func:`get_service`) and reused;
it opens the index read-only and refreshes itself when an indexer commits.
``g`` only remembers which service this request used, so ``close_service``
is the teardown hook flaskr has, and ``shutdown`` closes them all.
"""

import threading

from flask import current_app, g

from indexer.search import SearchService

_EXTENSION = "archive_service"


def _open(app):
    return SearchService(app.config["INDEX_DIR"])


def get_service():
    """Return this thread's SearchService, opening it on first use.

    One service per server thread, kept for the thread's life (waitress's
    threads live as long as the process).  The service is meant to be
    thread-safe, but under concurrent requests on the full index a shared
    one returned corrupt reads (UnpicklingError from stored fields,
    mismatched posting arrays in the ranker): Whoosh reads segment files
    through shared file objects.  A lock around a shared service fixed that
    but halved throughput (the service releases the GIL in numpy and file
    reads, so threads do overlap); a service per thread keeps the overlap
    at the price of each thread's own facet tables (a few MB) and a slower
    first request per thread.  SHARE_SERVICE=True goes back to one service
    per process once it is safe to share.

    Raises IndexMissing / NotAnArchiveIndex (ArchiveError) when the index
    cannot be opened; the app turns those into a 503 without details.
    """
    if "service" not in g:
        app = current_app._get_current_object()
        state = app.extensions[_EXTENSION]
        if app.config["SHARE_SERVICE"]:
            with state["lock"]:
                if state["service"] is None:
                    state["service"] = _open(app)
                service = state["service"]
        else:
            service = getattr(state["local"], "service", None)
            if service is None:
                service = state["local"].service = _open(app)
                with state["lock"]:
                    state["opened"].append(service)
        g.service = service
    return g.service


def close_service(e=None):
    # Shared: the request lets go of it, the app keeps it open.
    g.pop("service", None)


def get_suggester():
    """Return the app's :class:`~search_web.suggest.Suggester` (one per process)."""
    return current_app.extensions[_EXTENSION]["suggester"]


def shutdown(app):
    """Close the app's services (tests and server shutdown)."""
    state = app.extensions.get(_EXTENSION)
    if not state:
        return
    with state["lock"]:
        for service in [state["service"], *state["opened"]]:
            if service is not None:
                service.close()
        state["service"] = None
        state["opened"] = []
        state["local"] = threading.local()
    state["suggester"].close()


def init_app(app):
    from search_web.suggest import Suggester

    app.extensions[_EXTENSION] = {
        "lock": threading.Lock(),
        "service": None,  # shared (SHARE_SERVICE)
        "local": threading.local(),  # .service: this thread's
        "opened": [],  # every per-thread service, to close them
        "suggester": Suggester(app.config["INDEX_DIR"], timeout=app.config["SUGGEST_TIMEOUT"]),
    }
    app.teardown_appcontext(close_service)
