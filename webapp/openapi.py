"""The OpenAPI 3.1 description of the JSON endpoints (served at /openapi.json)."""

from __future__ import annotations

from functools import cache
from typing import Any

from indexer.fields import JSON_FIELDS
from indexer.search import FACET_FIELDS, MAX_PER_PAGE, SORTS
from webapp.validation import (
    MAX_FILTER_CHARS,
    MAX_FILTER_VALUES,
    MAX_QUERY_CHARS,
    MAX_RESULTS_DEPTH,
    MAX_SUGGESTIONS,
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _param(name: str, description: str, schema: dict, required: bool = False, many: bool = False) -> dict:
    if many:
        schema = {"type": "array", "items": schema, "maxItems": MAX_FILTER_VALUES}
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema, **({"style": "form", "explode": True} if many else {})}


_FILTER = {"type": "string", "minLength": 1, "maxLength": MAX_FILTER_CHARS}
_DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {
            "type": "object", "required": ["code", "message"], "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "Machine-readable, e.g. `invalid_parameter`.",
                         "enum": ["missing_parameter", "invalid_parameter", "not_found", "method_not_allowed",
                                  "request_too_large", "uri_too_long", "headers_too_large", "internal_error",
                                  "index_unavailable"]},
                "message": {"type": "string", "description": "What went wrong, for a person."},
            },
        }},
    },
    "Hit": {
        "type": "object", "additionalProperties": False,
        "required": [f.name for f in JSON_FIELDS],
        "properties": {f.name: f.json_schema() for f in JSON_FIELDS},
    },
    "FacetValue": {
        "type": "object", "required": ["value", "count"], "additionalProperties": False,
        "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
    },
    "SearchResponse": {
        "type": "object", "additionalProperties": False,
        "required": ["query", "total", "page", "per_page", "took_ms", "results", "facets", "suggestion"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0,
                      "description": "Results over all pages: with `collapse` (the default) stories (a story "
                                     "group among the matching articles counts once), else matching articles."},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "took_ms": {"type": "number", "minimum": 0},
            "results": {"type": "array", "items": _ref("Hit")},
            "facets": {
                "type": "object", "required": list(FACET_FIELDS), "additionalProperties": False,
                "description": "Counts among matching articles; a field's own filter is not applied "
                               "to its counts, so other values can be added to the selection.",
                "properties": {f: {"type": "array", "items": _ref("FacetValue")} for f in FACET_FIELDS},
            },
            "suggestion": {"type": ["string", "null"],
                           "description": "For a query typed without diacritics, the query with them restored "
                                          "(\"bao lu\" → \"bão lũ\") when that differs; else null."},
            "partial": {"const": True, "description": "Present when some shards of a sharded index did not "
                                                      "answer: the results come from the others."},
            "missing_shards": {"type": "array", "items": {"type": "integer", "minimum": 0},
                               "description": "With partial: the shards left out."},
        },
    },
    "Suggestion": {
        "type": "object", "required": ["text", "kind"], "additionalProperties": False,
        "properties": {
            "text": {"type": "string", "description": "A completion of the typed prefix (plain text)."},
            "kind": {"type": "string", "enum": ["phrase", "title"],
                     "description": "`phrase`: frequent in headlines; `title`: an article's title."},
            "id": {"type": "string", "description": "The article's id (titles only): /articles/{id}."},
        },
    },
    "SuggestResponse": {
        "type": "object", "required": ["query", "suggestions"], "additionalProperties": False,
        "properties": {
            "query": {"type": "string", "description": "The prefix, as received (leading spaces removed)."},
            "suggestions": {"type": "array", "maxItems": MAX_SUGGESTIONS, "items": _ref("Suggestion")},
        },
    },
    "Health": {
        "type": "object", "required": ["status", "documents", "shards"], "additionalProperties": False,
        "properties": {"status": {"const": "ok"}, "documents": {"type": "integer", "minimum": 0},
                       "shards": {"type": "integer", "minimum": 1,
                                  "description": "1 for a plain index, N for a sharded one"},
                       "replicas": {
                           "type": "object", "description": "Served from a Ray cluster: searcher replicas "
                           "answering a ping (in all, per shard, and how many nodes hold each shard)",
                           "required": ["live", "total", "per_shard", "nodes_per_shard"],
                           "additionalProperties": False,
                           "properties": {
                               "live": {"type": "integer", "minimum": 0},
                               "total": {"type": "integer", "minimum": 1},
                               "per_shard": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                               "nodes_per_shard": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                           }}},
    },
}

_SEARCH_PARAMS = [
    _param("q", "The query: words (with or without diacritics), \"phrases\", -exclusions, OR. "
           f"1–{MAX_QUERY_CHARS} characters after trimming.",
           {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS}, required=True),
    _param("page", f"Result page; page × per_page may be at most {MAX_RESULTS_DEPTH}.",
           {"type": "integer", "minimum": 1, "default": 1}),
    _param("per_page", "Results per page.",
           {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 10}),
    _param("sort", "Order of results.", {"type": "string", "enum": list(SORTS), "default": "relevance"}),
    _param("source", "Only these sources (exact values; repeat for several).", _FILTER, many=True),
    _param("category", "Only these categories (exact values; repeat for several).", _FILTER, many=True),
    _param("region", "Only these provinces or cities (repeat for several). Any name of a current province "
           "works, with or without diacritics, and so do former ones: `bac kan` or `Bắc Kạn` filter to "
           "`Thái Nguyên`. An unknown name is a 400.", _FILTER, many=True),
    _param("collapse", "One result per story (default): articles with the same text, or nearly (the same "
           "story republished, or with a changed headline), form a story group found at indexing; only the "
           "group's best match is listed, with `group_size`. `false` lists every article.",
           {"type": "boolean", "default": True}),
    _param("group", "Only the articles of this story group (a hit's `group`); with `collapse=false` the "
           "group_size articles of a hit.", {"type": "string", "minLength": 1, "maxLength": MAX_FILTER_CHARS}),
    _param("from", "Published on or after this day (Vietnam time).", _DATE),
    _param("to", "Published on or before this day (Vietnam time); not before `from`.", _DATE),
]


@cache
def openapi_spec() -> dict[str, Any]:
    """The OpenAPI document (built once)."""
    json_ok: dict[str, Any] = {"content": {"application/json": {"schema": {}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "timtin", "version": "1.0.0",
                 "description": "Full-text search over Vietnamese news articles."},
        "paths": {
            "/search": {"get": {
                "operationId": "search", "summary": "Search articles",
                "parameters": _SEARCH_PARAMS,
                "responses": {
                    "200": {"description": "Ranked, filtered results with facet counts.",
                            "content": {"application/json": {"schema": _ref("SearchResponse")}}},
                    "400": _error("A parameter is missing or invalid."),
                    "503": _error("The index is not available."),
                },
            }},
            "/suggest": {"get": {
                "operationId": "suggest", "summary": "Autocomplete a search prefix",
                "description": "Frequent headline phrases first, then matching article titles. "
                               "Responses may be cached for 60 seconds.",
                "parameters": [
                    _param("q", "What has been typed so far, with or without diacritics; a trailing space "
                           f"ends the last word. At most {MAX_QUERY_CHARS} characters; blank gives no "
                           "suggestions.", {"type": "string", "maxLength": MAX_QUERY_CHARS}, required=True),
                    _param("limit", "At most this many suggestions.",
                           {"type": "integer", "minimum": 1, "maximum": MAX_SUGGESTIONS,
                            "default": MAX_SUGGESTIONS}),
                ],
                "responses": {
                    "200": {"description": "Suggestions, best first.",
                            "content": {"application/json": {"schema": _ref("SuggestResponse")}}},
                    "400": _error("`q` is missing or too long, or `limit` is invalid."),
                    "503": _error("The index is not available."),
                },
            }},
            "/healthz": {"get": {
                "operationId": "health", "summary": "Liveness, document and shard count",
                "responses": {
                    "200": {"description": "The index is readable.",
                            "content": {"application/json": {"schema": _ref("Health")}}},
                    "503": _error("The index is not available."),
                },
            }},
            "/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This document",
                "responses": {"200": {"description": "The OpenAPI description.", **json_ok}},
            }},
        },
        "components": {"schemas": _SCHEMAS},
    }
