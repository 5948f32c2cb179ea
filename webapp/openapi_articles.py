"""The OpenAPI description of the articles API and of API keys (merged into ``webapp.openapi``)."""

from __future__ import annotations

from typing import Any

from indexer.fields import STORED_FIELDS
from indexer.ingest.sources import OPTIONAL_FIELDS
from webapp.articles import MAX_WRITE_BODY, RELATED, RETRY_AFTER

BEARER = "bearerAuth"
SECURITY_SCHEMES: dict[str, Any] = {
    BEARER: {
        "type": "http", "scheme": "bearer",
        "description": "An API key from `timtin keys create NAME [--scope read|write]`, sent as "
                       "`Authorization: Bearer KEY`. Writing needs a `write` key. Reading needs a key "
                       "(`read` or `write`) only when the server runs with `TIMTIN_PUBLIC_SEARCH=0`.",
    },
}
WRITE_SECURITY: list[dict[str, list]] = [{BEARER: []}]
READ_SECURITY: list[dict[str, list]] = [{}, {BEARER: []}]  # public unless TIMTIN_PUBLIC_SEARCH=0

ERROR_CODES = ["unauthorized", "forbidden", "unsupported_media_type", "invalid_body", "invalid_article",
               "id_mismatch", "index_busy"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}
    if headers:
        out["headers"] = headers
    return out


_CHALLENGE = {"WWW-Authenticate": {"description": "`Bearer realm=\"timtin\"`", "schema": {"type": "string"}}}
_RETRY = {"Retry-After": {"description": "Seconds to wait before trying again.",
                          "schema": {"type": "integer", "minimum": 1}}}
UNAUTHORIZED = _error("No API key, or one that is unknown or revoked.", _CHALLENGE)
READ_UNAUTHORIZED = _error("Only with `TIMTIN_PUBLIC_SEARCH=0`: no valid API key.", _CHALLENGE)
FORBIDDEN = _error("The key is a `read` key; writing needs a `write` key.", _CHALLENGE)
TOO_LARGE = _error(f"The body is larger than {MAX_WRITE_BODY} bytes (10 MiB).")
MEDIA_TYPE = _error("The body is neither `application/json` nor `application/x-ndjson`.")
UNAVAILABLE = _error(f"The index is being written by another process (`index_busy`, retry after {RETRY_AFTER} s) "
                     "or is not available (`index_unavailable`).", _RETRY)

# at least one character that is neither NUL nor what Python's str.strip() removes
_VISIBLE = "[^\\x00\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
_TEXT = {"type": "string", "pattern": _VISIBLE,
         "description": "Required; NFC-normalised and trimmed, it must not be empty."}
_OPTIONAL = {"type": ["string", "null"]}


def _article_input(with_id: bool) -> dict[str, Any]:
    props: dict[str, Any] = {
        "title": _TEXT, "body": {**_TEXT, "description": "Paragraphs separated by newlines."},
        **{name: _OPTIONAL for name in OPTIONAL_FIELDS},
        "published": {"type": ["string", "null"],
                      "description": "ISO 8601 (`2024-05-31`, `2024-05-31T08:00:00+07:00`) or `dd/mm/yyyy`; "
                                     "a time without offset is Vietnam time. An unreadable date is dropped."},
    }
    schema: dict[str, Any] = {"type": "object", "properties": props, "required": ["title", "body"],
                              "additionalProperties": True,
                              "description": "As a record of a `.json`/`.jsonl` file: other properties are "
                                             "ignored. Text in TCVN3 or VNI legacy encoding is converted when "
                                             "recognised with confidence, else refused."}
    if with_id:
        props["id"] = {"oneOf": [{**_TEXT, "description": "Unique: an existing id is replaced."},
                                 {"type": "integer", "description": "Taken as its decimal string."}]}
        schema["required"] = ["id", "title", "body"]
        schema["not"] = {"required": ["articles"]}  # an object with "articles" is the wrapper form
    else:
        schema["not"] = {"anyOf": [{"required": ["id"]}, {"required": ["articles"]}]}
        schema["description"] += " The id is the one in the path (an `id` equal to it is tolerated)."
    return schema


SCHEMAS: dict[str, Any] = {
    "ArticleInput": _article_input(with_id=True),
    "ArticleReplacement": _article_input(with_id=False),
    "Article": {
        "type": "object", "additionalProperties": False,
        "required": [*(f.name for f in STORED_FIELDS), "related"],
        "properties": {**{f.name: f.json_schema() for f in STORED_FIELDS},
                       "related": {"type": "array", "maxItems": RELATED, "items": {"type": "string"},
                                   "description": "Ids of related articles, most related first."}},
    },
    "WriteResult": {
        "type": "object", "additionalProperties": False, "required": ["indexed", "updated", "skipped", "errors"],
        "properties": {
            "indexed": {"type": "integer", "minimum": 0, "description": "Articles new to the index."},
            "updated": {"type": "integer", "minimum": 0, "description": "Articles that replaced one of the same id."},
            "skipped": {"type": "integer", "minimum": 0, "description": "Records refused (listed in `errors`)."},
            "errors": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["line", "reason"],
                "properties": {
                    "line": {"type": "integer", "minimum": 0,
                             "description": "Line of the body where the record starts (NDJSON: the record's line)."},
                    "item": {"type": "integer", "minimum": 1,
                             "description": "For a JSON array: the record's position in it (from 1)."},
                    "reason": {"type": "string", "description": "As `timtin index` reports it for a file."},
                }}},
        },
    },
    "Deleted": {"type": "object", "additionalProperties": False, "required": ["deleted"],
                "properties": {"deleted": {"const": 1}}},
}

_ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
             "description": "The article's id (percent-encode `/` and other reserved characters)."}

PATHS: dict[str, Any] = {
    "/api/articles": {"post": {
        "operationId": "publishArticles", "summary": "Add or replace articles",
        "description": "One article, a JSON array of articles (or `{\"articles\": [...]}`), or NDJSON; "
                       "each article as `ArticleInput` describes it. Each record is validated as `timtin "
                       "index` validates a file's; good records are indexed even when others are refused "
                       "(listed in `errors`), and are searchable when the answer arrives. A body that cannot "
                       f"be read as articles at all is a 400. At most {MAX_WRITE_BODY} bytes.",
        "security": WRITE_SECURITY,
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"anyOf": [
                {"type": "object", "not": {"required": ["articles"]},
                 "description": "One article, as `ArticleInput` describes it. If it is refused, the answer is "
                                "still a 200 and the reason is in `errors`."},
                {"type": "array", "items": {}, "description": "Records as in a `.json` file: each is checked "
                                                               "on its own, failures are listed in `errors`."},
                {"type": "object", "required": ["articles"],
                 "properties": {"articles": {"type": "array", "items": {}}}},
            ]}},
            "application/x-ndjson": {"schema": {"type": "string", "description": "One JSON article per line, "
                                                                                 "as a `.jsonl` file."}},
        }},
        "responses": {
            "200": {"description": "What was indexed, updated and refused.",
                    "content": {"application/json": {"schema": _ref("WriteResult")}}},
            "400": _error("The body cannot be read as articles (`invalid_body`): empty, not decodable, not "
                          "JSON, not an object or array, or a syntax error before any article."),
            "401": UNAUTHORIZED, "403": FORBIDDEN, "413": TOO_LARGE, "415": MEDIA_TYPE, "503": UNAVAILABLE,
        },
    }},
    "/api/articles/{id}": {
        "parameters": [_ID_PARAM],
        "get": {
            "operationId": "getArticle", "summary": "One article as JSON",
            "security": READ_SECURITY,
            "responses": {
                "200": {"description": "The article's fields, region tags and related article ids.",
                        "content": {"application/json": {"schema": _ref("Article")}}},
                "401": READ_UNAUTHORIZED,
                "404": _error("No article has this id."),
                "503": _error("The index is not available."),
            },
        },
        "put": {
            "operationId": "replaceArticle", "summary": "Add or replace the article with this id",
            "description": "The article is validated as a record of a `.json` file. Besides what its schema "
                           "says, text that looks like TCVN3/VNI legacy encoding but cannot be converted with "
                           "confidence is refused (400 `invalid_article`): no schema can say which text that is.",
            "security": WRITE_SECURITY,
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _ref("ArticleReplacement")}}},
            "responses": {
                "200": {"description": "`indexed` 1 for a new article, `updated` 1 for a replaced one.",
                        "content": {"application/json": {"schema": _ref("WriteResult")}}},
                "400": _error("Not one article object (`invalid_body`), an invalid article (`invalid_article`), "
                              "or a body id other than the path's (`id_mismatch`)."),
                "401": UNAUTHORIZED, "403": FORBIDDEN, "413": TOO_LARGE, "415": MEDIA_TYPE, "503": UNAVAILABLE,
            },
        },
        "delete": {
            "operationId": "deleteArticle", "summary": "Delete the article with this id",
            "security": WRITE_SECURITY,
            "responses": {
                "200": {"description": "Deleted.", "content": {"application/json": {"schema": _ref("Deleted")}}},
                "401": UNAUTHORIZED, "403": FORBIDDEN,
                "404": _error("No article has this id."),
                "503": UNAVAILABLE,
            },
        },
    },
}
