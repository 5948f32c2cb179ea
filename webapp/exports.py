"""Results to take away: GET /search.csv and /search.jsonl (exports), GET /feed.atom (an Atom 1.0 feed).

All three take the query and filters of /search (``webapp.validation``); a bad parameter is the
usual 400 JSON error.

* **Exports** stream up to 10,000 results (``limit``, default all of them) in the order asked
  (``sort``), as ``indexer.search.export`` writes them, with a ``Content-Disposition`` file name
  built from the query: an ASCII one for old clients and ``filename*=UTF-8''…`` (RFC 6266).
* **The feed** holds the newest ``FEED_ENTRIES`` dated articles with every word of the query
  (strong matches: when no article has them all the search falls back to the "relaxed" matches,
  and the feed is then empty rather than full of articles that are not about the topic).  Note:
  the feed is ``sort=newest``, which issue 15 makes strict in the search core (a date sort over
  strong matches only, even when some weak ones exist); this check is the feed's own guarantee.
  Its ``ETag`` is a hash of the feed's body, its ``Last-Modified`` the time of the index's last
  commit (the feed can change only then); ``If-None-Match`` / ``If-Modified-Since`` that still
  hold get ``304 Not Modified``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape, quoteattr

from flask import Blueprint, Response, request, url_for
from unidecode import unidecode

from indexer.config import VN_TZ
from indexer.search import FACET_FIELDS, Hit, SearchRequest
from indexer.search.export import csv_lines, jsonl_lines
from indexer.shard.manifest import shard_dirs
from webapp.core import index_dir, indexed_regions, run_search, snapshot
from webapp.validation import parse_export_args, parse_feed_args

exports = Blueprint("exports", __name__)

ATOM_TYPE = "application/atom+xml"
FEED_NAMESPACE = uuid.UUID("5b0f3a52-7d1e-4c55-9a55-1b2f4d7e0c11")  # entry and feed ids: uuid5 in this


# -- exports ---------------------------------------------------------------------------------------

@exports.get("/search.csv")
def search_csv() -> Response:
    return _export("csv", "text/csv; charset=utf-8", csv_lines)


@exports.get("/search.jsonl")
def search_jsonl() -> Response:
    return _export("jsonl", "application/x-ndjson; charset=utf-8", jsonl_lines)


def _export(extension: str, content_type: str, lines) -> Response:
    req = parse_export_args(request.args, indexed_regions)
    hits = run_search(req, suggest=False).hits  # one snapshot for the whole export
    resp = Response(_encoded(lines(hits)), content_type=content_type)
    resp.headers["Content-Disposition"] = content_disposition(export_filename(req.q, extension))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _encoded(pieces: Iterable[str], size: int = 64 * 1024) -> Iterator[bytes]:
    """UTF-8 chunks of about ``size`` bytes (one write per chunk, not per row)."""
    buffer: list[str] = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer).encode("utf-8")
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def export_filename(q: str, extension: str) -> str:
    """``timtin-<query>.<extension>``: the query's letters and digits, words joined by '-' (≤ 60 chars)."""
    words = re.findall(r"\w+", unicodedata.normalize("NFC", q.lower()))
    stem = "-".join(words)[:60].strip("-") or "ket-qua"
    return f"timtin-{stem}.{extension}"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` (diacritics removed) and the exact ``filename*`` (RFC 6266)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", unidecode(filename)).strip("-") or "timtin"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


# -- the feed ----------------------------------------------------------------------------------------

@exports.get("/feed.atom")
def feed_atom() -> Response:
    req = parse_feed_args(request.args, indexed_regions)
    snapshot()  # 503 without an index, before anything else
    result = run_search(req, suggest=False)
    hits = [] if result.relaxed else [h for h in result.hits if _rfc3339(h.published)]
    modified = last_commit()
    body = atom_feed(req, hits, modified).encode("utf-8")
    resp = Response(body, content_type=ATOM_TYPE + "; charset=utf-8")
    resp.set_etag(hashlib.blake2b(body, digest_size=16).hexdigest())
    resp.last_modified = modified
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.make_conditional(request)  # 304 (no body) when the client's copy is still current
    return resp


def last_commit() -> datetime:
    """When the index (any shard) last committed: the newest table of contents, to the second."""
    newest = max((p.stat().st_mtime for d in shard_dirs(index_dir()) for p in d.glob("_MAIN_*.toc")), default=0.0)
    return datetime.fromtimestamp(int(newest), UTC)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: str) -> str:
    """Escaped XML text (characters XML 1.0 cannot hold are dropped)."""
    return escape(_XML_ILLEGAL.sub("", value))


def _attr(value: str) -> str:
    return quoteattr(_XML_ILLEGAL.sub("", value))


def _rfc3339(value: str | datetime | None) -> str:
    """RFC 3339 date-time ('' when ``value`` is missing or not ISO 8601)."""
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return ""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=VN_TZ)  # naive times are Vietnam time
    return when.isoformat(timespec="seconds")


def _query_params(req: SearchRequest) -> list[tuple[str, str]]:
    pairs = [("q", req.q)] + [(name, v) for name in FACET_FIELDS for v in getattr(req, name)]
    if req.date_from:
        pairs.append(("from", req.date_from.isoformat()))
    if req.date_to:
        pairs.append(("to", req.date_to.isoformat()))
    return pairs


def atom_feed(req: SearchRequest, hits: list[Hit], modified: datetime) -> str:
    """The Atom 1.0 document (RFC 4287) of ``hits``, newest first."""
    params = _query_params(req)
    page_url = url_for("views.index", _external=True) + "?" + urlencode(params + [("sort", "newest")])
    self_url = url_for("exports.feed_atom", _external=True) + "?" + urlencode(params)
    feed_id = uuid.uuid5(FEED_NAMESPACE, "feed?" + urlencode(params))
    updated = max((_rfc3339(h.published) for h in hits if h.published), default=_rfc3339(modified),
                  key=datetime.fromisoformat)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="vi">',
        f"<id>urn:uuid:{feed_id}</id>",
        f"<title>{_text('Tìm tin: ' + req.q)}</title>",
        f"<subtitle>{_text('Các bài mới nhất có đủ mọi từ của “' + req.q + '”')}</subtitle>",
        f"<updated>{updated}</updated>",
        f'<link rel="self" type="{ATOM_TYPE}" href={_attr(self_url)}/>',
        f'<link rel="alternate" type="text/html" href={_attr(page_url)}/>',
        "<author><name>Tìm tin</name></author>",
        "<generator>timtin</generator>",
    ]
    for h in hits:
        out.append(_entry(h))
    out.append("</feed>\n")
    return "\n".join(out)


def _entry(h: Hit) -> str:
    local = url_for("views.article", article_id=h.id, _external=True)
    link = h.url if h.url.startswith(("http://", "https://")) else local
    when = _rfc3339(h.published)
    parts = [
        "<entry>",
        f"<id>urn:uuid:{uuid.uuid5(FEED_NAMESPACE, 'article:' + h.id)}</id>",
        f"<title>{_text(h.title)}</title>",
        f'<link rel="alternate" type="text/html" href={_attr(link)}/>',
        f'<link rel="related" type="text/html" href={_attr(local)}/>',
        f"<published>{when}</published>",
        f"<updated>{when}</updated>",
    ]
    if h.author or h.source:
        parts.append(f"<author><name>{_text(h.author or h.source)}</name></author>")
    if h.category:
        parts.append(f"<category term={_attr(h.category)}/>")
    if h.snippet_html or h.lead:
        summary = h.snippet_html or _text(h.lead)
        parts.append(f'<summary type="html">{_text(summary)}</summary>')
    parts.append("</entry>")
    return "".join(parts)
