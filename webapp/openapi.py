"""The OpenAPI 3.1 description of every endpoint (served at /openapi.json): the contract, exactly.

Every parameter is described as ``webapp.validation`` checks it, so that a value the document
allows is accepted and one it does not is a 400 (CI runs Schemathesis with all its checks against
a live server: tests/test_schemathesis.py).  What JSON Schema cannot say is in the descriptions:
``page`` × ``per_page`` may not pass 10,000 and ``from`` may not be after ``to`` (both 400s).
Every status an operation can answer is listed, including those the HTTP server sends before the
app sees the request (``webapp.httpguard``: 400 malformed request, 408 too slow, 413 body too
large, 414 request line too long, 431 headers too large, 503 too many connections; each the usual
JSON error), and 429 when a rate limit is configured.

The articles API (``/api/articles``, keys: ``bearerAuth``) is described in ``webapp.openapi_articles``;
``_complete`` adds to every operation the statuses any request can get (a read key's 401 where
search can be made private, the HTTP server's, 429).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from indexer.fields import JSON_FIELDS
from indexer.search import MAX_PER_PAGE, SORTS
from indexer.search.export import EXPORT_COLUMNS
from indexer.search.filters import FACETS
from indexer.text.regions import provinces
from webapp import openapi_articles as articles
from webapp.validation import (
    FEED_ENTRIES,
    MAX_EXPORT,
    MAX_FILTER_CHARS,
    MAX_FILTER_VALUES,
    MAX_QUERY_CHARS,
    MAX_RESULTS_DEPTH,
    MAX_SUGGESTIONS,
)

# characters a query or filter value is trimmed of (Python's whitespace and control characters)
BLANK_CHARS = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
ERROR_CODES = ["missing_parameter", "invalid_parameter", "bad_request", "not_found", "method_not_allowed",
               "request_timeout", "request_too_large", "uri_too_long", "headers_too_large", "rate_limited",
               "internal_error", "index_unavailable", "server_busy", *articles.ERROR_CODES]


def _ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _error(description: str, **headers: dict) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}
    if headers:
        out["headers"] = headers
    return out


def _param(name: str, description: str, schema: dict, required: bool = False, many: bool = False,
           where: str = "query") -> dict:
    if many:
        schema = {"type": "array", "items": schema, "maxItems": MAX_FILTER_VALUES}
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema, **({"style": "form", "explode": True} if many else {})}


_BLANK = {"type": "string", "pattern": f"^[{BLANK_CHARS}]*$"}
_FILTER = {"type": "string", "maxLength": MAX_FILTER_CHARS}
_YEAR = "([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"  # 0001–9999
_DATE = {"anyOf": [{"type": "string", "format": "date", "pattern": f"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}$"}, _BLANK]}
_QUERY = {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": f"[^{BLANK_CHARS}]"}
_RETRY_AFTER = {"description": "Seconds to wait before trying again.", "schema": {"type": "integer", "minimum": 0}}


def region_names() -> list[str]:
    """Every name the region filter knows as written: current provinces, their other and former names."""
    return list(dict.fromkeys(n for p in provinces() for n in p.names))


_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {
            "type": "object", "required": ["code", "message"], "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "Machine-readable, e.g. `invalid_parameter`.",
                         "enum": ERROR_CODES},
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
            "total": {"type": "integer", "minimum": 0, "description": "Articles matching (all pages)."},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "took_ms": {"type": "number", "minimum": 0},
            "results": {"type": "array", "items": _ref("Hit")},
            "facets": {
                "type": "object", "required": list(FACETS), "additionalProperties": False,
                "description": "Counts among matching articles; a field's own filter is not applied "
                               "to its counts, so other values can be added to the selection.  `month`: "
                               "the timeline, `YYYY-MM` in Vietnam time (UTC+7), every month with a dated "
                               "match, oldest first, not limited by `from`/`to`; the others: the 30 "
                               "largest counts, largest first.",
                "properties": {
                    **{f: {"type": "array", "items": _ref("FacetValue")} for f in FACETS},
                    "month": {"type": "array", "items": {
                        "allOf": [_ref("FacetValue")],
                        "properties": {"value": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}}}},
                },
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
    "ExportRow": {
        "type": "object", "additionalProperties": False, "required": list(EXPORT_COLUMNS),
        "description": "One line of /search.jsonl; the same columns, in this order, in /search.csv "
                       "(`region` joined by \"; \").",
        "properties": {
            **{f.name: f.json_schema() for f in JSON_FIELDS if f.name in EXPORT_COLUMNS},
            "region": {"type": "array", "items": {"type": "string"}, "description": "Provinces it is about."},
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

_RESPONSES: dict[str, Any] = {
    "BadRequest": _error("A parameter is missing or invalid (or the HTTP request is malformed)."),
    "RequestTimeout": _error("The request did not arrive whole within the server's read timeout "
                             "(`timtin serve --read-timeout`, 10 s by default); the connection is closed."),
    "TooLarge": _error("The request body is larger than the server takes (the reading operations take none)."),
    "UriTooLong": _error("The request line is over 8,190 bytes (answered by the HTTP server, before the app)."),
    "HeadersTooLarge": _error("Over 50 header lines, or one over 8,190 bytes (answered by the HTTP server)."),
    "RateLimited": _error("Only with a rate limit (`TIMTIN_RATE_LIMIT`): too many requests from this client.",
                          **{"Retry-After": _RETRY_AFTER}),
    "Unavailable": _error("The index is not available (`index_unavailable`), or the server has more connections "
                          "than it takes (`server_busy`, from the HTTP server): try again later.",
                          **{"Retry-After": _RETRY_AFTER}),
}


def _responses(ok: dict[str, Any], *, params: bool = True, limited: bool = True, index: bool = True,
               html: bool = False, more: dict[str, Any] | None = None) -> dict[str, Any]:
    """``ok`` (200) and ``more``, with the statuses every operation can give (in numeric order).

    ``html``: a page, whose own errors (400, 429, 503) are Vietnamese HTML pages; the HTTP server's
    (a malformed request's 400, 408, 413, 414, 431) are JSON whatever the path.
    """
    out: dict[str, Any] = {"200": ok, **(more or {})}
    if html:
        out["400"] = _html("A parameter is invalid: the page says which.", json_too=True)
        out["429"] = _html("Only with a rate limit (`TIMTIN_RATE_LIMIT`): too many requests from this client.",
                           headers={"Retry-After": _RETRY_AFTER})
        out["503"] = _html("The index is not available (an HTML page), or the server has more connections than it "
                           "takes (JSON `server_busy`): try again later.", json_too=True,
                           headers={"Retry-After": _RETRY_AFTER})
    elif params:
        out["400"] = _error("A parameter is missing or invalid.")
    out.setdefault("400", _ref("BadRequest", "responses"))
    out.update({"408": _ref("RequestTimeout", "responses"), "413": _ref("TooLarge", "responses"),
                "414": _ref("UriTooLong", "responses"), "431": _ref("HeadersTooLarge", "responses")})
    if limited:
        out.setdefault("429", _ref("RateLimited", "responses"))
    if index:
        out.setdefault("503", _ref("Unavailable", "responses"))
    return dict(sorted(out.items()))


def _html(description: str, json_too: bool = False, headers: dict | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
    if json_too:  # the HTTP server's answers (a malformed request, too many connections)
        content["application/json"] = {"schema": _ref("Error")}
    return {"description": description, "content": content, **({"headers": headers} if headers else {})}


_FILTER_PARAMS = [
    _param("source", "Only these sources (exact values; repeat for several; blank values are ignored).",
           _FILTER, many=True),
    _param("category", "Only these categories (exact values; repeat for several; blank values are ignored).",
           _FILTER, many=True),
    _param("region", "Only these provinces or cities (repeat for several). Any name of a current or former "
           "province, as listed or typed in any case without diacritics (`bac kan` and `Bắc Kạn` filter to "
           "`Thái Nguyên`); a value the index is tagged with also works. Another name is a 400; blank values "
           "are ignored.", {"anyOf": [{"type": "string", "enum": region_names()},
                                      {**_BLANK, "maxLength": MAX_FILTER_CHARS}]}, many=True),
    _param("from", "Published on or after this day (Vietnam time). Blank: no limit.", _DATE),
    _param("to", "Published on or before this day (Vietnam time); not before `from` (a 400). Blank: no limit.",
           _DATE),
]
_Q = _param("q", "The query: words (with or without diacritics), \"phrases\", -exclusions, OR. "
            f"At most {MAX_QUERY_CHARS} characters, not all blank.", _QUERY, required=True)
_SORT = _param("sort", "Order of results.", {"type": "string", "enum": list(SORTS), "default": "relevance"})
_PAGE_PARAMS = [
    _param("page", f"Result page; page × per_page may be at most {MAX_RESULTS_DEPTH} (else a 400).",
           {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS_DEPTH, "default": 1}),
    _param("per_page", "Results per page.",
           {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 10}),
]
_SEARCH_PARAMS = [_Q, *_PAGE_PARAMS, _SORT, *_FILTER_PARAMS]
_EXPORT_PARAMS = [_Q, _param("limit", "At most this many rows (the first ones in `sort` order).",
                             {"type": "integer", "minimum": 1, "maximum": MAX_EXPORT, "default": MAX_EXPORT}),
                  _SORT, *_FILTER_PARAMS]


def _search_paths() -> dict[str, Any]:
    disposition = {"Content-Disposition": {
        "description": "`attachment` with a file name from the query: `filename` in ASCII and "
                       "`filename*=UTF-8''…` (RFC 6266).", "required": True, "schema": {"type": "string"}}}
    return {
        "/search": {"get": {
            "operationId": "search", "summary": "Search articles", "tags": ["search"],
            "parameters": _SEARCH_PARAMS,
            "responses": _responses({"description": "Ranked, filtered results with facet counts.",
                                     "content": {"application/json": {"schema": _ref("SearchResponse")}}}),
        }},
        "/search.csv": {"get": {
            "operationId": "exportCsv", "summary": "All results as CSV (up to 10,000 rows)", "tags": ["export"],
            "description": "The columns " + ", ".join(EXPORT_COLUMNS) + ", with a header row, in UTF-8 with a "
                           "byte order mark, CRLF line ends. A text cell starting with = + - @ or a tab gets a "
                           "leading apostrophe, so that spreadsheets show it rather than run it as a formula.",
            "parameters": _EXPORT_PARAMS,
            "responses": _responses({"description": "The rows, streamed.", "headers": disposition,
                                     "content": {"text/csv": {"schema": {"type": "string"}}}}),
        }},
        "/search.jsonl": {"get": {
            "operationId": "exportJsonl", "summary": "All results as JSON Lines (up to 10,000)", "tags": ["export"],
            "parameters": _EXPORT_PARAMS,
            "responses": _responses({"description": "One `ExportRow` object per line, streamed.",
                                     "headers": disposition,
                                     "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}),
        }},
        "/feed.atom": {"get": {
            "operationId": "feed", "summary": "Atom feed of the newest matching articles", "tags": ["export"],
            "description": f"The {FEED_ENTRIES} newest dated articles with every word of the query (none when "
                           "no article has them all), after the filters. Revalidate with `If-None-Match` "
                           "(the `ETag`) or `If-Modified-Since` (the index's last commit).",
            "parameters": [_Q, *_FILTER_PARAMS,
                           _param("If-None-Match", "An `ETag` of this feed: 304 while it is current.",
                                  {"type": "string"}, where="header"),
                           _param("If-Modified-Since", "An HTTP date: 304 when the index has not changed since.",
                                  {"type": "string"}, where="header")],
            "responses": _responses(
                {"description": "An Atom 1.0 document (RFC 4287).",
                 "headers": {"ETag": {"required": True, "schema": {"type": "string"}},
                             "Last-Modified": {"required": True, "schema": {"type": "string"}}},
                 "content": {"application/atom+xml": {"schema": {"type": "string"}}}},
                more={"304": {"description": "Not modified: the client's copy is current.",
                              "headers": {"ETag": {"required": True, "schema": {"type": "string"}}}}}),
        }},
    }


def _assist_paths() -> dict[str, Any]:
    return {
        "/suggest": {"get": {
            "operationId": "suggest", "summary": "Autocomplete a search prefix", "tags": ["search"],
            "description": "Frequent headline phrases first, then matching article titles. "
                           "Responses may be cached for 60 seconds.",
            "parameters": [
                _param("q", "What has been typed so far, with or without diacritics; a trailing space "
                       f"ends the last word. At most {MAX_QUERY_CHARS} characters; blank gives no "
                       "suggestions.", {"type": "string", "maxLength": MAX_QUERY_CHARS}, required=True),
                _param("limit", "At most this many suggestions.",
                       {"type": "integer", "minimum": 1, "maximum": MAX_SUGGESTIONS, "default": MAX_SUGGESTIONS}),
            ],
            "responses": _responses({"description": "Suggestions, best first.",
                                     "content": {"application/json": {"schema": _ref("SuggestResponse")}}}),
        }},
    }


def _page_paths() -> dict[str, Any]:
    page_params = [_param("q", "The query (blank: the introduction page).",
                          {"type": "string", "maxLength": MAX_QUERY_CHARS}),
                   *_PAGE_PARAMS, _SORT, *_FILTER_PARAMS]
    return {
        "/": {"get": {
            "operationId": "page", "summary": "The search page (HTML)", "tags": ["pages"],
            "description": "The same parameters as /search, checked even without a query.",
            "parameters": page_params,
            "responses": _responses(_html("Results, or the introduction without a query."), html=True),
        }},
        "/articles/{article_id}": {"get": {
            "operationId": "articlePage", "summary": "One article (HTML)", "tags": ["pages"],
            "parameters": [_param("article_id", "The article's id.", {"type": "string", "minLength": 1},
                                  required=True, where="path"),
                           _param("q", "Words to mark in the article (ignored when not a valid query).",
                                  {"type": "string"})],
            "responses": _responses(_html("The article with related articles."),
                                    more={"404": _html("No article has this id.")}, html=True),
        }},
    }


def _service_paths() -> dict[str, Any]:
    return {
        "/healthz": {"get": {
            "operationId": "health", "summary": "Liveness, document and shard count", "tags": ["service"],
            "description": "Never rate-limited.",
            "responses": _responses({"description": "The index is readable.",
                                     "content": {"application/json": {"schema": _ref("Health")}}},
                                    params=False, limited=False),
        }},
        "/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This document", "tags": ["service"],
            "responses": _responses({"description": "The OpenAPI description.",
                                     "content": {"application/json": {"schema": {"type": "object"}}}},
                                    params=False, index=False),
        }},
    }


def _article_paths() -> dict[str, Any]:
    """The articles API (``webapp.openapi_articles``): reading one article, writing with a key."""
    return articles.PATHS


_UNGUARDED = ("/healthz", "/openapi.json")  # never need a key (webapp.auth.EXEMPT_PATHS)
_PAGES = ("/", "/articles/{article_id}")
_METHODS = ("get", "put", "post", "delete", "patch")


def _complete(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation with the statuses any request can get: a read key's 401 where search can be made
    private (``TIMTIN_PUBLIC_SEARCH=0``), the HTTP server's 400/408/413/414/431, and 429."""
    paths = copy.deepcopy(paths)  # the articles API's tables stay as they are
    for path, item in paths.items():
        for method, op in item.items():
            if method not in _METHODS:
                continue
            responses = op["responses"]
            if path not in _UNGUARDED and "security" not in op:
                op["security"] = articles.READ_SECURITY
                responses["401"] = (_html("Only with `TIMTIN_PUBLIC_SEARCH=0`: no valid API key.")
                                    if path in _PAGES else articles.READ_UNAUTHORIZED)
            for status, name in (("400", "BadRequest"), ("408", "RequestTimeout"), ("413", "TooLarge"),
                                 ("414", "UriTooLong"), ("429", "RateLimited"), ("431", "HeadersTooLarge")):
                if status != "429" or path != "/healthz":
                    responses.setdefault(status, _ref(name, "responses"))
            op["responses"] = dict(sorted(responses.items()))
    return paths


@cache
def openapi_spec() -> dict[str, Any]:
    """The OpenAPI document (built once)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "timtin", "version": "1.1.0",
                 "description": "Full-text search over Vietnamese news articles: search, exports, an Atom "
                                "feed, autocomplete, the HTML pages, and the articles API for a CMS (with an API key). "
                                "Reading is public unless the server runs with `TIMTIN_PUBLIC_SEARCH=0`."},
        "tags": [{"name": "search"}, {"name": "export"}, {"name": "pages"}, {"name": "service"},
                 {"name": "articles"}],
        "paths": _complete({**_search_paths(), **_assist_paths(), **_article_paths(), **_page_paths(),
                            **_service_paths()}),
        "components": {
            "schemas": {**_SCHEMAS, **articles.SCHEMAS},
            "responses": _RESPONSES,
            "securitySchemes": articles.SECURITY_SCHEMES,
        },
    }
