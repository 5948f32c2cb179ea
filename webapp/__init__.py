"""The timtin web front end: a Flask application factory.

``create_app(index_dir)`` serves the search page (``/``), article pages, the JSON
API (``/search``, ``/suggest``, ``/healthz``, ``/openapi.json``, and ``/api/articles``: reading
one article, and writing with an API key, see ``webapp.articles`` and ``webapp.auth``), exports
(``/search.csv``, ``/search.jsonl``) and the Atom feed (``/feed.atom``).  Run it with ``timtin
serve`` (gunicorn, see ``webapp.server``) or ``flask --app webapp run`` for development.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from indexer.config import default_index_dir
from webapp.auth import AuthError, init_auth
from webapp.core import IndexUnavailable
from webapp.ratelimit import init_rate_limit
from webapp.validation import ParamError

JSON_PREFIXES = ("/search", "/suggest", "/healthz", "/openapi.json", "/api/", "/feed.atom")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(index_dir: str | None = None) -> Flask:
    """A Flask app searching the index in ``index_dir`` (default: $TIMTIN_INDEX or var/index)."""
    app = Flask(__name__)
    app.url_map.merge_slashes = False  # article ids may hold "//": no redirect that would change them
    app.config.update(
        INDEX_DIR=index_dir or default_index_dir(),
        MAX_CONTENT_LENGTH=64 * 1024,  # bodies are for POST/PUT /api/articles only (webapp.articles raises it)
        MAX_FORM_MEMORY_SIZE=64 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from webapp.api import api
    from webapp.articles import articles
    from webapp.assist import init_assist
    from webapp.exports import exports
    from webapp.views import views

    app.register_blueprint(api)
    app.register_blueprint(articles)
    app.register_blueprint(views)
    app.register_blueprint(exports)
    _register_errors(app)
    init_rate_limit(app)  # off unless $TIMTIN_RATE_LIMIT (or config RATE_LIMIT) is set
    init_auth(app)  # API keys; reading needs one only when $TIMTIN_PUBLIC_SEARCH=0
    init_assist(app)  # warms the diacritic model and the suggester in the background

    @app.after_request
    def _headers(resp: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(name, value)
        return resp

    return app


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES)


def error_response(status: int, code: str, message: str, message_vi: str) -> tuple[Response | str, int]:
    """A JSON error for API routes, a friendly Vietnamese HTML page otherwise."""
    if wants_json():
        return jsonify(error={"code": code, "message": message}), status
    return render_template("error.html", status=status, message=message_vi), status


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large",
               414: "uri_too_long", 415: "unsupported_media_type", 431: "headers_too_large"}
_HTTP_VI = {
    400: "Yêu cầu không hợp lệ.",
    404: "Không tìm thấy trang bạn yêu cầu. Có thể đường dẫn đã sai hoặc bài viết không còn nữa.",
    405: "Phương thức này không được hỗ trợ ở địa chỉ này.",
    413: "Yêu cầu quá lớn.",
}


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ParamError)
    def _param(e: ParamError):
        return error_response(400, e.code, e.message, e.message_vi)

    @app.errorhandler(AuthError)
    def _auth(e: AuthError):
        if request.method not in ("GET", "HEAD", "OPTIONS"):  # refused writes are worth knowing about
            logging.getLogger("timtin.writes").warning("%s %s refused (%d %s) for %s", request.method,
                                                       request.path[:200], e.status, e.code, request.remote_addr)
        resp, status = error_response(e.status, e.code, e.message, e.message_vi)
        challenge = 'Bearer realm="timtin"' + (', error="insufficient_scope"' if e.status == 403 else "")
        return resp, status, {"WWW-Authenticate": challenge, "Cache-Control": "no-store"}

    @app.errorhandler(IndexUnavailable)
    def _unavailable(e: IndexUnavailable):
        resp, status = error_response(
            503, "index_unavailable", "The search index is not available; try again later.",
            "Kho dữ liệu tìm kiếm tạm thời không sẵn sàng. Vui lòng thử lại sau.")
        return resp, status, {"Retry-After": "30"}

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        status = e.code or 500
        if status >= 500:
            return _internal(e)
        code = _HTTP_CODES.get(status, (e.name or "error").lower().replace(" ", "_"))
        resp, status = error_response(status, code, e.description or e.name,
                                      _HTTP_VI.get(status, "Yêu cầu không thực hiện được."))
        allowed = getattr(e, "valid_methods", None)
        headers = {"Allow": ", ".join(allowed)} if allowed else {}
        return resp, status, headers

    @app.errorhandler(Exception)
    def _internal(e: Exception):
        if not isinstance(e, InternalServerError):
            app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side; please try again.",
                              "Đã có lỗi xảy ra phía máy chủ. Vui lòng thử lại sau ít phút.")
