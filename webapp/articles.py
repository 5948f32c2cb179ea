"""The articles API: read one article, and publish, replace and delete articles with a write key.

* ``GET /api/articles/{id}``: the article as JSON (its stored fields, region tags, related ids).
* ``POST /api/articles``: one JSON article, a JSON array (or ``{"articles": [...]}``), or NDJSON
  (``Content-Type: application/x-ndjson``), up to ``MAX_WRITE_BODY`` bytes.  The body is read by
  ``indexer.ingest.sources.read_body``, the very reader of ``.json``/``.jsonl`` files: the same
  validation, duplicate-id rule, legacy-encoding handling and reasons.  Good records are indexed even
  when others fail; the answer counts them and lists each refused record, even a lone one, as
  ``{"line", "item"?, "reason"}``.  A body that cannot be read as articles at all (empty,
  undecodable, not JSON, not an object or array, a syntax error before any article) is a 400.
* ``PUT /api/articles/{id}``: one article object, which replaces the article with that id (or adds
  it).  The body's ``id`` may be left out (the path's is used); when given it must be the same.
* ``DELETE /api/articles/{id}``: ``{"deleted": 1}``, or 404.

Writes take the index's write lock exactly as ``timtin index`` does (``indexer.store.index``; for a
sharded index the shards of the ids, ``indexer.shard.dispatch``), waiting at most
``WRITE_LOCK_TIMEOUT`` seconds (``$TIMTIN_WRITE_LOCK_TIMEOUT``, default 5): a busy index answers 503
with ``Retry-After`` rather than holding a worker thread.  The response is sent after the commit,
and every request opens the newest commit (``indexer.store.engine``), so a written article is
searchable when the answer arrives, in every worker.  Each write is logged on ``timtin.writes``
with the key's name and the ids, never the key.  Every few commits, small segments are merged by a
``timtin merge`` process, as after ``timtin index``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from collections.abc import Iterable

from flask import Blueprint, Response, current_app, jsonify, request

from indexer.assist.diacritics import model_for
from indexer.assist.related import related
from indexer.assist.suggest import suggester_for
from indexer.fields import STORED_FIELDS
from indexer.ingest.sources import read_body
from indexer.models import Article, Problem
from indexer.shard.dispatch import delete_ids, merge_in_background, write_index
from indexer.shard.manifest import ShardLayoutError
from indexer.store.index import IndexBusyError, IndexStats
from webapp.assist import assist
from webapp.auth import require_key
from webapp.core import IndexUnavailable, find_article, index_dir, snapshot

articles = Blueprint("articles", __name__)
log = logging.getLogger("timtin.writes")

WRITE_PATH = "/api/articles"
MAX_WRITE_BODY = 10 * 1024 * 1024  # bytes of one POST or PUT body (10 MiB)
LOCK_ENV_VAR = "TIMTIN_WRITE_LOCK_TIMEOUT"
RETRY_AFTER = 5  # seconds, on a busy index
JSON_TYPES = ("application/json", "text/json", "")  # no Content-Type: JSON
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines",
                "application/jsonlines")
RELATED = 5


class WriteError(Exception):
    """A write the API refuses, with its status (400, 415 or 503), code and message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers = headers or {}


@articles.errorhandler(WriteError)
def _write_error(e: WriteError):
    resp = jsonify(error={"code": e.code, "message": e.message})
    return resp, e.status, {"Cache-Control": "no-store", **e.headers}


@articles.before_request
def _body_limit() -> None:
    if request.method in ("POST", "PUT"):
        request.max_content_length = MAX_WRITE_BODY  # the app's default is 64 KiB (GET-only routes)


def lock_timeout() -> float:
    configured = current_app.config.get("WRITE_LOCK_TIMEOUT")
    if configured is not None:
        return float(configured)
    try:
        return max(0.0, float(os.environ.get(LOCK_ENV_VAR, "5")))
    except ValueError:
        return 5.0


# -- reading --------------------------------------------------------------------------------------

@articles.get(f"{WRITE_PATH}/<path:article_id>")
def get_article(article_id: str) -> Response:
    """One article as JSON: stored fields (``region`` as a list) and the ids of related articles."""
    stored = find_article(article_id)
    if stored is None:
        return _not_found(article_id)
    out = {f.name: f.hit_value(stored) for f in STORED_FIELDS}
    try:
        out["related"] = [r["id"] for r in related(index_dir(), stored["id"], limit=RELATED)]
    except Exception:  # the article is worth returning without them
        current_app.logger.exception("related articles failed for %r", article_id)
        out["related"] = []
    resp = jsonify(out)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _not_found(article_id: str) -> Response:
    shown = article_id if len(article_id) <= 100 else article_id[:100] + "…"
    resp = jsonify(error={"code": "not_found", "message": f"No article with id {shown!r}."})
    resp.status_code = 404
    resp.headers["Cache-Control"] = "no-store"
    return resp


# -- writing --------------------------------------------------------------------------------------

def _is_ndjson() -> bool:
    kind = request.mimetype  # lower case, without parameters ("charset" is ignored: bytes are decoded as files are)
    if kind in NDJSON_TYPES:
        return True
    if kind in JSON_TYPES or kind.endswith("+json"):
        return False
    raise WriteError(415, "unsupported_media_type",
                     "Send the articles as application/json (one article, an array) or application/x-ndjson "
                     "(one article per line).")


def _errors(items: Iterable[tuple[int | None, Article | Problem]]) -> list[dict]:
    return [{"line": p.line, **({"item": item} if item is not None else {}), "reason": p.reason}
            for item, p in items if isinstance(p, Problem)]


@articles.post(WRITE_PATH)
def post_articles() -> Response:
    key = require_key("write")
    ndjson = _is_ndjson()
    items = list(read_body(request.get_data(cache=False), ndjson=ndjson))
    articles = [r for _, r in items if isinstance(r, Article)]
    errors = _errors(items)
    if not articles and any(e["line"] == 0 or not ndjson and "item" not in e for e in errors):
        # nothing but a problem with the body as a whole (empty, undecodable, not JSON, not an article or
        # array): a refused record, even a lone one, is reported in "errors" with a 200 instead
        raise WriteError(400, "invalid_body", "The body could not be read: "
                         + "; ".join(f"line {e['line']}: {e['reason']}" if e["line"] else e["reason"]
                                     for e in errors))
    stats = _write(articles, key.name, "POST")
    resp = jsonify(indexed=stats.indexed, updated=stats.updated, skipped=len(errors), errors=errors)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@articles.put(f"{WRITE_PATH}/<path:article_id>")
def put_article(article_id: str) -> Response:
    key = require_key("write")
    if _is_ndjson():
        raise WriteError(415, "unsupported_media_type", "PUT takes one article as application/json.")
    items = list(read_body(request.get_data(cache=False), ndjson=False, fill_id=article_id))
    if len(items) != 1 or items[0][0] is None:  # several, none, or a body that is not one JSON object
        reasons = "; ".join(p.reason for _, p in items if isinstance(p, Problem)) or "not several, not none"
        raise WriteError(400, "invalid_body", f"PUT takes one article object ({reasons}).")
    record = items[0][1]
    if isinstance(record, Problem):
        raise WriteError(400, "invalid_article", f"line {record.line}: {record.reason}")
    if record.id != article_id:
        raise WriteError(400, "id_mismatch", f"The article's id {record.id!r} is not the one in the path "
                         f"({article_id!r}); leave it out of the body or make them equal.")
    stats = _write([record], key.name, "PUT")
    resp = jsonify(indexed=stats.indexed, updated=stats.updated, skipped=0, errors=[])
    resp.headers["Cache-Control"] = "no-store"
    return resp


@articles.delete(f"{WRITE_PATH}/<path:article_id>")
def delete_article(article_id: str) -> Response:
    key = require_key("write")
    if snapshot().locate(article_id) is None:  # no lock, no empty commit for an unknown id
        log.info("DELETE by key %r: 0 deleted, ids %s", key.name, json.dumps([article_id], ensure_ascii=False))
        return _not_found(article_id)
    try:
        stats = delete_ids(index_dir(), [article_id], lock_timeout=lock_timeout())
    except IndexBusyError:
        raise _busy() from None
    except (FileNotFoundError, ShardLayoutError, RuntimeError) as exc:
        raise IndexUnavailable(str(exc)) from exc
    log.info("DELETE by key %r: %d deleted, ids %s", key.name, stats.deleted,
             json.dumps([article_id], ensure_ascii=False))
    if not stats.deleted:
        return _not_found(article_id)
    _after_write()
    resp = jsonify(deleted=stats.deleted)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _busy() -> WriteError:
    return WriteError(503, "index_busy", "The index is being written by another process; try again in a few "
                      "seconds.", {"Retry-After": str(RETRY_AFTER)})


def _write(articles: list[Article], key_name: str, method: str) -> IndexStats:
    """Index ``articles`` (nothing to do for none) under the write lock; log who wrote what."""
    if not articles:
        return IndexStats()
    try:
        # one commit per request (per shard): a request refused as busy has written nothing
        stats = write_index(index_dir(), articles, lock_timeout=lock_timeout(), commit_every=len(articles) + 1)
    except IndexBusyError:
        log.warning("%s by key %r refused: index busy (%d articles)", method, key_name, len(articles))
        raise _busy() from None
    except (ShardLayoutError, RuntimeError, OSError) as exc:
        log.error("%s by key %r failed: %s: %s", method, key_name, type(exc).__name__, exc)
        raise IndexUnavailable(str(exc)) from exc
    log.info("%s by key %r: %d indexed, %d updated, ids %s", method, key_name, stats.indexed, stats.updated,
             json.dumps([a.id for a in articles], ensure_ascii=False))
    _after_write()
    return stats


_merge_lock = threading.Lock()
_merging: dict[str, subprocess.Popen] = {}


def _after_write() -> None:
    """Merge small segments in a ``timtin merge`` process (one at a time per index and worker), and
    start rebuilding the search assistance of the new generation (the old keeps serving meanwhile)."""
    folder = index_dir()
    if current_app.config.get("MERGE_AFTER_WRITE", True):
        with _merge_lock:
            running = _merging.get(folder)
            if running is None or running.poll() is not None:
                try:
                    started = merge_in_background(folder)
                except (OSError, RuntimeError, ShardLayoutError) as exc:
                    current_app.logger.warning("could not start a merge of %s: %s", folder, exc)
                    started = None
                if started is not None:
                    _merging[folder] = started
                else:
                    _merging.pop(folder, None)
    helper = assist()
    if helper.ready.is_set():  # a stale model answers at once and rebuilds in the background
        try:
            model_for(folder)
            suggester_for(folder)
        except Exception:
            current_app.logger.exception("search assistance refresh failed for %s", folder)
