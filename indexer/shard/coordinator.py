"""Searching a sharded index: scatter the rounds of ``indexer.shard.scatter`` to every shard, merge.

The merge gives what one index holding all the articles gives: candidates ordered by their
corpus-wide scores, the title re-ranking applied to the merged top ``rerank_depth`` (each shard
computed the bonus of its own top ``rerank_depth``, which holds every article of the merged top
that is on it), pages cut from the merged order, totals and facet counts summed.  With
``collapse``, each shard sends only the best article of each story group it holds and the count
of the group's matches there; the coordinator keeps the best over all shards (the first in the
merged order), sums the counts into ``group_size`` and counts a group once in ``total`` (a
shard's best of a group is among its top candidates whenever the group's best is in the merged
top, so the merged list is that of one index).  Articles with equal scores (or equal dates in the
date sorts) are ordered by article id, in one index as in shards (``indexer.search.ties``): the
ids of tied candidates from different shards are asked of their shards.

``ShardClient`` is what a shard must answer; ``LocalShard`` answers in this process over a
snapshot, Ray actors (``indexer.cluster``) over the network.  A client that raises (or times
out) leaves its shard out: the result is ``partial`` and names the ``missing_shards``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from indexer.schema import NO_DATE
from indexer.search import FACET_FIELDS, CorpusStats, Hit, Ranking, SearchRequest, SearchResult
from indexer.search.collapse import first_of_groups
from indexer.search.filters import MONTH, facet_rows, no_facets
from indexer.search.ranking import near_in_time
from indexer.search.service import extend_to_titled
from indexer.search.ties import IdsOf, article_ids, tie_order
from indexer.shard.scatter import (
    ShardPart,
    ShardStats,
    merge_stats,
    page_bounds,
    parsed_query,
    shard_candidates,
    shard_hits,
    shard_stats,
)
from indexer.shard.view import open_view
from indexer.store.engine import Snapshot

log = logging.getLogger(__name__)
FACET_TOP = 30  # values shown per facet, as in a single index


class ShardsUnavailable(RuntimeError):
    """No shard answered."""


class ShardClient(Protocol):
    def stats(self, req: SearchRequest, rank: Ranking) -> ShardStats: ...

    def candidates(self, req: SearchRequest, rank: Ranking, stats: CorpusStats) -> ShardPart: ...

    def hits(self, picks: list[tuple[int, float]], req: SearchRequest) -> list[Hit]: ...

    def ids(self, docnums: list[int]) -> list[str]: ...


class LocalShard:
    """A shard searched in this process, over one snapshot (the same for every round of a query)."""

    def __init__(self, snap: Snapshot):
        self.snap = snap

    def stats(self, req: SearchRequest, rank: Ranking) -> ShardStats:
        return shard_stats(self.snap, req, rank)

    def candidates(self, req: SearchRequest, rank: Ranking, stats: CorpusStats) -> ShardPart:
        return shard_candidates(self.snap, req, rank, stats)

    def hits(self, picks: list[tuple[int, float]], req: SearchRequest) -> list[Hit]:
        return shard_hits(self.snap, picks, req)

    def ids(self, docnums: list[int]) -> list[str]:
        return article_ids(self.snap, np.asarray(docnums, dtype=np.int64))


_EMPTY = np.zeros(0)  # what np.concatenate gets when no shard answered


def _empty(req: SearchRequest, started: float) -> SearchResult:
    page, per_page = page_bounds(req)
    return SearchResult(req.q, 0, page, per_page, (time.perf_counter() - started) * 1000, [], no_facets())


def _order(key: np.ndarray, descending: bool, ids_of: IdsOf, limit: int) -> np.ndarray:
    """Indices sorting by key, ties by article id (exact for the first ``limit``)."""
    return tie_order(-key if descending else key, ids_of, limit)


def search_sharded(req: SearchRequest, clients: Sequence[ShardClient], rank: Ranking | None = None) -> SearchResult:
    """One search over every shard (``clients[i]`` serves shard i); ``req`` must already be valid."""
    started = time.perf_counter()
    rank = rank or Ranking.from_env()
    parsed = parsed_query(req.q)
    if parsed.empty:
        return _empty(req, started)
    missing: set[int] = set()

    def ask(i: int, call, *args):
        if i in missing:
            return None
        try:
            return call(*args)
        except Exception as exc:  # the shard is left out; the result says so
            log.warning("shard %d failed: %s", i, exc)
            missing.add(i)
            return None

    stats_parts = {i: s for i, c in enumerate(clients) if (s := ask(i, c.stats, req, rank)) is not None}
    if not stats_parts:
        raise ShardsUnavailable(f"none of the {len(clients)} shards answered")
    if sum(s.size for s in stats_parts.values()) == 0:
        return _empty(req, started)
    stats = merge_stats(list(stats_parts.values()))
    parts = {i: p for i in stats_parts if (p := ask(i, clients[i].candidates, req, rank, stats)) is not None}
    if not parts:
        raise ShardsUnavailable(f"none of the {len(clients)} shards answered")
    if any(p.strict for p in parts.values()):  # the relaxed rule holds only when no shard has strict matches
        kept = {i: p for i, p in parts.items() if p.strict}
        relaxed = False
    else:
        kept = parts
        relaxed = any(p.relaxed for p in parts.values())

    page, per_page = page_bounds(req)
    k = page * per_page
    shard = np.concatenate([np.full(len(p.docnums), i) for i, p in kept.items()] or [_EMPTY]).astype(np.int64)
    docnum = np.concatenate([p.docnums for p in kept.values()] or [_EMPTY]).astype(np.int64)
    score = np.concatenate([p.scores for p in kept.values()] or [_EMPTY]).astype(np.float32)
    key = np.concatenate([p.keys for p in kept.values()] or [_EMPTY]).astype(np.float64)
    gkey = np.concatenate([p.group_keys for p in kept.values()] or [_EMPTY]).astype(np.int64)
    bonus = np.concatenate([np.concatenate([p.bonus, np.full(len(p.docnums) - len(p.bonus), np.nan)])
                            for p in kept.values()] or [_EMPTY]).astype(np.float64)
    titled = np.concatenate([np.concatenate([p.titled, np.zeros(len(p.docnums) - len(p.titled), dtype=bool)])
                             for p in kept.values()] or [_EMPTY]).astype(bool)
    published = np.concatenate([np.concatenate([p.published, np.full(len(p.docnums) - len(p.published), NO_DATE)])
                                for p in kept.values()] or [_EMPTY]).astype(np.int64)

    def ids_of(positions: np.ndarray) -> list[str]:
        """Article ids of merged candidates, asked of their shards ("" if a shard fails)."""
        out = [""] * len(positions)
        wanted: dict[int, list[int]] = {}
        for j, pos in enumerate(positions):
            wanted.setdefault(int(shard[pos]), []).append(j)
        for i, js in wanted.items():
            got = ask(i, clients[i].ids, [int(docnum[positions[j]]) for j in js])
            for j, article_id in zip(js, got or []):
                out[j] = article_id
        return out

    if req.sort in ("newest", "oldest"):
        order = _order(key, req.sort == "newest", ids_of, len(key) if req.collapse else k)
        if req.collapse:  # each shard sent its best of each group: keep the best over all shards
            order = first_of_groups(order, gkey)
        order = order[:k]
        final = score[order]
    else:
        need = max(k, rank.rerank_depth)
        deep = max(need, rank.rerank_titled)
        order = _order(key, True, ids_of, len(key) if req.collapse else deep)
        if req.collapse:
            order = first_of_groups(order, gkey)
        deeper = order[:deep]
        order, depth = extend_to_titled(order[:need], lambda: deeper, titled,
                                        min(need, len(order), rank.rerank_depth), rank.rerank_titled)
        head = order[:depth]
        final = score[order].copy()
        words = parsed.typed_words()
        if depth and words:
            new = score[head].astype(np.float64) + bonus[head]
            reorder = tie_order(-new, lambda pos: ids_of(head[pos]))
            head, new = head[reorder], new[reorder].astype(np.float32)
            head, new = near_in_time(head, new, published[head], rank, lambda pos: ids_of(head[pos]))
            order = np.concatenate([head, order[depth:]])
            final = np.concatenate([new, final[depth:]])
        order, final = order[:k], final[:k]
    order, final = order[(page - 1) * per_page :], final[(page - 1) * per_page :]

    sizes: dict[int, int] = {}  # members of each group among the matches, over all shards
    spread: dict[int, int] = {}  # shards holding members of each group
    for p in kept.values():
        for g, c in p.group_counts.items():
            sizes[g] = sizes.get(g, 0) + c
            spread[g] = spread.get(g, 0) + 1
    by_shard: dict[int, list[tuple[int, tuple[int, float]]]] = {}
    for pos, (j, s) in enumerate(zip(order, final)):
        by_shard.setdefault(int(shard[j]), []).append((pos, (int(docnum[j]), float(s))))
    hits: list[Hit | None] = [None] * len(order)
    for i, picks in by_shard.items():
        got = ask(i, clients[i].hits, [p for _, p in picks], req)
        if got is not None:
            for (pos, _), hit in zip(picks, got):
                hit.group_size = sizes.get(int(gkey[order[pos]]), 1)
                hits[pos] = hit
    facets = _merge_facets([p.facets for p in kept.values()]) if req.facets else no_facets()
    total = sum(p.total for p in kept.values())
    if req.collapse:  # a group with articles on n shards was counted n times
        total -= sum(n - 1 for n in spread.values())
    result = SearchResult(req.q, total, page, per_page,
                          (time.perf_counter() - started) * 1000, [h for h in hits if h is not None], facets,
                          relaxed, all_words=sum(p.all_words for p in kept.values()))
    if missing:
        result.partial = True
        result.missing_shards = sorted(missing)
    return result


def _merge_facets(parts: list[dict[str, dict[str, int]]]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for name in FACET_FIELDS:
        counts: dict[str, int] = {}
        for p in parts:
            for value, c in p.get(name, {}).items():
                counts[value] = counts.get(value, 0) + c
        out[name] = facet_rows(name, counts, FACET_TOP)
    months: dict[str, int] = {}
    for p in parts:  # every month, oldest first (as one index counts them)
        for value, c in p.get(MONTH, {}).items():
            months[value] = months.get(value, 0) + c
    out[MONTH] = [{"value": v, "count": months[v]} for v in sorted(months)]
    return out


def search_index(req: SearchRequest, index_dir, rank: Ranking | None = None) -> SearchResult:
    """Search a sharded index in this process: every shard in turn, merged."""
    view = open_view(index_dir)
    return search_sharded(req, [LocalShard(s) for s in view.snapshots], rank)
