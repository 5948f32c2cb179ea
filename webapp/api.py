"""The JSON API: GET /search, /suggest, /healthz and /openapi.json."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from webapp.assist import assist
from webapp.core import indexed_regions, run_search, snapshot
from webapp.openapi import openapi_spec
from webapp.validation import parse_search_args, parse_suggest_args

api = Blueprint("api", __name__)


@api.get("/search")
def search_json() -> Response:
    """Search results as JSON; invalid parameters give 400 {"error": {"code", "message"}}."""
    result = run_search(parse_search_args(request.args, indexed_regions))
    resp = jsonify(result.to_json())
    resp.headers["Cache-Control"] = "no-store"
    return resp


@api.get("/suggest")
def suggest_json() -> Response:
    """Completions of a typed prefix: frequent headline phrases, then article titles."""
    q, limit = parse_suggest_args(request.args)
    snapshot()  # 503 without an index
    resp = jsonify(query=q, suggestions=assist().complete(q, limit) if q.strip() else [])
    resp.headers["Cache-Control"] = "public, max-age=60"
    return resp


@api.get("/healthz")
def healthz() -> Response:
    view = snapshot()
    backend = current_app.config.get("SEARCH_BACKEND")
    extra = {"replicas": backend.health()} if backend is not None else {}
    resp = jsonify(status="ok", documents=view.doc_count, shards=view.shards, **extra)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@api.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_spec())
