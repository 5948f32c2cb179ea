"""Index maintenance that takes a plain or a sharded index folder alike (used by the CLI and --watch)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from indexer.models import Article, Problem
from indexer.shard.manifest import ShardLayoutError, is_sharded, shard_dirs
from indexer.shard.write import delete_sharded, write_sharded
from indexer.store.index import IndexStats, delete_articles, open_index, write_articles
from indexer.store.merge import MergeResult, merge_segments, needs_merge


def write_index(index_dir: str | Path, records: Iterable[Article | Problem], *, shards: int | None = None,
                **kwargs) -> IndexStats:
    """``write_articles`` for a plain index, ``write_sharded`` for a sharded one (or with ``shards``)."""
    if shards or is_sharded(index_dir):
        return write_sharded(index_dir, records, shards=shards, **kwargs)
    return write_articles(index_dir, records, **kwargs)


def prepare(index_dir: str | Path, shards: int | None = None) -> None:
    """Create the index if missing (sharded with ``shards``) and check its layout."""
    from indexer.shard.manifest import create_sharded

    if shards or is_sharded(index_dir):
        if shards is None:
            shard_dirs(index_dir)  # a readable manifest
        else:
            create_sharded(index_dir, shards)
    else:
        open_index(index_dir)


def delete_ids(index_dir: str | Path, ids: Iterable[str], lock_timeout: float = 30.0) -> IndexStats:
    if is_sharded(index_dir):
        return delete_sharded(index_dir, ids, lock_timeout=lock_timeout)
    return delete_articles(index_dir, ids, lock_timeout=lock_timeout)


def merge_index(index_dir: str | Path, everything: bool = False) -> MergeResult | None:
    """Merge small segments (of every shard); None when nothing needed merging."""
    if not is_sharded(index_dir):
        return merge_segments(index_dir, everything=everything)
    done = [r for d in shard_dirs(index_dir) if (r := merge_segments(d, everything=everything)) is not None]
    if not done:
        return None
    return MergeResult(sum(r.merged for r in done), sum(r.docs for r in done), sum(r.seconds for r in done),
                       sum(r.segments_after for r in done))


def merge_in_background(index_dir: str | Path) -> subprocess.Popen | None:
    """Start ``timtin merge`` in its own process if any shard needs it (the caller need not wait)."""
    if not any(needs_merge(d) for d in shard_dirs(index_dir)):
        return None
    return subprocess.Popen([sys.executable, "-m", "indexer.cli", "merge", "--index", str(index_dir), "-q"],
                            stdin=subprocess.DEVNULL, start_new_session=True)


def document_count(index_dir: str | Path) -> int:
    return sum(open_index(d, create=False).doc_count() for d in shard_dirs(index_dir))


__all__ = ["ShardLayoutError", "write_index", "prepare", "delete_ids", "merge_index", "merge_in_background",
           "document_count"]
