"""HTML pages: the search page (/) and article pages (/articles/<id>)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urlencode, urlsplit

from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup

from indexer.assist.related import related
from indexer.config import VN_TZ
from indexer.schema import NO_DATE
from indexer.search import FACET_FIELDS, SearchRequest, SearchResult, Wanted, highlight, parse_query
from indexer.text.clean import display_title
from indexer.text.names import display_name
from indexer.text.regions import region_parent
from webapp.assist import assist
from webapp.core import find_article, index_dir, indexed_regions, run_search, snapshot
from webapp.timeline import build_timeline
from webapp.validation import MAX_RESULTS_DEPTH, ParamError, parse_query_text, search_request

views = Blueprint("views", __name__)

EXAMPLES = ["dai hoi dang", "bão lũ miền Trung", "giá xăng", '"Ngân hàng Nhà nước"', '"đại hội Đảng"',
            "bóng đá -futsal"]
_examples_found: dict[tuple[str, int], list[str]] = {}  # (index folder, generation) -> examples with results


def examples_found() -> list[str]:
    """The example queries that find something in this index (the one-article seed index too)."""
    key = (index_dir(), snapshot().generation)
    if key not in _examples_found:
        _examples_found.clear()
        _examples_found[key] = [q for q in EXAMPLES if run_search(
            SearchRequest(q=q, per_page=1, facets=False, highlight=False), suggest=False).total]
    return _examples_found[key]
FACET_LABELS = {"source": "Nguồn tin", "category": "Chuyên mục", "region": "Tỉnh/thành"}
SORT_LABELS = {"relevance": "Liên quan nhất", "newest": "Mới nhất"}
FACET_VISIBLE = 6  # values shown before "Xem thêm"


# -- formatting ----------------------------------------------------------------------------------

@views.app_template_filter("vn_number")
def vn_number(n: float, decimals: int = 0) -> str:
    """1234567 → '1.234.567'; decimals use a comma: 0.02 → '0,02'."""
    text = f"{n:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _published(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when.astimezone(VN_TZ) if when.tzinfo else when


@views.app_template_filter("vn_date")
def vn_date(value: str | None, with_time: bool = False) -> str:
    """ISO 8601 → 'dd/mm/yyyy' (Vietnam time), with ' HH:MM' when asked and known."""
    when = _published(value)
    if when is None:
        return ""
    text = when.strftime("%d/%m/%Y")
    if with_time and (when.hour or when.minute):
        text += when.strftime(" %H:%M")
    return text


views.add_app_template_filter(display_title, "display_title")


@views.app_template_filter("longest_word")
def longest_word(text: str) -> int:
    """Characters in the longest word of ``text`` (a facet value that long may break inside it)."""
    return max((len(w) for w in text.split()), default=0)


@views.app_template_filter("iso_date")
def iso_date(value: str | None) -> str:
    when = _published(value)
    return when.isoformat() if when else ""


def is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def host_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


# -- the search page -----------------------------------------------------------------------------

@dataclass
class Facet:
    name: str
    label: str
    values: list[tuple[str, int, bool]]  # (value, count, selected)
    labels: dict[str, str] = field(default_factory=dict)  # shown instead of a value: "Quảng Trị › Quảng Bình …"

    @property
    def more_selected(self) -> bool:
        return any(sel for _, _, sel in self.values[FACET_VISIBLE:])


def _facets(result: SearchResult, req: SearchRequest) -> list[Facet]:
    out = []
    for name in FACET_FIELDS:
        selected = list(dict.fromkeys(display_name(name, v) for v in getattr(req, name)))  # either form
        rows = result.facets.get(name, [])
        counts = {f["value"]: f["count"] for f in rows}
        values = [(v, c, display_name(name, v) in selected) for v, c in counts.items()]
        shown = {display_name(name, v) for v in counts}
        values += [(v, 0, True) for v in selected if v not in shown]  # keep them uncheckable
        # a former province under its successor: "Quảng Trị › Quảng Bình (trước 7/2025)"
        labels = {f["value"]: f"{f['parent']} › {f['value']}" for f in rows if f.get("parent")}
        labels.update({v: f"{p} › {v}" for v in selected if v not in shown and (p := region_parent(v))})
        if values:
            out.append(Facet(name, FACET_LABELS[name], values, labels))
    return out


class Links:
    """URLs for the search page that keep the current parameters."""

    def __init__(self, req: SearchRequest):
        self.req = req

    def params(self, **change: object) -> list[tuple[str, str]]:
        r = self.req
        base: dict[str, object] = {"q": r.q, "sort": r.sort if r.sort != "relevance" else None,
                                   "from": r.date_from.isoformat() if r.date_from else None,
                                   "to": r.date_to.isoformat() if r.date_to else None,
                                   "per_page": r.per_page if r.per_page != 10 else None,
                                   "group": r.group, "collapse": None if r.collapse else "false"}
        for name in FACET_FIELDS:
            base[name] = getattr(r, name)
        base.update(change)
        pairs: list[tuple[str, str]] = []
        for k, v in base.items():
            for item in v if isinstance(v, list) else [v]:
                if item not in (None, ""):
                    pairs.append((k, str(item)))
        return pairs

    def url(self, **change: object) -> str:
        return "/?" + urlencode(self.params(**change))

    def page(self, n: int) -> str:
        return self.url(page=n if n > 1 else None)

    def sort(self, key: str) -> str:
        return self.url(sort=key if key != "relevance" else None)

    def feed(self) -> str:
        """The Atom feed of this query and its filters (always newest first)."""
        return "/feed.atom?" + urlencode(self.params(sort=None, per_page=None))

    def export(self, extension: str) -> str:
        """The whole result list (up to 10,000) as a file: ``csv`` or ``jsonl``."""
        return f"/search.{extension}?" + urlencode(self.params(per_page=None))

    def group(self, group_id: str) -> str:
        """The articles of one story group among the results ("N bài tương tự")."""
        return self.url(group=group_id, collapse="false", page=None)

    def ungrouped(self) -> str:
        """Back from a story group to all results."""
        return self.url(group=None, collapse=None, page=None)

    def unfiltered(self) -> str:
        return self.url(**{name: [] for name in FACET_FIELDS}, **{"from": None, "to": None})


def _pages(current: int, last: int, width: int = 2) -> list[int | None]:
    """Page numbers around ``current`` with the first and last; None marks a gap."""
    keep = {1, last, *range(current - width, current + width + 1)}
    out: list[int | None] = []
    for n in sorted(p for p in keep if 1 <= p <= last):
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


@views.get("/")
def index() -> tuple[str, int] | str:
    """The search page; without a query, a short introduction."""
    try:
        q = parse_query_text(request.args)
    except ParamError as e:
        return render_template("index.html", q="", error=e.message_vi, examples=EXAMPLES), 400
    try:
        req = search_request(q, request.args, indexed_regions)  # without a query too: the contract is one
    except ParamError as e:
        return render_template("index.html", q=q, error=e.message_vi, examples=EXAMPLES), 400
    if not q:
        return render_template("index.html", q="", examples=examples_found(), documents=snapshot().doc_count)
    result = run_search(req)
    last = max(1, min(-(-result.total // req.per_page), MAX_RESULTS_DEPTH // req.per_page))
    filtered = any(getattr(req, n) for n in FACET_FIELDS) or bool(req.date_from or req.date_to)
    hits = [{"hit": h, "external": is_web_url(h.url), "host": host_of(h.url) if is_web_url(h.url) else "",
             "local": "/articles/" + _quote_id(h.id) + "?" + urlencode({"q": q})} for h in result.hits]
    links = Links(req)
    return render_template(
        "index.html", q=q, req=req, result=result, hits=hits, facets=_facets(result, req),
        links=links, pages=_pages(req.page, last), last_page=last, filtered=filtered,
        sorts=SORT_LABELS, examples=EXAMPLES, timeline=build_timeline(result, req, links.url))


def _quote_id(article_id: str) -> str:
    return quote(article_id, safe="/")


# -- article pages -------------------------------------------------------------------------------

@views.get("/articles/<path:article_id>")
def article(article_id: str) -> str:
    """One article in full, the query's words marked when ?q= is given."""
    stored = find_article(article_id)
    if stored is None:
        abort(404)
    try:
        q = parse_query_text(request.args)
    except ParamError:
        q = ""
    when = _published(stored.get("published"))
    minute = int(when.replace(tzinfo=when.tzinfo or VN_TZ).timestamp() // 60) if when else NO_DATE
    # a successor province's name is marked only in articles published after the merger
    wanted = Wanted.of_query(parse_query(q), assist().reading(q)).at(minute) if q else None

    def mark(text: str) -> Markup:
        return Markup(highlight(text, wanted)) if wanted else Markup.escape(text)

    try:
        similar = related(index_dir(), stored["id"], limit=5)
    except Exception:  # the article is worth showing without them
        current_app.logger.exception("related articles failed for %r", article_id)
        similar = []
    paragraphs = [mark(p.strip()) for p in stored.get("body", "").split("\n") if p.strip()]
    url = stored.get("url", "")
    return render_template(
        "article.html", q=q, a=stored, title_html=mark(stored.get("title", "")),
        lead_html=mark(stored.get("lead", "")) if stored.get("lead") else None, paragraphs=paragraphs,
        url=url if is_web_url(url) else "", host=host_of(url) if is_web_url(url) else "",
        regions=[r for r in stored.get("region", "").split(",") if r],
        related=[{**r, "local": "/articles/" + _quote_id(r["id"])} for r in similar])
