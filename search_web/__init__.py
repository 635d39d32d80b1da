"""The archive in the browser: a thin Flask app over the search service.

``create_app`` reads the index path from config (``INDEX_DIR``), registers
the search pages and the JSON API, and translates the service's domain
errors at the edge: a query the parser cannot read is a message on the
page (or a JSON 400), never a 500; nothing that fails shows a stack trace.

    >>> app = create_app({"INDEX_DIR": "/nonexistent", "TESTING": True})
    >>> app.test_client().get("/api/search?q=x").status_code
    503
"""

import logging
import os

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.errors import ArchiveError, QueryError
from indexer.resultcache import RESULT_CACHE

from search_web import service

log = logging.getLogger(__name__)

# No inline script or style anywhere: the pages load one local stylesheet
# and draw the timeline as SVG markup, so the policy can forbid everything
# else (a document titled <script>… could not run even if escaping failed).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])


def create_app(test_config=None):
    """Return the Flask app; ``test_config`` overrides the defaults."""
    app = Flask(__name__)
    app.config.from_mapping(
        INDEX_DIR=os.environ.get("ARCHIVE_INDEX", "index_data"),
        # Rows in a CSV/JSON download of the current results (100 a page
        # is the service's maximum, so this is at most 10 service calls).
        EXPORT_LIMIT=1000,
        PER_PAGE=10,
        # Seconds a results page waits for spelling suggestions (see
        # search_web.suggest); slower ones show up on the next visit.
        SUGGEST_TIMEOUT=1.0,
        # Searches whose results each process keeps for repeated requests
        # (indexer.resultcache; 0 keeps none).
        RESULT_CACHE=RESULT_CACHE,
        JSON_AS_ASCII=False,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False

    service.init_app(app)

    from search_web import api, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    _register_error_handlers(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app


def _wants_json():
    return request.path.startswith("/api/")


def _error(status, message, detail=None):
    if _wants_json():
        return jsonify({"error": {"status": status, "message": message}}), status
    return render_template("error.html", status=status, message=message, detail=detail), status


# Arabic texts for the HTTP errors the pages can meet; the API answers in
# English, as the service's messages are.
PAGE_MESSAGES = {
    400: "الطلب غير صالح.",
    404: "الصفحة غير موجودة.",
    405: "هذه الطريقة غير مسموحة هنا.",
    503: "الأرشيف غير متاح الآن.",
    500: "حدث خطأ غير متوقع في الخادم.",
}


def _register_error_handlers(app):
    @app.errorhandler(HTTPException)
    def http_error(e):
        message = e.description if _wants_json() else PAGE_MESSAGES.get(e.code, e.name)
        return _error(e.code, message)

    @app.errorhandler(QueryError)
    def query_error(e):
        # Raised by the service (or the argument parsing) for what the user
        # typed: the message is meant for them.
        return _error(400, str(e) if _wants_json() else PAGE_MESSAGES[400], detail=str(e))

    @app.errorhandler(ArchiveError)
    def archive_error(e):
        # The index is missing or not ours: an operator problem.  The path
        # goes to the log, not to the client.
        log.error("archive unavailable: %s", e)
        if _wants_json():
            return _error(503, "the archive index is not available")
        return _error(503, PAGE_MESSAGES[503])

    @app.errorhandler(Exception)
    def unexpected(e):
        if isinstance(e, HTTPException):
            return http_error(e)
        log.exception("unhandled error on %s", request.path)
        if _wants_json():
            return _error(500, "internal error")
        return _error(500, PAGE_MESSAGES[500])
