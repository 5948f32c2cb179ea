"""Access to the index for the request being served."""

from __future__ import annotations

from dataclasses import replace

from flask import current_app

from indexer.search import SearchRequest, SearchResult, search
from indexer.shard.coordinator import ShardsUnavailable
from indexer.shard.manifest import ShardLayoutError
from indexer.shard.view import IndexView, open_view
from webapp.assist import assist


class IndexUnavailable(RuntimeError):
    """The index folder is missing or unreadable (HTTP 503)."""


def index_dir() -> str:
    return current_app.config["INDEX_DIR"]


def snapshot() -> IndexView:
    """The newest committed snapshots of the app's index (one per shard of a sharded index)."""
    try:
        return open_view(index_dir())
    except (FileNotFoundError, RuntimeError, ShardLayoutError) as exc:
        current_app.logger.error("index unavailable: %s", exc)
        raise IndexUnavailable(str(exc)) from exc


def run_search(req: SearchRequest, suggest: bool = True) -> SearchResult:
    """Search, with a "did you mean" suggestion for a query typed without diacritics (unless not ``suggest``)."""
    snapshot()  # raises IndexUnavailable with a clear message
    if req.highlight and req.reading is None:  # highlights follow the restored reading of the query
        req = replace(req, reading=assist().reading(req.q))
    backend = current_app.config.get("SEARCH_BACKEND")  # e.g. indexer.cluster.serving.ClusterSearch
    try:
        result = backend.search(req) if backend is not None else search(req, index_dir())
    except ShardsUnavailable as exc:
        current_app.logger.error("search unavailable: %s", exc)
        raise IndexUnavailable(str(exc)) from exc
    if suggest:
        result.suggestion = assist().suggestion(req.q)
    return result


def indexed_regions() -> frozenset[str]:
    """The region values tagged in the index."""
    return frozenset(snapshot().field_values("region"))


def find_article(article_id: str) -> dict | None:
    """Stored fields of the article with this id, or None."""
    if not article_id or not article_id.isprintable() or len(article_id) > 1000:
        return None
    return snapshot().document(article_id)
