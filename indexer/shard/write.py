"""Writing a sharded index: each article to the shard of its id, one Whoosh writer per shard.

Every shard is an ordinary timtin index written with ``indexer.store.index``'s writer (with
``procs`` > 1, Whoosh's multi-process writer per shard).  All shards commit together every
``commit_every`` articles; each commit is atomic per shard, so a killed run leaves every shard
at its last commit, and running it again replaces what was written instead of duplicating it
(ids are upserts, always routed to the same shard).  A shard's writer (and its write lock) is
opened on the first article routed to it, so a run that touches a few ids commits only their shards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from indexer.models import Article, Problem
from indexer.shard.manifest import Manifest, create_sharded, require_manifest, shard_dirs, shard_of
from indexer.store.groups import StoryGroups, ensure_story_columns
from indexer.store.index import (
    IndexStats,
    IndexWriter,
    add_or_replace,
    document_fields,
    open_index,
    open_writer,
    paused_gc,
)


def _manifest(index_dir: str | Path, shards: int | None) -> Manifest:
    return create_sharded(index_dir, shards) if shards else require_manifest(index_dir)


def write_sharded(
    index_dir: str | Path,
    records: Iterable[Article | Problem],
    *,
    shards: int | None = None,
    commit_every: int = 20_000,
    lock_timeout: float = 30.0,
    procs: int = 1,
    on_problem: Callable[[Problem], None] | None = None,
    on_record: Callable[[], None] | None = None,
) -> IndexStats:
    """Add or replace articles (keyed by id) in a sharded index, as ``write_articles`` does.

    With ``shards`` the sharded index is created if missing (and must have that many shards
    if it exists); without, ``index_dir`` must already be sharded.
    """
    manifest = _manifest(index_dir, shards)
    ixs = [open_index(d) for d in shard_dirs(index_dir)]
    for ix in ixs:
        ensure_story_columns(ix, partial(open_writer, ix, lock_timeout))
    stats = IndexStats()
    seen: set[str] = set()
    with paused_gc(), ExitStack() as stack:
        writers: dict[int, IndexWriter] = {}  # opened on a shard's first article: other shards are not touched
        try:
            known = [stack.enter_context(ix.searcher()).reader() for ix in ixs]
            # story groups span the shards: an article joins the group of a duplicate in any shard
            current = [ix.searcher() for ix in ixs]
            stack.callback(lambda: [c.close() for c in current])
            groups = StoryGroups([c.reader() for c in current])
            pending = 0
            for record in stats.articles(records, on_problem, on_record):
                i = shard_of(record.id, manifest.shards)
                replaces = stats.count(record.id, seen, bool(known[i].doc_frequency("id", record.id)))
                writer = writers.get(i)
                if writer is None:
                    writer = writers[i] = open_writer(ixs[i], lock_timeout, procs)
                add_or_replace(writer, document_fields(record, groups.assign(record)), replaces)
                pending += 1
                if pending >= commit_every:
                    _commit_all(writers)
                    pending = 0
                    for c in current:
                        c.close()
                    current = [ix.searcher() for ix in ixs]
                    groups.refresh([c.reader() for c in current])
            _commit_all(writers)  # small segments are merged by indexer.store.merge, off the write lock
            stats.grouped, stats.grouping_seconds = groups.joined, groups.seconds
        except BaseException:
            for w in writers.values():
                w.cancel()
            raise
    return stats


def _commit_all(writers: dict[int, IndexWriter]) -> None:
    """Commit every open shard writer (each commit is atomic for its shard)."""
    while writers:
        _, w = writers.popitem()
        w.commit(merge=False)


def delete_sharded(index_dir: str | Path, ids: Iterable[str], lock_timeout: float = 30.0) -> IndexStats:
    """Remove articles by id; only the shards that own them are opened for writing."""
    from indexer.store.index import delete_articles

    manifest = require_manifest(index_dir)
    dirs = shard_dirs(index_dir)
    by_shard: dict[int, list[str]] = defaultdict(list)
    for doc_id in ids:
        by_shard[shard_of(doc_id, manifest.shards)].append(doc_id)
    stats = IndexStats()
    for i in sorted(by_shard):
        part = delete_articles(dirs[i], by_shard[i], lock_timeout=lock_timeout)
        stats.deleted += part.deleted
        stats.skipped += part.skipped
        stats.problems.extend(part.problems)
    return stats
