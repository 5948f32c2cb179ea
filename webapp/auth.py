"""API keys on requests: ``Authorization: Bearer KEY`` checked against the keys file (``indexer.keys``).

* Writes (``POST``/``PUT``/``DELETE /api/articles``) need a ``write`` key: 401 without a valid key,
  403 with a ``read`` key (``webapp.articles`` calls :func:`require_key`).
* Reading is public unless ``TIMTIN_PUBLIC_SEARCH=0`` (or config ``PUBLIC_SEARCH = False``).  Then
  every route except ``/healthz``, ``/openapi.json`` and static files needs a ``read`` (or ``write``)
  key: the JSON API, feeds and exports, and the HTML pages too.  A browser cannot add the header
  itself, so a private deployment serves its readers through a reverse proxy that authenticates
  them and adds ``Authorization: Bearer`` with a read key to every request it forwards (the page's
  own calls to ``/suggest`` included); anyone else gets 401, as JSON on API routes and as the
  Vietnamese error page on pages.  Leaving the pages open would make the setting pointless: the
  search page shows the same results as ``/search``.

The keys file is re-read when it changes, so ``timtin keys revoke`` takes effect at the next request,
in every worker.  A damaged keys file refuses every key (and is logged), it never lets one through.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, current_app, g, request

from indexer.keys import ApiKey, KeyRing, keys_path

PUBLIC_ENV_VAR = "TIMTIN_PUBLIC_SEARCH"
EXEMPT_PATHS = ("/healthz", "/openapi.json", "/static/", "/favicon")
EXTENSION = "timtin_keys"


class AuthError(Exception):
    """401 (no or unknown key) or 403 (a key without the scope needed)."""

    def __init__(self, status: int, code: str, message: str, message_vi: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.message_vi = message_vi


def public_search_from_env() -> bool:
    return os.environ.get(PUBLIC_ENV_VAR, "1").strip().lower() not in ("0", "false", "no", "off")


def init_auth(app: Flask) -> None:
    """Attach the key ring of the app's index and, when search is private, the read check."""
    app.config.setdefault("PUBLIC_SEARCH", public_search_from_env())
    app.config.setdefault("KEYS_FILE", str(keys_path(app.config["INDEX_DIR"])))
    app.extensions[EXTENSION] = KeyRing(Path(app.config["KEYS_FILE"]))

    @app.before_request
    def _private_search() -> None:
        if current_app.config["PUBLIC_SEARCH"] or request.path.startswith(EXEMPT_PATHS):
            return
        require_key("read")


def _presented() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_key(scope: str) -> ApiKey:
    """The request's key when it has ``scope``; AuthError (401/403) otherwise.  Kept in ``g.api_key``."""
    found: ApiKey | None = getattr(g, "api_key", None)
    if found is None:
        token = _presented()
        if token is None:
            raise AuthError(401, "unauthorized", "An API key is required: send 'Authorization: Bearer KEY'.",
                            "Cần khoá truy cập (API key) để dùng chức năng này.")
        ring: KeyRing = current_app.extensions[EXTENSION]
        try:
            found = ring.check(token)
        except (OSError, ValueError) as exc:
            current_app.logger.error("keys file %s unreadable, every key refused: %s", ring.path, exc)
            found = None
        if found is None:
            raise AuthError(401, "unauthorized", "The API key is not valid (unknown or revoked).",
                            "Khoá truy cập không hợp lệ.")
        g.api_key = found
    if not found.allows(scope):
        raise AuthError(403, "forbidden", f"The key '{found.name}' may only {found.scope}; this needs a "
                        f"{scope} key.", "Khoá truy cập này không có quyền thực hiện thao tác này.")
    return found
