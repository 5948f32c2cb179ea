"""The JSON API: GET /search, /healthz and /openapi.json."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from webapp.core import run_search, snapshot
from webapp.openapi import openapi_spec
from webapp.validation import parse_search_args

api = Blueprint("api", __name__)


@api.get("/search")
def search_json() -> Response:
    """Search results as JSON; invalid parameters give 400 {"error": {"code", "message"}}."""
    result = run_search(parse_search_args(request.args))
    resp = jsonify(result.to_json())
    resp.headers["Cache-Control"] = "no-store"
    return resp


@api.get("/healthz")
def healthz() -> Response:
    resp = jsonify(status="ok", documents=snapshot().doc_count)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@api.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_spec())
