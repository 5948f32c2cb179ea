"""The committed state of a plain or sharded index, read in one process: one Snapshot per shard."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.shard.manifest import read_manifest, shard_name, shard_of
from indexer.store.engine import Snapshot, get_engine


@dataclass
class IndexView:
    """Snapshots of every shard (one for a plain index), taken together."""

    index_dir: Path
    snapshots: list[Snapshot]
    sharded: bool

    @property
    def generation(self) -> int:
        """Grows with every commit or merge of any shard (the sum of the shards' generations)."""
        return sum(s.generation for s in self.snapshots)

    @property
    def doc_count(self) -> int:
        return sum(s.doc_count for s in self.snapshots)

    @property
    def shards(self) -> int:
        return len(self.snapshots)

    def field_values(self, fieldname: str) -> list[str]:
        """Distinct indexed values of a facet field, over all shards, sorted."""
        if len(self.snapshots) == 1:
            return self.snapshots[0].field_values(fieldname)
        return sorted({v for s in self.snapshots for v in s.field_values(fieldname)})

    def locate(self, article_id: str) -> tuple[Snapshot, int] | None:
        """(snapshot, docnum) of the article with this id, or None."""
        snap = self.snapshots[shard_of(article_id, len(self.snapshots)) if self.sharded else 0]
        docnum = snap.searcher.document_number(id=article_id)
        return None if docnum is None else (snap, docnum)

    def document(self, article_id: str) -> dict | None:
        """Stored fields of the article with this id, or None."""
        found = self.locate(article_id)
        return None if found is None else found[0].searcher.stored_fields(found[1])


def open_view(index_dir: str | Path) -> IndexView:
    """The newest committed snapshots of the index in ``index_dir`` (FileNotFoundError if none)."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        return IndexView(Path(index_dir), [get_engine(index_dir).snapshot()], False)
    dirs = [Path(index_dir) / shard_name(i) for i in range(manifest.shards)]
    return IndexView(Path(index_dir), [get_engine(d).snapshot() for d in dirs], True)


def iter_stored(view: IndexView) -> Iterator[tuple[Snapshot, int, dict]]:
    """(snapshot, docnum, stored fields) of every live document of every shard, each shard read
    through a private searcher (for long scans beside requests)."""
    for snap in view.snapshots:
        assert snap.open_searcher is not None  # set by Engine.snapshot
        with snap.open_searcher() as searcher:
            for docnum, fields in searcher.reader().iter_docs():
                yield snap, docnum, fields
