"""Indexing a sharded index on a Ray cluster: analysis as tasks, one writer actor per shard.

The driver reads the input and routes every article to its shard (``shard_of``).  Each full
batch of one shard goes to ``analyse_batch``, a Ray task that may run on any node's CPU: it
writes the batch with the ordinary writer (``indexer.store.index.write_articles``: Vietnamese
analysis, postings, stored fields) into a private scratch index and returns that index's one
segment, its files' bytes carried by Ray's object store.  The shard's ``ShardWriter`` actor (the
only writer of its shard) then, under the shard's write lock, deletes the older versions of the
batch's ids, writes the segment's files into the shard and commits a new table of contents
holding it: one atomic commit per batch, the same operation Whoosh's multi-process writer uses
to add a sub-writer's segment.  Nothing is analysed twice.

Batches of one shard are committed in input order (Ray runs one caller's actor calls in order,
their arguments resolved first), so the last version of an id wins, as with the one-process
writer.  A killed node loses only uncommitted batches: Ray re-runs lost analysis tasks and
restarts a lost writer actor (which re-tries the batch: deleting then adding is idempotent);
running the same command again completes the index without duplicates, ids being upserts.

``mode="articles"`` sends the raw batches to the writer actors instead, which analyse them
themselves (one CPU per shard at most); ``benchmarks/cluster.py`` measures both.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from indexer.cluster.runtime import alive_nodes
from indexer.cluster.serving import TOKEN_MEMORY
from indexer.models import Article, Problem
from indexer.shard.manifest import create_sharded, require_manifest, shard_dirs, shard_of
from indexer.store.groups import Story, StoryGroups
from indexer.store.index import IndexStats, open_index, open_writer, write_articles

DEFAULT_BATCH = 1000


@dataclass
class SegmentBatch:
    """One analysed batch: a Whoosh segment (pickled as Whoosh's multi-process writer does) and its files."""

    segment: object
    files: dict[str, bytes]
    ids: list[str]


@ray.remote(num_cpus=1, max_retries=3)
def analyse_batch(articles: list[Article], stories: dict[str, Story] | None = None) -> SegmentBatch:
    """Write ``articles`` into a scratch index (full analysis) and return its one segment.

    ``stories``: their story groups, found by the driver over every shard."""
    scratch = tempfile.mkdtemp(prefix="timtin-batch-")
    try:
        write_articles(scratch, articles, commit_every=len(articles) + 1, stories=stories)
        ix = open_index(scratch, create=False)
        segments = ix._segments()
        if len(segments) != 1:
            raise RuntimeError(f"a batch gave {len(segments)} segments, expected one")
        segment = segments[0]
        prefix = segment.segment_id()  # "MAIN_<random id>": the segment's files are named after it
        files = {name: ix.storage.open_file(name).read() for name in ix.storage.list() if name.startswith(prefix)}
        if not files:
            raise RuntimeError(f"no files for segment {prefix}")
        return SegmentBatch(segment, files, [a.id for a in articles])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=3)
class ShardWriter:
    """The one writer of one shard: commits analysed batches (or raw ones) atomically."""

    def __init__(self, shard_dir: str, lock_timeout: float = 60.0):
        self.shard_dir = shard_dir
        self.lock_timeout = lock_timeout
        open_index(shard_dir)  # the empty shard exists from create_sharded

    def add(self, batch: SegmentBatch) -> tuple[int, int]:
        """Replace the batch's ids by the batch's segment in one commit; (indexed, updated)."""
        ix = open_index(self.shard_dir, create=False)
        writer = open_writer(ix, self.lock_timeout)
        try:
            with ix.searcher() as searcher:
                known = searcher.reader()
                updated = sum(1 for i in batch.ids if known.doc_frequency("id", i))
            for doc_id in batch.ids:
                writer.delete_by_term("id", doc_id)
            for name, data in batch.files.items():
                out = writer.storage.create_file(name)
                out.write(data)
                out.close()
            segments = writer._merge_segments(None, False, False) + [batch.segment]
            writer._close_segment()  # the writer's own (empty) segment
            writer._commit_toc(segments)
            writer._finish()
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise
        return len(batch.ids) - updated, updated

    def write(self, articles: list[Article], stories: dict[str, Story] | None = None) -> tuple[int, int]:
        """Analyse and commit raw articles here (``mode="articles"``); (indexed, updated)."""
        stats = write_articles(self.shard_dir, articles, commit_every=len(articles) + 1, stories=stories,
                               lock_timeout=self.lock_timeout)
        return stats.indexed, stats.updated

    def merge(self) -> int:
        """Merge the shard's small segments; the number of segments afterwards."""
        from indexer.store.merge import merge_segments

        merge_segments(self.shard_dir)
        return len(open_index(self.shard_dir, create=False)._segments())


def index_on_cluster(
    index_dir: str | Path,
    records: Iterable[Article | Problem],
    *,
    shards: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    mode: str = "segments",
    merge: bool = True,
    on_problem: Callable[[Problem], None] | None = None,
    on_record: Callable[[], None] | None = None,
) -> IndexStats:
    """Add or replace articles in the sharded index ``index_dir`` using the connected Ray cluster.

    ``index_dir`` must be a path every node sees (a shared volume).  With ``shards`` the sharded
    index is created if missing; without, it must exist.
    """
    if mode not in ("segments", "articles"):
        raise ValueError("mode must be 'segments' or 'articles'")
    index_dir = Path(index_dir).resolve()
    manifest = create_sharded(index_dir, shards) if shards else require_manifest(index_dir)
    nodes = alive_nodes()
    writers = [cast(Any, ShardWriter).options(memory=TOKEN_MEMORY, scheduling_strategy=NodeAffinitySchedulingStrategy(
        nodes[i % len(nodes)], soft=True)).remote(str(d)) for i, d in enumerate(shard_dirs(index_dir))]
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    max_in_flight = 2 * cpus
    stats = IndexStats()
    buffers: list[dict[str, Article]] = [{} for _ in writers]
    found: list[dict[str, Story]] = [{} for _ in writers]  # story groups of the buffered articles
    searchers = [open_index(d, create=False).searcher() for d in shard_dirs(index_dir)]
    groups = StoryGroups([s.reader() for s in searchers])  # over every shard, as one index would
    pending: list = []

    def collect(wait_all: bool) -> None:
        nonlocal pending
        while pending and (wait_all or len(pending) >= max_in_flight):
            done, pending = ray.wait(pending, num_returns=1)
            indexed, updated = ray.get(done[0])
            stats.indexed += indexed
            stats.updated += updated

    def flush(i: int) -> None:
        batch = list(buffers[i].values())
        stories = found[i]
        buffers[i], found[i] = {}, {}
        if not batch:
            return
        if mode == "segments":
            pending.append(writers[i].add.remote(analyse_batch.remote(batch, stories)))
        else:
            pending.append(writers[i].write.remote(batch, stories))
        collect(False)

    for record in stats.articles(records, on_problem, on_record):
        i = shard_of(record.id, manifest.shards)
        buffers[i].pop(record.id, None)  # the last version of an id in a batch wins
        buffers[i][record.id] = record
        found[i][record.id] = groups.assign(record).stored()
        if len(buffers[i]) >= batch_size:
            flush(i)
    for i in range(len(writers)):
        flush(i)
    collect(True)
    for s in searchers:
        s.close()
    stats.grouped, stats.grouping_seconds = groups.joined, groups.seconds
    if merge:
        ray.get([w.merge.remote() for w in writers])
    for w in writers:
        ray.kill(w, no_restart=True)
    return stats
