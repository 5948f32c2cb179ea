"""Serving a sharded index from a Ray cluster: R searcher actors per shard, one replica per query.

Every ``ShardSearcher`` actor opens its shard's folder (a path every node sees: the index lives
on a shared volume, see docs/scaling.md) and answers the three rounds of
``indexer.shard.scatter``.  ``ClusterSearch.search`` runs ``search_sharded`` with one
``RayShard`` client per shard: a client picks a replica (round-robin), keeps it for the three
rounds of the query (so they read one snapshot), waits at most ``timeout`` seconds per call and
tries the shard's other replicas when a call fails or times out.  When every replica of a shard
fails, the shard is left out and the result is ``partial`` (``missing_shards``); when every shard
fails, ``ShardsUnavailable`` (the web app answers 503).

Placement: replica r of shard s goes to node (s·R + r) mod n (a soft node affinity), so the
shards spread over the nodes and a shard's replicas sit on different nodes when there are at
least R nodes.  The affinity is soft: when a node dies, Ray restarts its actors
(``max_restarts``) on the nodes that remain.  (Ray ignores the affinity of an actor that asks
for no resource, hence a token reservation of 1 MiB of memory; placement groups with the SPREAD
strategy were tried and put replicas of a shard on one node.)
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, cast

import numpy as np
import ray
from ray.exceptions import GetTimeoutError, RayError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from indexer.cluster.runtime import alive_nodes
from indexer.search import CorpusStats, Hit, Ranking, SearchRequest, SearchResult
from indexer.search.ties import article_ids
from indexer.shard.coordinator import search_sharded
from indexer.shard.manifest import shard_dirs
from indexer.shard.scatter import ShardPart, ShardStats, shard_candidates, shard_hits, shard_stats

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = 5.0  # seconds per call to one replica
KEPT_SNAPSHOTS = 4
TOKEN_MEMORY = 1024 * 1024  # a token reservation: Ray ignores the node affinity of actors that ask for nothing


class StaleSnapshot(RuntimeError):
    """The replica no longer holds the snapshot a query started on."""


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0, max_concurrency=4)
class ShardSearcher:
    """One replica of one shard: the rounds of a sharded search over its newest snapshot."""

    def __init__(self, shard_dir: str, shard: int):
        from indexer.store.engine import get_engine

        self.shard = shard
        self.engine = get_engine(shard_dir)
        self.snaps: OrderedDict[int, object] = OrderedDict()
        self.lock = threading.Lock()
        self.newest()  # fail at creation (and show it in the actor's log) if the shard is unreadable

    def newest(self):
        snap = self.engine.snapshot()
        with self.lock:
            self.snaps[snap.generation] = snap
            self.snaps.move_to_end(snap.generation)
            while len(self.snaps) > KEPT_SNAPSHOTS:
                self.snaps.popitem(last=False)
        return snap

    def at(self, generation: int):
        """The snapshot of ``generation`` (a query's later rounds, maybe retried on this replica)."""
        with self.lock:
            snap = self.snaps.get(generation)
        if snap is None:
            snap = self.newest()
            if snap.generation != generation:
                raise StaleSnapshot(f"shard {self.shard} no longer holds generation {generation}")
        return snap

    def ping(self) -> tuple[int, str, int]:
        """(shard, node id, documents) of this replica."""
        return self.shard, ray.get_runtime_context().get_node_id(), self.newest().doc_count

    def stats(self, req: SearchRequest, rank: Ranking) -> tuple[int, ShardStats]:
        snap = self.newest()
        return snap.generation, shard_stats(snap, req, rank)

    def candidates(self, generation: int, req: SearchRequest, rank: Ranking, stats: CorpusStats) -> ShardPart:
        return shard_candidates(self.at(generation), req, rank, stats)

    def hits(self, generation: int, picks: list[tuple[int, float]], req: SearchRequest) -> list[Hit]:
        return shard_hits(self.at(generation), picks, req)

    def ids(self, generation: int, docnums: list[int]) -> list[str]:
        return article_ids(self.at(generation), np.asarray(docnums, dtype=np.int64))


class RayShard:
    """A ``ShardClient`` for one query: one replica of the shard (another one if it fails)."""

    def __init__(self, replicas: list, first: int, timeout: float):
        self.order = replicas[first:] + replicas[:first]
        self.timeout = timeout
        self.generation: int | None = None

    def _call(self, method: str, *args):
        last: Exception | None = None
        for i, actor in enumerate(self.order):
            try:
                out = ray.get(getattr(actor, method).remote(*args), timeout=self.timeout)
            except (RayError, GetTimeoutError) as exc:  # died, restarting, timed out or raised
                last = exc
                continue
            if i:  # keep the replica that answered for the next rounds
                self.order = self.order[i:] + self.order[:i]
            return out
        raise last or RuntimeError("no replica")

    def stats(self, req: SearchRequest, rank: Ranking) -> ShardStats:
        self.generation, stats = self._call("stats", req, rank)
        return stats

    def candidates(self, req: SearchRequest, rank: Ranking, stats: CorpusStats) -> ShardPart:
        return self._call("candidates", self.generation, req, rank, stats)

    def hits(self, picks: list[tuple[int, float]], req: SearchRequest) -> list[Hit]:
        return self._call("hits", self.generation, picks, req)

    def ids(self, docnums: list[int]) -> list[str]:
        return self._call("ids", self.generation, docnums)


class ClusterSearch:
    """R searcher actors for every shard of ``index_dir`` (owned by this driver: they end with it)."""

    def __init__(self, index_dir: str | Path, replicas: int = 1, timeout: float = DEFAULT_TIMEOUT):
        if replicas < 1:
            raise ValueError("replicas must be at least 1")
        self.index_dir = Path(index_dir).resolve()
        self.timeout = timeout
        self.replicas = replicas
        nodes = alive_nodes()
        self.actors: list[list] = []
        actor_class = cast(Any, ShardSearcher)  # made by @ray.remote: .options() is not in its static type
        for s, d in enumerate(shard_dirs(self.index_dir)):
            self.actors.append([
                actor_class.options(memory=TOKEN_MEMORY, scheduling_strategy=NodeAffinitySchedulingStrategy(
                    nodes[(s * replicas + r) % len(nodes)], soft=True)).remote(str(d), s)
                for r in range(replicas)])
        self._turn = itertools.count()

    @property
    def shards(self) -> int:
        return len(self.actors)

    def clients(self) -> list[RayShard]:
        first = next(self._turn) % self.replicas
        return [RayShard(group, first, self.timeout) for group in self.actors]

    def search(self, req: SearchRequest, rank: Ranking | None = None) -> SearchResult:
        return search_sharded(req, self.clients(), rank)

    def health(self, timeout: float = 1.0) -> dict:
        """Live replicas (answering a ping within ``timeout``), per shard and in all, and their nodes."""
        refs = {a.ping.remote(): s for s, group in enumerate(self.actors) for a in group}
        ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=timeout)
        live = [0] * self.shards
        nodes: dict[int, set[str]] = {s: set() for s in range(self.shards)}
        for ref in ready:
            try:
                shard, node, _docs = ray.get(ref)
            except RayError:
                continue
            live[shard] += 1
            nodes[shard].add(node)
        return {"live": sum(live), "total": self.shards * self.replicas, "per_shard": live,
                "nodes_per_shard": [len(nodes[s]) for s in range(self.shards)]}

    def wait_ready(self, timeout: float = 120.0) -> bool:
        """Wait until every replica answers (or ``timeout``); True when they all did."""
        refs = [a.ping.remote() for group in self.actors for a in group]
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=timeout)
        return len(ready) == len(refs)

    def close(self) -> None:
        for group in self.actors:
            for a in group:
                ray.kill(a, no_restart=True)
        self.actors = []
