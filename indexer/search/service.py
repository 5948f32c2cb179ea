"""Search: query → ranked, filtered, faceted and highlighted results.

Used alike by the command line and the web app.  Ranking is a BM25 sum over the
folded title, lead and body fields (title and lead weigh more), plus:

* exact-form evidence when a query word carries diacritics (so "bán nhà" ranks
  before "bạn nhà"); without diacritics all forms count alike;
* word-pair and compound evidence for words typed next to each other (proximity);
* coverage: articles with more of the query's words, in the title above all, first;
* a mild, configurable preference for recent articles;
* then the top 50 are re-ranked by their titles: the query's words in order, adjacent
  (or nearly adjacent) pairs and exact forms (each share raised to a power, so near-complete titles gain).

Acronym and province-name alternatives come from ``indexer.search.query`` and weigh less.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np

from indexer.analysis import Term, pair_key, split_codes, syllables
from indexer.config import VN_TZ, default_index_dir
from indexer.schema import EXACT, FOLDED, NO_DATE, PAIRS, TEXT_PARTS
from indexer.search.highlight import Wanted, highlight, snippet
from indexer.search.phrase import phrase_docs
from indexer.search.query import Item, ParsedQuery, parse_query, required
from indexer.store.engine import Snapshot, get_engine

MAX_PER_PAGE = 100
SORTS = ("relevance", "newest", "oldest")
FACET_FIELDS = ("source", "category", "region")


@dataclass(frozen=True)
class Ranking:
    """Ranking weights; tuned on the dev queries (see benchmarks/RESULTS.md)."""

    title: float = 3.0
    lead: float = 1.4  # kept above body ("title and lead count more"); 0 would score +0.5 pt on the dev set
    body: float = 1.33
    exact: float = 0.3  # share of a word's weight given to its exact form, when the query has diacritics
    pairs: float = 1.0
    compounds: float = 0.5
    phrase: float = 2.0
    coverage: float = 16.0  # added per share of the query's words found anywhere (squared)
    title_coverage: float = 6.0  # added per share of the query's words found in the title
    recency: float = 0.5  # at most this much for the newest article, halving every recency_days
    recency_days: float = 365.0
    min_match: float = 0.6  # share of words an article must have (rounded up) to match
    title_order: float = 60.0  # re-ranking: share of the query's words found in order in the title
    title_pairs: float = 60.0  # re-ranking: share of the query's word pairs found adjacent in the title
    title_near_pairs: float = 0.67  # re-ranking: a pair with one word between counts this much of an adjacent one
    title_exact: float = 5.0  # re-ranking: share of the words found in exact form in the title
    title_length: float = 0.0  # re-ranking: penalty per log of the title's length in words
    title_power: float = 6.0  # re-ranking: exponent on the shares (higher: only near-complete titles gain)
    rerank_depth: int = 50  # how many top articles the title re-ranking looks at
    k1: float = 2.4
    b: float = 0.56

    @classmethod
    def from_env(cls) -> Ranking:
        """Defaults, overridden by TIMTIN_RANK_<NAME> environment variables."""
        over = {}
        for f in fields(cls):
            raw = os.environ.get(f"TIMTIN_RANK_{f.name.upper()}")
            if raw is not None:
                over[f.name] = float(raw)
        return replace(cls(), **over)


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


@dataclass
class Hit:
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
    docnum: int = -1

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in ("id", "title", "url", "source", "category", "author",
                                              "published", "score", "title_html", "snippet_html")}


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

    def to_json(self) -> dict:
        return {"query": self.query, "total": self.total, "page": self.page, "per_page": self.per_page,
                "took_ms": round(self.took_ms, 2), "results": [h.to_json() for h in self.hits],
                "facets": self.facets, "suggestion": self.suggestion}


# -- scoring -------------------------------------------------------------------------------------


class _Scorer:
    """Accumulates BM25 evidence for one query over one snapshot."""

    def __init__(self, snap: Snapshot, rank: Ranking):
        self.snap = snap
        self.rank = rank
        self.n = max(snap.doc_count, 1)
        self.score = np.zeros(snap.size, dtype=np.float32)

    def bm25(self, fieldname: str, text: str, weight: float, present: np.ndarray | None = None) -> None:
        ids, tf = self.snap.postings(fieldname, text)
        if not len(ids):
            return
        df = len(ids)
        idf = math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))
        k1, b = self.rank.k1, self.rank.b
        dl = self.snap.lengths(fieldname)[ids]
        norm = k1 * (1.0 - b + b * dl / self.snap.avg_length.get(fieldname, 1.0))
        self.score[ids] += (weight * idf * (k1 + 1.0)) * tf / (tf + norm)
        if present is not None:
            present[ids] = True

    def word(self, w: Term, weight: float = 1.0, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Add one word's evidence; return (present anywhere, present in the title).

        With ``exact`` (the query has diacritics) part of the word's weight goes to its exact
        form, so "bán" ranks articles with "bán" above those with only "bạn" or "ban".
        """
        size = self.snap.size
        anywhere = np.zeros(size, dtype=bool)
        in_title = np.zeros(size, dtype=bool)
        share = self.rank.exact if exact else 0.0
        for part in TEXT_PARTS:
            part_weight = getattr(self.rank, part) * weight
            self.bm25(FOLDED[part], w.folded, part_weight * (1.0 - share), anywhere)
            if share:
                self.bm25(EXACT[part], w.exact, part_weight * share)
        ids, _ = self.snap.postings(FOLDED["title"], w.folded)
        in_title[ids] = True
        return anywhere, in_title

    def adjacency(self, words: list[Term], weight: float = 1.0, exact: bool = False) -> None:
        """Pair and compound evidence for words typed next to each other."""
        for a, b in zip(words, words[1:]):
            self.bm25(PAIRS, pair_key(a.folded, b.folded), self.rank.pairs * weight)
        for n in (2, 3):
            for i in range(len(words) - n + 1):
                run = words[i : i + n]
                for part in ("title", "lead"):
                    part_weight = getattr(self.rank, part) * self.rank.compounds * weight
                    self.bm25(FOLDED[part], "_".join(w.folded for w in run), part_weight)
                    if exact:
                        self.bm25(EXACT[part], "_".join(w.exact for w in run), part_weight * self.rank.exact)


def _adjacent_mask(snap: Snapshot, words: tuple[Term, ...]) -> np.ndarray:
    """Documents with every consecutive pair of ``words`` adjacent (folded): a cheap phrase test."""
    mask = np.ones(snap.size, dtype=bool)
    for a, b in zip(words, words[1:]):
        mask &= snap.term_mask(PAIRS, pair_key(a.folded, b.folded))
    return mask


PHRASE_CHECK_LIMIT = 2000  # candidates checked against positions; beyond this, pair adjacency decides


def _phrase_mask(snap: Snapshot, item: Item) -> np.ndarray:
    """Documents where the item's words are adjacent (exact forms when typed with diacritics).

    Candidates come from the word-pair field (every consecutive pair adjacent, folded), with
    the exact words present when typed with diacritics; phrases of 3 to 8 words with at most
    2,000 candidates are confirmed with positions.  Otherwise the candidates are the answer:
    exact for two words typed without diacritics, very close for the rest.
    """
    words = item.words
    exact = item.accented
    candidates = _adjacent_mask(snap, words) & snap.live
    if exact:
        for w in words:
            candidates &= _word_mask(snap, w, exact=True)
    ids = np.flatnonzero(candidates)
    if len(words) == 2 or len(words) > 8 or not len(ids) or len(ids) > PHRASE_CHECK_LIMIT:
        return candidates  # two words: the pair field is the phrase; otherwise too costly to confirm
    confirmed = np.zeros(snap.size, dtype=bool)
    for part in TEXT_PARTS:
        if exact and part != "body":
            fieldname, terms = EXACT[part], [w.exact for w in words]
        else:  # the body keeps exact counts only: folded positions plus the exact words above
            fieldname, terms = FOLDED[part], [w.folded for w in words]
        try:
            confirmed[phrase_docs(snap, fieldname, terms, ids)] = True
        except Exception:  # a positions problem must not fail the search: keep the candidates
            return candidates
    return confirmed


def _word_mask(snap: Snapshot, w: Term, exact: bool) -> np.ndarray:
    mask = np.zeros(snap.size, dtype=bool)
    for part in TEXT_PARTS:
        fieldname, text = (EXACT[part], w.exact) if exact else (FOLDED[part], w.folded)
        mask[snap.postings(fieldname, text)[0]] = True
    return mask


def _minutes(d: date, end: bool = False) -> int:
    """Minutes since the epoch at the start (or the end) of a day in Vietnam time."""
    start = int(datetime(d.year, d.month, d.day, tzinfo=VN_TZ).timestamp() // 60)
    return start + 1439 if end else start


def _filters(snap: Snapshot, req: SearchRequest, skip: str | None = None) -> np.ndarray:
    mask = snap.live.copy()
    for name in FACET_FIELDS:
        values = getattr(req, name)
        if values and name != skip:
            any_of = np.zeros(snap.size, dtype=bool)
            for v in values:
                any_of |= snap.term_mask(name, v)
            mask &= any_of
    if req.date_from:
        mask &= snap.published >= _minutes(req.date_from)
    if req.date_to:
        mask &= (snap.published <= _minutes(req.date_to, end=True)) & (snap.published != NO_DATE)
    return mask


def _facets(snap: Snapshot, req: SearchRequest, matched: np.ndarray, top: int = 30) -> dict[str, list[dict]]:
    """Counts per value over the whole result set; a facet ignores only its own filter."""
    out: dict[str, list[dict]] = {}
    for name in FACET_FIELDS:
        base = matched & _filters(snap, req, skip=name)
        values, docs, codes = snap.facet_table(name)
        counts = np.bincount(codes[base[docs]], minlength=len(values)) if len(values) else []
        order = sorted((i for i, c in enumerate(counts) if c), key=lambda i: (-counts[i], values[i]))
        out[name] = [{"value": values[i], "count": int(counts[i])} for i in order[:top]]
    return out


@dataclass
class _Matched:
    score: np.ndarray
    matched: np.ndarray  # before filters
    relaxed: bool
    wanted: Wanted


def _evaluate(snap: Snapshot, parsed: ParsedQuery, rank: Ranking) -> _Matched:
    scorer = _Scorer(snap, rank)
    size = snap.size
    cover = np.zeros(size, dtype=np.float32)
    title_cover = np.zeros(size, dtype=np.float32)
    required_mask = np.ones(size, dtype=bool)
    exact = any(w.accented for w in parsed.typed_words())  # the query was typed with diacritics
    for group in parsed.groups:
        anywhere = np.zeros(size, dtype=bool)
        in_title = np.zeros(size, dtype=bool)
        for item in group:
            item_any = np.ones(size, dtype=bool)
            item_title = np.ones(size, dtype=bool)
            for w in item.words:
                a, t = scorer.word(w, item.weight, exact and not item.expansion)
                item_any &= a
                item_title &= t
            if item.phrase:
                pm = _adjacent_mask(snap, item.words) if item.expansion else _phrase_mask(snap, item)
                scorer.score[pm] += rank.phrase * len(item.words) * item.weight
                item_any &= pm
            if item is not group[0] and len(item.words) > 1:
                scorer.adjacency(list(item.words), item.weight)
            anywhere |= item_any
            in_title |= item_title
        cover += anywhere
        title_cover += in_title
        if required(group):
            required_mask &= anywhere
    scorer.adjacency(parsed.typed_words(), exact=exact)
    n = len(parsed.groups)
    share = cover / n
    score = scorer.score + rank.coverage * share * share + rank.title_coverage * (title_cover / n)
    if rank.recency and snap.published.size:
        dated = snap.published != NO_DATE
        if dated.any():
            newest = snap.published[dated].max()
            age_days = (newest - snap.published) / 1440.0
            score += np.where(dated, rank.recency * np.exp2(-age_days / rank.recency_days), 0.0)
    matched = required_mask & (cover >= (n if n <= 2 else math.ceil(rank.min_match * n)))
    relaxed = False
    if not matched.any() and n > 1:
        matched = required_mask & (cover >= 1)
        relaxed = True
    for item in parsed.excluded:
        if item.phrase:
            matched &= ~_phrase_mask(snap, item)
        else:
            matched &= ~_word_mask(snap, item.words[0], exact=item.accented)
    return _Matched(score.astype(np.float32), matched, relaxed, Wanted.of(parsed.words()))


def _top(order_key: np.ndarray, candidates: np.ndarray, k: int, descending: bool = True) -> np.ndarray:
    if k <= 0 or not len(candidates):
        return candidates[:0]
    keys = order_key[candidates]
    if descending:
        keys = -keys
    if k < len(candidates):
        part = np.argpartition(keys, k - 1)[:k]
    else:
        part = np.arange(len(candidates))
    order = part[np.lexsort((candidates[part], keys[part]))]
    return candidates[order]


def _in_order(query: list[str], title: list[str]) -> int:
    """Length of the longest common subsequence of two word lists."""
    prev = [0] * (len(title) + 1)
    for q in query:
        cur = [0]
        for j, t in enumerate(title):
            cur.append(prev[j] + 1 if q == t else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def _rerank(snap: Snapshot, docs: np.ndarray, score: np.ndarray, words: list[Term],
            rank: Ranking) -> tuple[np.ndarray, np.ndarray]:
    """Re-rank the top articles by how closely their titles follow the query's words."""
    if not len(docs) or not words:
        return docs, score[docs]
    words = split_codes(words)
    # words typed with diacritics match only their exact form, the others any form; when at
    # least half the words carry marks, the plain ones mean their exact form too ("vi", not "vì")
    marked = [w.exact for w in words if w.accented]
    exact_words = {w.exact for w in words} if 2 * len(marked) >= len(words) else set(marked)
    qfold = [("=" + w.exact) if w.exact in exact_words else w.folded for w in words]
    qpairs = set(zip(qfold, qfold[1:]))
    accented = {w.exact for w in words} if exact_words else set()
    new = score[docs].astype(np.float64)
    for i, d in enumerate(docs):
        title = snap.searcher.stored_fields(int(d)).get("title", "")
        terms = split_codes(syllables(title))
        tfold = [("=" + t.exact) if t.exact in exact_words else t.folded for t in terms]
        p = rank.title_power
        bonus = rank.title_order * (_in_order(qfold, tfold) / len(qfold)) ** p
        bonus -= rank.title_length * math.log(max(len(tfold), 1))
        if qpairs:
            adjacent = qpairs & set(zip(tfold, tfold[1:]))
            near = (qpairs & set(zip(tfold, tfold[2:]))) - adjacent  # one word between
            found = len(adjacent) + rank.title_near_pairs * len(near)
            bonus += rank.title_pairs * (found / len(qpairs)) ** p
        if accented:
            bonus += rank.title_exact * (len(accented & {t.exact for t in terms}) / len(accented)) ** p
        new[i] += bonus
    order = np.lexsort((docs, -new))
    return docs[order], new[order].astype(np.float32)


def _hit(snap: Snapshot, docnum: int, score: float, wanted: Wanted, with_html: bool) -> Hit:
    stored = snap.searcher.stored_fields(docnum)
    title = stored.get("title", "")
    lead = stored.get("lead", "")
    body = stored.get("body", "")
    if with_html:
        title_html = highlight(title, wanted)
        snippet_html = snippet(lead, wanted, require_hit=True) or snippet(body, wanted) or snippet(lead, wanted)
    else:
        title_html = snippet_html = ""
    return Hit(
        id=stored["id"], title=title, url=stored.get("url", ""), source=stored.get("source", ""),
        category=stored.get("category", ""), author=stored.get("author", ""),
        published=stored.get("published") or None, score=round(float(score), 4),
        title_html=title_html, snippet_html=snippet_html, lead=lead,
        region=[r for r in stored.get("region", "").split(",") if r], docnum=docnum)



def search(req: SearchRequest, index_dir: str | Path | None = None,
           rank: Ranking | None = None) -> SearchResult:
    """Run one search; ``req`` must already be valid (see webapp.api for validation)."""
    started = time.perf_counter()
    rank = rank or Ranking.from_env()
    snap = get_engine(index_dir or default_index_dir()).snapshot()
    parsed = parse_query(req.q)
    per_page = max(1, min(req.per_page, MAX_PER_PAGE))
    page = max(1, req.page)
    if parsed.empty or snap.size == 0:
        return SearchResult(req.q, 0, page, per_page, (time.perf_counter() - started) * 1000, [],
                            {f: [] for f in FACET_FIELDS})
    m = _evaluate(snap, parsed, rank)
    final = m.matched & _filters(snap, req)
    candidates = np.flatnonzero(final)
    k = page * per_page
    if req.sort == "newest":
        docs = _top(snap.published.astype(np.float64) * 1e3 + m.score, candidates, k)
    elif req.sort == "oldest":
        docs = _top(np.where(snap.published == NO_DATE, np.inf, snap.published), candidates, k,
                    descending=False)
    else:
        # the same top articles are re-ranked whatever the page, so pages never overlap
        top = _top(m.score, candidates, max(k, rank.rerank_depth))
        depth = min(len(top), rank.rerank_depth)
        head, scores = _rerank(snap, top[:depth], m.score, parsed.typed_words(), rank)
        m.score[head] = scores
        docs = np.concatenate([head, top[depth:]])[:k]
    docs = docs[(page - 1) * per_page :]
    hits = [_hit(snap, int(d), float(m.score[d]), m.wanted, req.highlight) for d in docs]
    facets = _facets(snap, req, m.matched) if req.facets else {f: [] for f in FACET_FIELDS}
    took = (time.perf_counter() - started) * 1000
    return SearchResult(req.q, len(candidates), page, per_page, took, hits, facets, m.relaxed)
