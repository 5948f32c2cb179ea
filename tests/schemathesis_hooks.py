"""Schemathesis hooks for tests/test_schemathesis.py (loaded with ``SCHEMATHESIS_HOOKS``).

The OpenAPI document states rules across parameters that JSON Schema cannot express, each said in
the descriptions: ``page`` × ``per_page`` ≤ 10,000 and ``from`` ≤ ``to`` (else 400), and a request
line of at most 8,190 bytes and headers of at most 8,190 bytes each (else 414 / 431, from the HTTP
server).  Schema-valid cases that break them are not generated.  Likewise for one rule on the content
of an article that ``PUT /api/articles/{id}`` replaces (a 400 ``invalid_article``): text that looks
like TCVN3/VNI legacy encoding but cannot be converted with confidence is refused, as file ingestion
refuses it; the schema cannot say which strings those are, so such positive cases are dropped (the
ingestion's own check, ``indexer.ingest.sources._make_article``, tells which).

A "negative" case is one Schemathesis generated against the schema, but what is sent is its
serialisation: ``None`` leaves a query parameter out, ``-5`` sent for an array of strings is the
valid string "-5".  A negative case whose request, as sent, fits the document is not negative:
it is dropped (else the server is blamed for accepting valid data).  Nothing else is filtered.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests
import schemathesis
from jsonschema import Draft202012Validator

MAX_RESULTS_DEPTH = 10_000
MAX_LINE = 8190  # webapp.server: limit_request_line and limit_request_field_size


def _int(value: Any, default: int) -> int | None:
    if value is None:
        return default
    try:
        return int(str(value))
    except ValueError:
        return None


def breaks_a_cross_parameter_rule(query: dict[str, Any] | None) -> bool:
    """True for a query whose parameters each fit the document but break one of the two rules."""
    if not query:
        return False
    page, per_page = _int(query.get("page"), 1), _int(query.get("per_page"), 10)
    if page is not None and per_page is not None and page * per_page > MAX_RESULTS_DEPTH:
        return True
    start, end = query.get("from"), query.get("to")
    return isinstance(start, str) and isinstance(end, str) and start.strip() != "" and end.strip() != "" \
        and start > end


def too_long(case: Any) -> bool:
    """True when the request line or a header would pass the HTTP server's limits (a safe over-estimate)."""
    path = quote(str(case.formatted_path), safe="/")
    query = urlencode({k: v for k, v in (case.query or {}).items()}, doseq=True)
    if len(path) + len(query) + 32 > MAX_LINE:
        return True
    return any(len(str(k)) + len(str(v).encode()) + 4 > MAX_LINE for k, v in (case.headers or {}).items())


def sent_query(case: Any) -> dict[str, list[str]]:
    """The query string the case's request carries, as the server parses it."""
    kwargs = case.as_transport_kwargs(base_url="http://127.0.0.1")
    url = requests.Request("GET", kwargs["url"], params=kwargs.get("params")).prepare().url or ""
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def _fits(schema: dict, value: Any) -> bool:
    if schema.get("type") == "integer" and isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        value = int(value)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid(value)


def sent_request_fits(case: Any) -> bool:
    """True when the request as sent (query, path, headers) fits the operation's parameters."""
    sent = sent_query(case)
    for p in case.operation.definition.raw.get("parameters", []):
        if p["in"] == "path":
            if not str((case.path_parameters or {}).get(p["name"], "")):
                return False
            continue
        if p["in"] != "query":
            continue  # the headers this API documents take any string
        values = sent.get(p["name"], [])
        if not values:
            if p.get("required"):
                return False
        elif p["schema"].get("type") == "array":
            if not _fits(p["schema"], values):
                return False
        elif len(values) > 1 or not _fits(p["schema"], values[0]):
            return False
    return not breaks_a_cross_parameter_rule({k: v[0] for k, v in sent.items() if v})


def _mode(case: Any) -> str:
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return str(getattr(mode, "value", mode))


def refused_replacement(case: Any) -> bool:
    """True for a PUT of an article the ingestion refuses for its content (legacy-looking text)."""
    if case.method.upper() != "PUT" or not isinstance(case.body, dict):
        return False
    from indexer.ingest.sources import _make_article

    article_id = str((case.path_parameters or {}).get("id", "x")) or "x"
    return isinstance(_make_article({**case.body, "id": article_id}), str)


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    if _mode(case) == "positive":
        return not breaks_a_cross_parameter_rule(case.query) and not too_long(case) \
            and not refused_replacement(case)
    return not sent_request_fits(case)
