"""The sharded layout on disk: a manifest and N ordinary timtin indexes, routed by article id.

    DIR/timtin-shards.json   {"format": 1, "shards": N, "hash": "blake2b-8:utf8-id mod N"}
    DIR/shard-000/ ... DIR/shard-{N-1:03d}/   each a plain timtin index (indexer.store.index)

An article lives in shard ``shard_of(id, N)``: the first 8 bytes of BLAKE2b (digest size 8)
of its UTF-8 id, read as a big-endian unsigned integer, modulo N.  The hash is stable across
machines, processes and Python versions (unlike ``hash()``), so re-indexing or deleting an id
always reaches the one shard that holds it.  A plain index has no manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index

MANIFEST_FILE = "timtin-shards.json"
FORMAT = 1
HASH = "blake2b-8:utf8-id mod N"
MAX_SHARDS = 1000  # shard folders are numbered with three digits


class ShardLayoutError(RuntimeError):
    """A manifest that cannot be read, or a request that would change an index's layout."""


@dataclass(frozen=True)
class Manifest:
    shards: int
    hash: str = HASH
    format: int = FORMAT

    def to_json(self) -> dict:
        return {"format": self.format, "shards": self.shards, "hash": self.hash}


def shard_of(article_id: str, shards: int) -> int:
    """The shard (0 … shards-1) that holds ``article_id``."""
    digest = hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_name(i: int) -> str:
    return f"shard-{i:03d}"


def read_manifest(index_dir: str | Path) -> Manifest | None:
    """The manifest of a sharded index; None for a plain (or missing) index."""
    path = Path(index_dir) / MANIFEST_FILE
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ShardLayoutError(f"cannot read {path}: {exc}") from exc
    try:
        data = json.loads(raw)
        manifest = Manifest(shards=int(data["shards"]), hash=str(data["hash"]), format=int(data["format"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ShardLayoutError(f"{path} is not a valid shard manifest: {exc}") from exc
    if manifest.format != FORMAT or manifest.hash != HASH:
        raise ShardLayoutError(f"{path}: format {manifest.format} / hash {manifest.hash!r} is not supported "
                               f"by this timtin (format {FORMAT}, hash {HASH!r})")
    if not 1 <= manifest.shards <= MAX_SHARDS:
        raise ShardLayoutError(f"{path}: shard count {manifest.shards} out of range 1..{MAX_SHARDS}")
    return manifest


def is_sharded(index_dir: str | Path) -> bool:
    return (Path(index_dir) / MANIFEST_FILE).exists()


def shard_dirs(index_dir: str | Path) -> list[Path]:
    """The index folders to read: one per shard, or ``[index_dir]`` for a plain index."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        return [Path(index_dir)]
    return [Path(index_dir) / shard_name(i) for i in range(manifest.shards)]


def create_sharded(index_dir: str | Path, shards: int) -> Manifest:
    """Create (or check) a sharded index of ``shards`` shards in ``index_dir``.

    Refuses to change the shard count of an existing sharded index, and to turn a plain
    index into a sharded one (both would send ids to the wrong shard: index anew instead).
    """
    from indexer.store.index import open_index

    if not 1 <= shards <= MAX_SHARDS:
        raise ShardLayoutError(f"--shards must be between 1 and {MAX_SHARDS}, not {shards}")
    path = Path(index_dir)
    existing = read_manifest(path)
    if existing is not None:
        if existing.shards != shards:
            raise ShardLayoutError(f"{path} holds {existing.shards} shards, not {shards}: the shard count of an "
                                   "index cannot change (index into a new folder)")
        manifest = existing
    else:
        if path.exists() and whoosh_index.exists_in(str(path)):
            raise ShardLayoutError(f"{path} holds a plain (unsharded) index: index into a new folder to shard")
        manifest = Manifest(shards)
    path.mkdir(parents=True, exist_ok=True)
    for i in range(manifest.shards):
        open_index(path / shard_name(i))  # an empty shard is an empty index, readable at once
    if existing is None:
        tmp = path / f".{MANIFEST_FILE}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(manifest.to_json()) + "\n", encoding="utf-8")
        os.replace(tmp, path / MANIFEST_FILE)
    return manifest


def require_manifest(index_dir: str | Path) -> Manifest:
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise ShardLayoutError(f"{index_dir} is not a sharded index (no {MANIFEST_FILE})")
    return manifest
