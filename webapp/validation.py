"""Query-string parameters → a valid ``SearchRequest``, or a ``ParamError`` (HTTP 400)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from datetime import date

from werkzeug.datastructures import MultiDict

from indexer.search import FACET_FIELDS, MAX_HITS, MAX_PER_PAGE, SORTS, SearchRequest
from indexer.text.regions import canonical_region

MAX_QUERY_CHARS = 500
MAX_RESULTS_DEPTH = 10_000  # page * per_page may not go beyond this
MAX_FILTER_VALUES = 50
MAX_FILTER_CHARS = 200
DEFAULT_PER_PAGE = 10
MAX_SUGGESTIONS = 10
MAX_EXPORT = MAX_HITS  # rows of /search.csv and /search.jsonl
FEED_ENTRIES = 50  # entries of /feed.atom: the newest strong matches
_INT_RE = re.compile(r"[0-9]{1,9}")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ParamError(ValueError):
    """An invalid request parameter: ``code`` and ``message`` for the API, ``message_vi`` for pages."""

    def __init__(self, code: str, message: str, message_vi: str):
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_vi = message_vi


def clean(value: str) -> str:
    """``value`` with control characters and lone surrogates made spaces."""
    if value.isprintable():
        return value
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in value)


def _one(args: MultiDict[str, str], name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise ParamError("invalid_parameter", f"'{name}' may be given only once.",
                         f"Tham số '{name}' chỉ được dùng một lần.")
    return clean(values[0]).strip() if values else None


def _raw(args: MultiDict[str, str], name: str) -> str | None:
    """The one value of ``name`` (control characters made spaces, not trimmed), or None."""
    values = args.getlist(name)
    if len(values) > 1:
        raise ParamError("invalid_parameter", f"'{name}' may be given only once.",
                         f"Tham số '{name}' chỉ được dùng một lần.")
    return clean(values[0]) if values else None


def _int(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole number exactly as the OpenAPI document says: digits only (an empty value is a 400 too)."""
    raw = _raw(args, name)
    if raw is None:
        return default
    if not _INT_RE.fullmatch(raw) or not low <= int(raw) <= high:
        raise ParamError("invalid_parameter", f"'{name}' must be a whole number from {low} to {high}.",
                         f"Tham số '{name}' phải là số nguyên từ {low} đến {high}.")
    return int(raw)


def _date(args: MultiDict[str, str], name: str) -> date | None:
    """YYYY-MM-DD exactly; a blank value (what an empty HTML date input sends) is no limit."""
    raw = _raw(args, name)
    if raw is None or not raw.strip():
        return None
    try:
        if not _DATE_RE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ParamError("invalid_parameter", f"'{name}' must be a date as YYYY-MM-DD, e.g. 2024-05-31.",
                         f"Ngày '{raw}' không hợp lệ; hãy dùng dạng năm-tháng-ngày.") from None


def _values(args: MultiDict[str, str], name: str) -> list[str]:
    """The filter's values, trimmed; blank ones are ignored (they still count towards the limits)."""
    raw = [clean(v) for v in args.getlist(name)]
    values = [v for v in (r.strip() for r in raw) if v]
    if len(raw) > MAX_FILTER_VALUES or any(len(v) > MAX_FILTER_CHARS for v in raw):
        raise ParamError("invalid_parameter",
                         f"'{name}' takes at most {MAX_FILTER_VALUES} values of up to "
                         f"{MAX_FILTER_CHARS} characters each.",
                         f"Quá nhiều giá trị lọc '{name}'.")
    return list(dict.fromkeys(values))


def _regions(values: list[str], indexed: Callable[[], Collection[str]] | None) -> list[str]:
    """Region filter values as indexed: a value tagged in the index as is, else the current province
    a name denotes ("bac kan" → "Thái Nguyên"); an unknown name is a ``ParamError``."""
    known = indexed() if indexed is not None and values else ()
    out = []
    for value in values:
        name = value if value in known else canonical_region(value)
        if name is None:
            shown = value if len(value) <= 60 else value[:60] + "…"
            raise ParamError("invalid_parameter",
                             f"Unknown region '{shown}': give a province or city, e.g. 'Hà Nội' or "
                             "'Thái Nguyên' (former names such as 'Bắc Kạn' work too).",
                             f"Không có tỉnh/thành nào tên “{shown}”.")
        out.append(name)
    return list(dict.fromkeys(out))


def parse_query_text(args: MultiDict[str, str]) -> str:
    """The trimmed ``q`` ('' when absent); raises ``ParamError`` when it is too long."""
    raw = _raw(args, "q") or ""
    if len(raw) > MAX_QUERY_CHARS:  # counted as sent, spaces included (as the OpenAPI maxLength)
        raise ParamError("invalid_parameter", f"'q' must be at most {MAX_QUERY_CHARS} characters "
                         f"(got {len(raw)}).", f"Câu tìm kiếm dài quá {MAX_QUERY_CHARS} ký tự.")
    return raw.strip()


def parse_search_args(args: MultiDict[str, str],
                      indexed_regions: Callable[[], Collection[str]] | None = None) -> SearchRequest:
    """Validate the /search parameters (also used by the HTML page, which handles a missing q first).

    ``indexed_regions`` gives the region values tagged in the index (taken as they are).
    """
    return search_request(_required_query(args), args, indexed_regions)


def search_request(q: str, args: MultiDict[str, str],
                   indexed_regions: Callable[[], Collection[str]] | None = None) -> SearchRequest:
    """The request for query ``q`` with the other /search parameters of ``args`` (validated alike);
    the search page checks them with ``q`` blank too."""
    per_page = _int(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int(args, "page", 1, 1, MAX_RESULTS_DEPTH)
    if page * per_page > MAX_RESULTS_DEPTH:
        raise ParamError("invalid_parameter",
                         f"Only the first {MAX_RESULTS_DEPTH} results can be paged through: "
                         f"page × per_page must be at most {MAX_RESULTS_DEPTH}.",
                         f"Chỉ xem được {MAX_RESULTS_DEPTH:,} kết quả đầu tiên.".replace(",", "."))
    return SearchRequest(q=q, page=page, per_page=per_page, sort=_sort(args),
                         **_filters(args, indexed_regions))  # type: ignore[arg-type]  # facets: list fields


def parse_export_args(args: MultiDict[str, str],
                      indexed_regions: Callable[[], Collection[str]] | None = None) -> SearchRequest:
    """The /search.csv and /search.jsonl parameters: those of /search, with ``limit`` for the pages."""
    q = _required_query(args)
    limit = _int(args, "limit", MAX_EXPORT, 1, MAX_EXPORT)
    return SearchRequest(q=q, per_page=limit, sort=_sort(args), facets=False, highlight=False,
                         **_filters(args, indexed_regions))  # type: ignore[arg-type]


def parse_feed_args(args: MultiDict[str, str],
                    indexed_regions: Callable[[], Collection[str]] | None = None) -> SearchRequest:
    """The /feed.atom parameters: the query and filters of /search; always the newest first."""
    q = _required_query(args)
    return SearchRequest(q=q, per_page=FEED_ENTRIES, sort="newest", facets=False,
                         **_filters(args, indexed_regions))  # type: ignore[arg-type]


def _required_query(args: MultiDict[str, str]) -> str:
    q = parse_query_text(args)
    if not q:
        if "q" not in args:
            raise ParamError("missing_parameter", "The query parameter 'q' is required.",
                             "Hãy nhập từ khoá cần tìm.")
        raise ParamError("invalid_parameter", "'q' must not be empty.", "Hãy nhập từ khoá cần tìm.")
    return q


def _sort(args: MultiDict[str, str]) -> str:
    sort = _raw(args, "sort")
    sort = "relevance" if sort is None else sort
    if sort not in SORTS:
        raise ParamError("invalid_parameter", f"'sort' must be one of: {', '.join(SORTS)}.",
                         "Cách sắp xếp không hợp lệ.")
    return sort


def _filters(args: MultiDict[str, str], indexed_regions: Callable[[], Collection[str]] | None) -> dict:
    """The filters shared by search, export and feed: source, category, region, from, to."""
    date_from, date_to = _date(args, "from"), _date(args, "to")
    if date_from and date_to and date_from > date_to:
        raise ParamError("invalid_parameter", "'from' must not be later than 'to'.",
                         "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.")
    filters: dict = {name: _values(args, name) for name in FACET_FIELDS}
    filters["region"] = _regions(filters["region"], indexed_regions)
    return {**filters, "date_from": date_from, "date_to": date_to}


def parse_suggest_args(args: MultiDict[str, str]) -> tuple[str, int]:
    """The /suggest prefix (not trimmed: a trailing space ends the last word) and limit."""
    values = args.getlist("q")
    if not values:
        raise ParamError("missing_parameter", "The query parameter 'q' is required.", "Hãy nhập từ khoá cần tìm.")
    if len(values) > 1:
        raise ParamError("invalid_parameter", "'q' may be given only once.", "Tham số 'q' chỉ được dùng một lần.")
    q = clean(values[0])
    if len(q) > MAX_QUERY_CHARS:
        raise ParamError("invalid_parameter", f"'q' must be at most {MAX_QUERY_CHARS} characters "
                         f"(got {len(q)}).", f"Câu tìm kiếm dài quá {MAX_QUERY_CHARS} ký tự.")
    return q.lstrip(), _int(args, "limit", MAX_SUGGESTIONS, 1, MAX_SUGGESTIONS)
