"""Searching one shard as part of a sharded index: pure functions over ONE shard's Snapshot.

A sharded search is a scatter-gather in three rounds (``indexer.shard.coordinator`` drives it,
in one process or, with Ray, over actors: every input and output here is picklable):

1. ``shard_stats``: the shard's document count, field-length totals and newest date (cached
   per snapshot, i.e. per shard commit), and the local document frequency of every term the
   query's scoring reads.  ``merge_stats`` sums them into the corpus-wide ``CorpusStats``.
   Document frequencies are gathered per query (like Elasticsearch's ``dfs_query_then_fetch``)
   because the terms a query reads are not known in advance; the postings read for them are
   cached and reused by round 2, so in one process the round costs little.
2. ``shard_candidates``: every matching article scored with the corpus-wide statistics (so a
   score is the one the single index gives), the shard's top candidates with the title
   re-ranking bonus of its top ``rerank_depth``, the total and the facet counts of all values
   (the date sorts' candidates and the facet counts: only articles with every query word).
   When the shard has no article with all the query's words, it returns the "relaxed" matches
   and says so (``strict`` False): the coordinator keeps them only if no shard had strict ones,
   so the relaxed rule is decided over the whole corpus.
3. ``shard_hits``: stored fields and highlighting of the articles picked for the page.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from indexer.analysis import pair_key
from indexer.schema import EXACT, FOLDED, NO_DATE, PAIRS, TEXT_PARTS
from indexer.search.filters import FACET_FIELDS, facets
from indexer.search.highlight import Wanted
from indexer.search.matching import Matched, match
from indexer.search.query import ParsedQuery, parse_query
from indexer.search.ranking import CorpusStats, Ranking, title_bonuses
from indexer.search.service import (
    DATE_SORTS,
    MAX_HITS,
    Candidates,
    Hit,
    SearchRequest,
    _hit,
    _top,
    event_dates,
    facet_base,
    top_candidates,
)
from indexer.store.engine import SCORED_FIELDS, Snapshot

Term = tuple[str, str]  # (field name, indexed text)


@dataclass
class ShardStats:
    """Round 1: what one shard adds to the corpus-wide statistics."""

    doc_count: int  # live documents
    size: int  # documents including deleted ones
    field_lengths: dict[str, int]  # total length of each scored field
    newest: int | None  # newest publication minute, None when no article is dated
    df: dict[Term, int] = field(default_factory=dict)  # documents holding each of the query's terms
    grouped_keys: np.ndarray | None = None  # story groups some article of the shard joined (sorted)


@dataclass
class ShardPart:
    """Round 2: one shard's share of the result."""

    docnums: np.ndarray  # the shard's top candidates, best first (by score, or by the sort's key)
    scores: np.ndarray  # float32 scores (corpus-wide statistics), before the title re-ranking
    keys: np.ndarray  # float64 sort keys: the score (relevance), or the date sort's key
    bonus: np.ndarray  # float64 title re-ranking bonus of the first len(bonus) candidates
    total: int  # matching articles after filters (with collapse: the shard's stories among them)
    facets: dict[str, dict[str, int]]  # counts of every value (not only the top 30)
    strict: bool  # the candidates have (nearly) all the words; False: the relaxed matches
    relaxed: bool  # the shard fell back to the relaxed rule
    all_words: int = 0  # articles after filters with every query word (``Matched.strong``)
    # story group key of each candidate (0: no other article of the index in its group) and the
    # matching articles of each such group on this shard (indexer.search.collapse)
    group_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    group_counts: dict[int, int] = field(default_factory=dict)
    # each candidate's title holds every word of the query (``Matched.titled``): the merged top may
    # extend the title re-ranking to them (``Ranking.rerank_titled``); empty from older shards
    titled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # each candidate's publication minute as the merged re-ranking's ``near_in_time`` reads it
    # (``service.event_dates``); empty from older shards (then nothing gains)
    published: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@lru_cache(maxsize=512)
def parsed_query(q: str) -> ParsedQuery:
    """``parse_query``, cached: every round of every shard parses the same text (read-only use)."""
    return parse_query(q)


def scoring_terms(parsed: ParsedQuery, rank: Ranking) -> list[Term]:
    """Every (field, text) whose document frequency the scorer reads for this query.

    Mirrors the walk of ``indexer.search.matching.match`` (``Scorer.word`` and ``adjacency``);
    tests/test_shard.py checks that the scorer reads no other term.
    """
    terms: dict[Term, None] = {}
    exact = any(w.accented for w in parsed.typed_words())

    def word(w, exact_word: bool) -> None:
        for part in TEXT_PARTS:
            terms[(FOLDED[part], w.folded)] = None
            if exact_word and rank.exact:
                terms[(EXACT[part], w.exact)] = None

    def adjacency(words: list, exact_words: bool = False, breaks: frozenset[int] = frozenset()) -> None:
        for i, (a, b) in enumerate(zip(words, words[1:])):
            if i + 1 not in breaks:
                terms[(PAIRS, pair_key(a.folded, b.folded))] = None
        for n in (2, 3):
            for i in range(len(words) - n + 1):
                if any(k in breaks for k in range(i + 1, i + n)):
                    continue
                run = words[i : i + n]
                for part in ("title", "lead"):
                    terms[(FOLDED[part], "_".join(w.folded for w in run))] = None
                    if exact_words:
                        terms[(EXACT[part], "_".join(w.exact for w in run))] = None

    for group in parsed.groups:
        for item in group:
            for w in item.words:
                word(w, exact and not item.expansion)
            if item is not group[0] and len(item.words) > 1:
                adjacency(list(item.words))
    adjacency(parsed.typed_words(), exact, parsed.pair_breaks())
    return list(terms)


# -- round 1 ---------------------------------------------------------------------------------------

_base_cache: dict[int, tuple[weakref.ref, ShardStats]] = {}  # by id(snapshot), while it lives
_base_lock = threading.Lock()


def base_stats(snap: Snapshot) -> ShardStats:
    """Document count, field-length totals and newest date of a snapshot (cached per snapshot)."""
    key = id(snap)
    with _base_lock:
        hit = _base_cache.get(key)
    if hit is not None and hit[0]() is snap:
        return hit[1]
    with snap.lock:
        reader = snap.searcher.raw.reader()
        lengths = {f: int(reader.field_length(f)) for f in SCORED_FIELDS}
    dated = snap.published[snap.published != NO_DATE]
    stats = ShardStats(snap.doc_count, snap.size, lengths, int(dated.max()) if dated.size else None)
    with _base_lock:
        def forget(_: object, key: int = key) -> None:
            _base_cache.pop(key, None)

        _base_cache[key] = (weakref.ref(snap, forget), stats)
    return stats


def shard_stats(snap: Snapshot, req: SearchRequest, rank: Ranking) -> ShardStats:
    """Round 1: this shard's statistics and the local document frequencies of the query's terms."""
    base = base_stats(snap)
    parsed = parsed_query(req.q)
    df = {} if parsed.empty else {t: len(snap.postings(*t)[0]) for t in scoring_terms(parsed, rank)}
    return ShardStats(base.doc_count, base.size, base.field_lengths, base.newest, df, snap.grouped_keys)


def merge_stats(parts: list[ShardStats]) -> CorpusStats:
    """The corpus-wide statistics: sums of the shards' (and the newest of their dates)."""
    n = sum(p.doc_count for p in parts)
    totals: dict[str, int] = {}
    df: dict[Term, int] = {}
    for p in parts:
        for f, total in p.field_lengths.items():
            totals[f] = totals.get(f, 0) + total
        for t, c in p.df.items():
            df[t] = df.get(t, 0) + c
    dates = [p.newest for p in parts if p.newest is not None]
    keys = [p.grouped_keys for p in parts if p.grouped_keys is not None]
    return CorpusStats(doc_count=n, avg_length={f: max(t / max(n, 1), 1.0) for f, t in totals.items()},
                       newest=max(dates) if dates else None, df=df,
                       grouped_keys=np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64))


# -- round 2 ---------------------------------------------------------------------------------------

EMPTY_F32 = np.zeros(0, dtype=np.float32)
EMPTY_F64 = np.zeros(0, dtype=np.float64)


def page_bounds(req: SearchRequest) -> tuple[int, int]:
    """(page, per_page) as search() clamps them."""
    return max(1, req.page), max(1, min(req.per_page, MAX_HITS))


def empty_part(relaxed: bool = False) -> ShardPart:
    return ShardPart(np.zeros(0, dtype=np.int64), EMPTY_F32, EMPTY_F64, EMPTY_F64, 0,
                     {f: {} for f in FACET_FIELDS}, strict=False, relaxed=relaxed)


def shard_candidates(snap: Snapshot, req: SearchRequest, rank: Ranking, stats: CorpusStats) -> ShardPart:
    """Round 2: the shard's top ``max(page × per_page, rerank_depth)`` candidates, total and facets."""
    parsed = parsed_query(req.q)
    if parsed.empty or snap.size == 0:
        return empty_part()
    page, per_page = page_bounds(req)
    m = match(snap, parsed, rank, stats)
    # a group may span shards: those with 2+ articles over all shards (round 1) can be merged
    grouped = snap.grouped_mask(stats.grouped_keys if stats.grouped_keys is not None else None)
    c = top_candidates(snap, req, m, rank, page * per_page, grouped)
    passing, candidates, key, top, group_sizes = c.passing, c.docs, c.key, c.top, c.group_sizes
    bonus = EMPTY_F64
    titled = np.zeros(len(top), dtype=bool)
    if req.sort not in DATE_SORTS:
        top, judged = _shard_judged(snap, c, m, rank)
        if m.titled is not None:
            titled = m.titled[top]
        head = top[:judged]
        words = parsed.typed_words()
        if len(head) and words:
            bonus = title_bonuses(snap, head, words, rank, parsed.pair_breaks())
    counts: dict[str, dict[str, int]] = {f: {} for f in FACET_FIELDS}
    if req.facets:
        for name, rows in facets(snap, req, facet_base(m), top=len(snap.live) + 1).items():
            counts[name] = {r["value"]: r["count"] for r in rows}
    strict = not m.relaxed and bool(m.matched.any())
    return ShardPart(top, m.score[top].astype(np.float32), np.asarray(key[top], dtype=np.float64), bonus,
                     len(candidates), counts, strict, m.relaxed, int(np.count_nonzero(m.strong & passing)),
                     np.where(grouped[top], snap.group_keys[top], 0), group_sizes, titled,
                     event_dates(snap, m, top))


def _shard_judged(snap: Snapshot, c: Candidates, m: Matched, rank: Ranking) -> tuple[np.ndarray, int]:
    """The shard's candidates with those whose title bonus it computes first, and how many: its top
    ``rank.rerank_depth`` and every article of its top ``rank.rerank_titled`` whose title holds every
    word of the query, whichever of them the merged top re-ranks (``service._with_titled``: it
    extends the re-ranking when the merged cut falls among such titles, which one shard cannot see)."""
    depth = min(len(c.top), rank.rerank_depth)
    first = c.top[:depth]
    if rank.rerank_titled <= depth or m.titled is None or len(c.docs) <= depth:
        return c.top, depth
    deeper = _top(c.key, c.docs, rank.rerank_titled, snap=snap)[depth:]
    extra = deeper[m.titled[deeper]]
    extra = extra[~np.isin(extra, first)]
    rest = c.top[depth:]
    more = deeper[~np.isin(deeper, c.top)]
    rest = np.concatenate([rest, more])
    rest = rest[~np.isin(rest, extra)]
    return np.concatenate([first, extra, rest]), depth + len(extra)


# -- round 3 ---------------------------------------------------------------------------------------

def shard_hits(snap: Snapshot, picks: list[tuple[int, float]], req: SearchRequest) -> list[Hit]:
    """Round 3: display fields and highlighting of ``(docnum, score)`` picks, in that order."""
    wanted = Wanted.of_query(parsed_query(req.q), req.reading)
    return [_hit(snap, int(d), float(s), wanted, req.highlight) for d, s in picks]
