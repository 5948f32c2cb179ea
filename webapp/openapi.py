"""The OpenAPI 3.1 description of the JSON endpoints (served at /openapi.json)."""

from __future__ import annotations

from functools import cache
from typing import Any

from indexer.fields import JSON_FIELDS
from indexer.search import FACET_FIELDS, MAX_PER_PAGE, SORTS
from webapp import openapi_articles as articles
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
                                  "index_unavailable", *articles.ERROR_CODES]},
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
        "properties": {
            "value": {"type": "string", "description": "A value to filter by."},
            "count": {"type": "integer", "minimum": 1},
            "parent": {"type": "string",
                       "description": "Regions only: set on a province as it was before 1 July 2025 "
                                      "(\"Quảng Bình (trước 7/2025)\"), listed right after the current province "
                                      "it is now part of, named here (\"Quảng Trị\"); that row's count "
                                      "includes it."},
        },
    },
    "SearchResponse": {
        "type": "object", "additionalProperties": False,
        "required": ["query", "total", "page", "per_page", "took_ms", "results", "facets", "suggestion",
                     "all_words"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0,
                      "description": "Articles in the result list (all pages). Sorted by `newest` or `oldest`, "
                                     "only articles with every query word (as `all_words`); sorted by "
                                     "`relevance`, also articles with most of the words, or with a word only "
                                     "in another form (\"vắng\" for \"vàng\"), ranked below the others."},
            "all_words": {"type": "integer", "minimum": 0,
                          "description": "Articles (after the filters) with every query word: each word typed "
                                         "with diacritics in that exact form, each other word in any form; an "
                                         "acronym's expansion or another name of a province counts for it; for "
                                         "several words, some of them side by side as typed (\"giá vàng\", "
                                         "not \"giá\" and \"vàng\" apart). "
                                         "The date sorts list these, and the facets count them."},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "took_ms": {"type": "number", "minimum": 0},
            "results": {"type": "array", "items": _ref("Hit")},
            "facets": {
                "type": "object", "required": list(FACET_FIELDS), "additionalProperties": False,
                "description": "Counts among the articles with every query word (those `all_words` "
                               "counts), not the weaker matches a relevance-sorted list may end with: "
                               "how many articles about what was asked each value has.  When no article "
                               "has every word (the list then shows those with most of them), they count "
                               "the listed articles.  A field's own "
                               "filter is not applied to its counts, so other values can be added to the "
                               "selection.",
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
    _param("region", "Only these provinces or cities (repeat for several). Articles are tagged with the "
           "province as it was when published: one of the 63 before 1 July 2025 (a former one as "
           "`Bắc Kạn (trước 7/2025)`), one of the 34 after. A current province's name (with or without "
           "diacritics: `thai nguyen`) selects it and its former parts (`Thái Nguyên` and `Bắc Kạn` before "
           "the merger); a former one's name (`bac kan`, `Bắc Kạn`) selects that former province only. "
           "An unknown name is a 400.", _FILTER, many=True),
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
                "security": articles.READ_SECURITY,
                "parameters": _SEARCH_PARAMS,
                "responses": {
                    "200": {"description": "Ranked, filtered results with facet counts.",
                            "content": {"application/json": {"schema": _ref("SearchResponse")}}},
                    "400": _error("A parameter is missing or invalid."),
                    "401": articles.READ_UNAUTHORIZED,
                    "503": _error("The index is not available."),
                },
            }},
            "/suggest": {"get": {
                "operationId": "suggest", "summary": "Autocomplete a search prefix",
                "security": articles.READ_SECURITY,
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
                    "401": articles.READ_UNAUTHORIZED,
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
            **articles.PATHS,
        },
        "components": {"schemas": {**_SCHEMAS, **articles.SCHEMAS}, "securitySchemes": articles.SECURITY_SCHEMES},
    }
