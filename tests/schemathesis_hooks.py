"""Schemathesis hooks for tests/test_schemathesis.py (loaded with ``SCHEMATHESIS_HOOKS``).

The OpenAPI document states rules across parameters that JSON Schema cannot express, each said in
the descriptions: ``page`` × ``per_page`` ≤ 10,000 and ``from`` ≤ ``to`` (else 400), and a request
line of at most 8,190 bytes and headers of at most 8,190 bytes each (else 414 / 431, from the HTTP
server).  Schema-valid cases that break them are not generated; nothing else is filtered.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import schemathesis

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


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    if str(getattr(mode, "value", mode)) != "positive":
        return True
    return not breaks_a_cross_parameter_rule(case.query) and not too_long(case)
