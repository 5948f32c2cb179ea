"""Search: query → ranked, filtered, faceted and highlighted results.

Used alike by the command line and the web app.  The query is parsed (``query``), the matching
articles scored (``matching``, ``ranking``), filtered and counted by facet (``filters``), the
top ones re-ranked by their titles (``ranking``) and highlighted (``highlight``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from indexer.config import default_index_dir
from indexer.fields import HIT_FIELDS, JSON_FIELDS
from indexer.schema import NO_DATE
from indexer.search.collapse import group_counts, representatives
from indexer.search.filters import facets, filters, no_facets
from indexer.search.highlight import Wanted, highlight, snippet
from indexer.search.matching import Matched, match
from indexer.search.query import parse_query
from indexer.search.ranking import Ranking, near_in_time, rerank_titles
from indexer.search.ties import article_ids, tie_order
from indexer.shard.manifest import is_sharded
from indexer.store.engine import Snapshot, get_engine
from indexer.text.clean import display_title

MAX_PER_PAGE = 100  # results per page of the API and the search page
MAX_HITS = 10_000  # results one search can return at once (an export's per_page); deeper ones are never served
SORTS = ("relevance", "newest", "oldest")
DATE_SORTS = ("newest", "oldest")  # list only the articles with every query word (``Matched.strong``)


@dataclass
class SearchRequest:
    """What to search for; validated by the caller (the API returns 400s)."""

    q: str
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    source: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    facets: bool = True
    highlight: bool = True
    collapse: bool = True  # one result per story group (indexer.search.collapse)
    group: str | None = None  # only the articles of this story group
    # the query with diacritics restored, words bound to a neighbour joined by "_" ("bóng_đá việt_nam"):
    # highlights then follow that reading (``indexer.assist.diacritics.DiacriticModel.reading``)
    reading: str | None = None


@dataclass
class Hit:
    """One search result; its fields are those of ``indexer.fields.FIELDS`` with ``hit`` set."""

    id: str
    title: str
    url: str
    source: str
    category: str
    author: str
    published: str | None
    score: float
    title_html: str
    snippet_html: str
    lead: str = ""
    region: list[str] = field(default_factory=list)
    group: str = ""
    group_size: int = 1  # articles of its story group among the results (itself included)
    docnum: int = -1

    def to_json(self) -> dict:
        return {f.name: getattr(self, f.name) for f in JSON_FIELDS}


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit]
    facets: dict[str, list[dict]]
    relaxed: bool = False  # no article had all the words, so articles with most of them are shown
    suggestion: str | None = None
    partial: bool = False  # a sharded index answered without some shards (named in missing_shards)
    missing_shards: list[int] = field(default_factory=list)
    # articles (after filters) with every query word, as the date sorts list and the facets count;
    # ``total`` is the same for the date sorts, and may be larger for relevance (weaker matches below)
    all_words: int = 0

    def to_json(self) -> dict:
        out = {"query": self.query, "total": self.total, "page": self.page, "per_page": self.per_page,
               "took_ms": round(self.took_ms, 2), "results": [h.to_json() for h in self.hits],
               "facets": self.facets, "suggestion": self.suggestion, "all_words": self.all_words}
        if self.partial:
            out.update(partial=True, missing_shards=self.missing_shards)
        return out


def facet_base(m: Matched) -> np.ndarray:
    """What the facets count: the articles with every query word (``Matched.strong``), or, when no
    article has all the words (``relaxed``), the articles listed in their place."""
    return m.matched if m.relaxed else m.strong


def _top(order_key: np.ndarray, candidates: np.ndarray, k: int, descending: bool = True,
         snap: Snapshot | None = None) -> np.ndarray:
    """The ``k`` best ``candidates`` by ``order_key``; equal keys by article id when ``snap`` is given."""
    if k <= 0 or not len(candidates):
        return candidates[:0]
    keys = order_key[candidates]
    if descending:
        keys = -keys
    if k < len(candidates):  # the k best, and every candidate tied with the k-th
        part = np.flatnonzero(keys <= keys[np.argpartition(keys, k - 1)[k - 1]])
    else:
        part = np.arange(len(candidates))
    docs = candidates[part]
    ids_of = None if snap is None else (lambda pos: article_ids(snap, docs[pos]))
    return docs[tie_order(keys[part], ids_of, limit=k)][:k]


@dataclass
class Candidates:
    """The matching articles of a request, before the title re-ranking and paging."""

    passing: np.ndarray  # documents passing the filters
    docs: np.ndarray  # the articles listed (one per story group with collapse), by docnum
    key: np.ndarray  # the order's key per document (``sort_key``)
    top: np.ndarray  # the best ``k`` (date sorts) or ``max(k, rerank_depth)`` (relevance) of ``docs``
    group_sizes: dict[int, int]  # matching articles of each story group (``collapse.group_counts``)
    head: int = 0  # relevance: how many of ``top``, from the first, the title re-ranking looks at


def top_candidates(snap: Snapshot, req: SearchRequest, m: Matched, rank: Ranking, k: int,
                   grouped: np.ndarray) -> Candidates:
    """The request's candidates and their best ``k`` (one index, or one shard of a sharded one).

    The date sorts list only the articles with every word (relevance keeps weaker ones below them);
    ``grouped``: the documents whose story group has other articles (in the whole index).
    """
    passing = filters(snap, req)
    docs = np.flatnonzero((m.strong if req.sort in DATE_SORTS else m.matched) & passing)
    sizes = group_counts(docs, snap.group_keys, grouped)
    key, descending = sort_key(snap, req, m.score)
    need = k if req.sort in DATE_SORTS else max(k, rank.rerank_depth)
    if req.collapse:
        docs = representatives(docs, key, snap.group_keys, grouped, descending,
                               ids_of=lambda d: article_ids(snap, d),
                               limit=need if req.sort in DATE_SORTS else max(need, rank.rerank_titled))
    top = _top(key, docs, need, descending=descending, snap=snap)
    head = 0
    if req.sort not in DATE_SORTS:
        top, head = _with_titled(snap, top, docs, key, m, rank)
    return Candidates(passing, docs, key, top, sizes, head)


def _with_titled(snap: Snapshot, top: np.ndarray, docs: np.ndarray, key: np.ndarray, m: Matched,
                 rank: Ranking) -> tuple[np.ndarray, int]:
    """``top`` with the re-ranking's candidates first, and how many they are: the best
    ``rank.rerank_depth`` by score, then those of the best ``rank.rerank_titled`` whose title holds
    every word of the query (``Matched.titled``), by score.

    The re-ranking judges titles, but the order by score is BM25 over the whole article: when many
    titles hold the query's words (~60 have "Trung Quốc … ông Trump"), one with a long body can
    fall just below the top ``rank.rerank_depth`` and never have its title compared.
    """
    head = min(len(top), rank.rerank_depth)
    if m.titled is None or len(docs) <= head:
        return top, head
    return extend_to_titled(top, lambda: top if len(top) >= rank.rerank_titled else
                            _top(key, docs, rank.rerank_titled, snap=snap), m.titled, head, rank.rerank_titled)


def extend_to_titled(top: np.ndarray, deeper: Callable[[], np.ndarray], titled: np.ndarray, head: int,
                     limit: int) -> tuple[np.ndarray, int]:
    """``top`` (re-ranked on its first ``head``) with the titled ones of ``deeper()[head:limit]`` moved
    into the re-ranked head, and the head's new length; unchanged unless the cut at ``head`` falls among
    the titles holding every word (``titled``, indexed as ``top``'s values are).  One index
    (``_with_titled``) and the merged shards (``indexer.shard.coordinator``) both decide with it."""
    if limit <= head or not head or not titled[top[head - 1]]:
        return top, head  # the cut is not inside the titles holding every word
    extra = deeper()[head:limit]
    extra = extra[titled[extra]]
    if not len(extra):
        return top, head
    rest = top[head:]
    rest = rest[~np.isin(rest, extra)]
    return np.concatenate([top[:head], extra, rest]), head + len(extra)


def event_dates(snap: Snapshot, m: Matched, docs: np.ndarray) -> np.ndarray:
    """Each of ``docs``'s publication minute as ``near_in_time`` reads it: ``NO_DATE`` (no gain) for an
    undated article and for one holding a word of the query only through an alternative (a query
    naming a province finds its former parts below the articles naming it, whenever published)."""
    dates = snap.published[docs].astype(np.int64)
    return dates if m.stand_in is None else np.where(m.stand_in[docs], NO_DATE, dates)


def sort_key(snap: Snapshot, req: SearchRequest, score: np.ndarray) -> tuple[np.ndarray, bool]:
    """(key per document, descending) of the request's order, before the title re-ranking."""
    if req.sort == "newest":
        return snap.published.astype(np.float64) * 1e3 + score, True
    if req.sort == "oldest":
        return np.where(snap.published == NO_DATE, np.inf, snap.published), False
    return score, True


def _hit(snap: Snapshot, docnum: int, score: float, wanted: Wanted, with_html: bool) -> Hit:
    stored = dict(snap.searcher.stored_fields(docnum))
    stored["title"] = display_title(stored.get("title", ""))  # the full title is searched, a long one shown cut
    wanted = wanted.at(int(snap.published[docnum]))  # a successor province's name: marked only after the merger
    if with_html:
        lead, body = stored.get("lead", ""), stored.get("body", "")
        title_html = highlight(stored.get("title", ""), wanted)
        snippet_html = snippet(lead, wanted, require_hit=True) or snippet(body, wanted) or snippet(lead, wanted)
    else:
        title_html = snippet_html = ""
    hit = Hit(**{f.name: f.hit_value(stored) for f in HIT_FIELDS}, score=round(float(score), 4),
              title_html=title_html, snippet_html=snippet_html, docnum=docnum)
    hit.group = hit.group or hit.id  # articles indexed before story groups: alone
    return hit


def search(req: SearchRequest, index_dir: str | Path | None = None,
           rank: Ranking | None = None) -> SearchResult:
    """Run one search; ``req`` must already be valid (see webapp.api for validation).

    A sharded index (``indexer.shard``) is searched shard by shard in this process and merged.
    """
    index_dir = index_dir or default_index_dir()
    if is_sharded(index_dir):
        from indexer.shard.coordinator import search_index

        return search_index(req, index_dir, rank)
    started = time.perf_counter()
    rank = rank or Ranking.from_env()
    snap = get_engine(index_dir).snapshot()
    parsed = parse_query(req.q)
    per_page = max(1, min(req.per_page, MAX_HITS))
    page = max(1, req.page)
    if parsed.empty or snap.size == 0:
        return SearchResult(req.q, 0, page, per_page, (time.perf_counter() - started) * 1000, [],
                            no_facets())
    m = match(snap, parsed, rank)
    grouped = snap.grouped_mask()
    c = top_candidates(snap, req, m, rank, page * per_page, grouped)
    all_words = int(np.count_nonzero(m.strong & c.passing))
    sizes, candidates, k = c.group_sizes, c.docs, page * per_page
    if req.sort in DATE_SORTS:
        docs = c.top
    else:
        # the same top articles are re-ranked whatever the page, so pages never overlap
        top = c.top
        depth = c.head
        words = parsed.typed_words()
        head, scores = rerank_titles(snap, top[:depth], m.score, words, rank, parsed.pair_breaks())
        if words:  # the shards' coordinator re-orders under the same condition
            head, scores = near_in_time(head, scores, event_dates(snap, m, head), rank,
                                        lambda pos: article_ids(snap, head[pos]))
        m.score[head] = scores
        docs = np.concatenate([head, top[depth:]])[:k]
    docs = docs[(page - 1) * per_page :]
    wanted = Wanted.of_query(parsed, req.reading)
    hits = [_hit(snap, int(d), float(m.score[d]), wanted, req.highlight) for d in docs]
    for hit, d in zip(hits, docs):
        hit.group_size = sizes.get(int(snap.group_keys[d]), 1) if grouped[d] else 1
    facet_counts = facets(snap, req, facet_base(m)) if req.facets else no_facets()
    took = (time.perf_counter() - started) * 1000
    return SearchResult(req.q, len(candidates), page, per_page, took, hits, facet_counts, m.relaxed,
                        all_words=all_words)
