"""Merging small segments quickly, while other processes keep indexing and searching.

Every commit adds a segment, and every segment adds a fixed cost to each query (about
0.5 ms at 100k articles), so the segments that incremental batches leave behind must be
merged.  Whoosh's own merge decodes every posting and sorts them all again (about 14 ms
per article, slower than indexing it) while holding the write lock.  Here:

* postings are copied chunk by chunk (compact fields: only each chunk's first docnum
  changes, see ``indexer.store.codec``) or block by block (id and facets: only a block's
  first docnum and its header's last docnum change); postings of segments with deleted
  documents are decoded and filtered;
* stored fields, lengths and columns are copied with Whoosh's per-document writer;
* the merged segment is written in a scratch folder without the write lock.  The lock
  is held only to swap it in, and documents deleted meanwhile are deleted in it too.

The result is the segment Whoosh would write (``tests/test_merge.py``).
"""

from __future__ import annotations

import heapq
import io
import os
import pickle
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import cast

import numpy as np
from whoosh import formats
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3Segment, W3TermInfo
from whoosh.index import FileIndex, LockError
from whoosh.reading import SegmentReader
from whoosh.util.numeric import length_to_byte

from indexer.store import codec, compact
from indexer.store.index import CODEC_OPTIONS, IndexBusyError, open_index
from indexer.store.internals import (
    add_term_info,
    index_segments,
    mark_documents_added,
    postings_file,
    read_toc,
    segment_postings_file,
    write_toc,
)
from indexer.store.termpool import Block, load_block_data, pack_docnums, pack_ids, pack_values, pack_weights, write_term

SMALL_DOCS = 20_000  # segments with fewer documents than this are merged ...
MIN_SEGMENTS = 4  # ... once there are this many of them
MERGE_LOCK = "MERGELOCK"  # one merge at a time


@dataclass
class MergeResult:
    """What a merge did."""

    merged: int  # segments merged
    docs: int  # live documents in the merged segment
    seconds: float
    segments_after: int


def small_segments(segments: list, small_docs: int = SMALL_DOCS, min_segments: int = MIN_SEGMENTS) -> list:
    """The segments to merge now: all small ones, once there are ``min_segments`` of them."""
    small = [s for s in segments if s.doc_count_all() < small_docs]
    return small if len(small) >= max(2, min_segments) else []


# -- posting blocks ----------------------------------------------------------------------


def _read_blocks(postfile, offset: int) -> Iterator[Block]:
    """The blocks of the posting list starting at ``offset`` of a W3 postings file."""
    if postfile.get(offset, 4) != WHOOSH3_HEADER_MAGIC:
        raise ValueError(f"no posting list at offset {offset}")
    pos = offset + 4
    while True:
        length = postfile.get_int(pos)
        last = length < 0
        raw = postfile.get(pos + 4, abs(length))
        buf = io.BytesIO(raw)
        count, maxid, maxweight, comp, minlen, maxlen = pickle.load(buf)
        data = raw[buf.tell() :]
        ids, weights, values = load_block_data(data, bool(comp))
        yield Block(count, ids, weights, values, maxid, maxweight, minlen, maxlen)
        if last:
            return
        pos += 4 + abs(length)


def _inline_block(terminfo: W3TermInfo, fixedsize: int | None) -> Block:
    ids, weights, values = terminfo.inlined_postings()
    return Block(len(ids), pack_docnums(ids), pack_weights(list(weights)), pack_values(list(values), fixedsize),
                 ids[-1], max(weights), length_to_byte(terminfo.min_length()),
                 length_to_byte(terminfo.max_length()))


def _expand(block: Block, fixedsize: int | None) -> tuple[list[int], list[float], list]:
    ids, total = [], 0
    for d in block.ids:
        total += d
        ids.append(total)
    n = block.count
    if block.weights is None:
        weights = [1.0] * n
    elif isinstance(block.weights, float):
        weights = [block.weights] * n
    else:
        weights = list(block.weights)
    if fixedsize is None or fixedsize < 0:
        values = list(block.values)
    elif fixedsize == 0:
        values = [None] * n
    else:
        values = [block.values[i : i + fixedsize] for i in range(0, len(block.values), fixedsize)]
    return ids, weights, values


def _remap(block: Block, base: int, docmap: dict[int, int] | None, fixedsize: int | None) -> Block | None:
    """``block`` with its docnums moved into the merged segment (None if all were deleted)."""
    if docmap is None:
        if base == 0:
            return block
        ids = list(block.ids)
        ids[0] += base
        values = block.values if fixedsize is not None and fixedsize >= 0 else pack_values(block.values, fixedsize)
        return Block(block.count, pack_ids(ids), block.weights, values,
                     block.maxid + base, block.maxweight, block.minlen, block.maxlen)
    ids, weights, values = _expand(block, fixedsize)
    keep = [i for i, d in enumerate(ids) if d in docmap]
    if not keep:
        return None
    new_ids = [docmap[ids[i]] for i in keep]
    kept_weights = [weights[i] for i in keep]
    # the block's length bounds still hold for the documents kept
    return Block(len(keep), pack_docnums(new_ids), pack_weights(kept_weights),
                 pack_values([values[i] for i in keep], fixedsize), new_ids[-1], max(kept_weights),
                 block.minlen, block.maxlen)


# -- compact posting lists ---------------------------------------------------------------


def _docmap_array(docmap: dict[int, int] | None, size: int) -> np.ndarray | None:
    """A segment's docnum → merged docnum map as an array (-1 for deleted documents)."""
    if docmap is None:
        return None
    out = np.full(size, -1, dtype=np.int64)
    if docmap:
        out[np.fromiter(docmap.keys(), dtype=np.int64)] = np.fromiter(docmap.values(), dtype=np.int64)
    return out


ONE_CHUNK_FROM = 128  # postings from which a term held in several chunks is written as one


def _merge_compact_term(fw, btext: bytes, fieldobj, group, readers: list[SegmentReader], bases: list[int],
                        arrays: list[np.ndarray | None]) -> None:
    """Write one term of a compact field, moved (and filtered) into place.

    A term in one chunk, or short, with nothing deleted keeps its chunks (only their first docnums
    move); a longer one in several chunks (from several sources, or an earlier merge) is decoded and
    written as one chunk, which a search decodes about four times faster than the ten or so a fresh
    build's merge would otherwise leave.
    A term with no posting left after deletions is skipped (Whoosh's own merge keeps such empty
    terms out; our readers treat a missing term and an empty one alike).
    """
    positions = compact.has_positions(fieldobj)
    group = list(group)
    stats = [compact.TermStats.from_bytes(raw) for _key, _i, raw in group]
    if all(st is not None and arrays[i] is None for st, (_key, i, _raw) in zip(stats, group)):
        kept = cast(list[compact.TermStats], stats)
        records = [segment_postings_file(readers[i]).get(st.offset, st.length) for st, (_k, i, _r) in zip(kept, group)]
        df = sum(st.df for st in kept)
        if df < ONE_CHUNK_FROM or (len(group) == 1 and codec.read_varint(records[0], 0)[0] == df):
            moved = [codec.shift_chunks(r, positions, bases[i]) for r, (_k, i, _r) in zip(records, group)]
            compact.add_term(fw, btext, b"".join(moved), df, sum(st.weight for st in kept))
            return
    ids_parts: list[np.ndarray] = []
    tf_parts: list[np.ndarray] = []
    pos_parts: list[np.ndarray] = []
    for _key, i, raw in group:
        ids, tfs, pos = _source_postings(readers[i], raw, fieldobj, positions)
        docmap = arrays[i]
        if docmap is None:
            ids = ids + bases[i]
        else:
            ids = docmap[ids]
            keep = ids >= 0
            if not keep.all():
                if pos is not None:
                    pos = pos[np.repeat(keep, tfs)]
                ids, tfs = ids[keep], tfs[keep]
        if len(ids):
            ids_parts.append(ids)
            tf_parts.append(tfs)
            if pos is not None:
                pos_parts.append(pos)
    if not ids_parts:
        return
    ids, tfs = np.concatenate(ids_parts), np.concatenate(tf_parts)
    pos = np.concatenate(pos_parts) if positions else None
    if len(ids) <= codec.SMALL:  # short lists: the writer's plain-Python encoding
        record = codec.encode_chunk(ids.tolist(), tfs.tolist(), None if pos is None else pos.tolist())
    else:
        record = codec.encode_chunk(ids, tfs, pos)
    compact.add_term(fw, btext, record, len(ids), float(tfs.sum()))


def _source_postings(reader: SegmentReader, raw: bytes, fieldobj,
                     positions: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(docnums, frequencies, positions or None) of one source segment's term, as int64 arrays."""
    stats = compact.TermStats.from_bytes(raw)
    if stats is None:  # Whoosh's blocks (a format 1 segment being converted)
        ids, tfs, pos = _whoosh_postings(reader, raw, fieldobj)
    else:
        record = segment_postings_file(reader).get(stats.offset, stats.length)
        if positions:
            ids, tfs, pos = codec.decode_positions(record)
        else:
            ids, tfs, pos = *codec.decode(record, False), None
    return (np.asarray(ids, dtype=np.int64), np.asarray(tfs, dtype=np.int64),
            None if pos is None else np.asarray(pos, dtype=np.int64))


def _whoosh_postings(reader: SegmentReader, raw: bytes, fieldobj) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(docnums, frequencies, positions or None) of a term kept in Whoosh's blocks, values as format 1 wrote them."""
    info = W3TermInfo.from_bytes(raw)
    fixedsize = fieldobj.format.fixed_value_size()
    source = ([_inline_block(info, fixedsize)] if info.is_inlined()
              else _read_blocks(segment_postings_file(reader), info.extent()[0]))
    positions = compact.has_positions(fieldobj)
    decode = formats.Positions.decode_positions  # Whoosh's own encoding: a count, then a pickled list of deltas
    blocks = list(source)
    if len(blocks) == 1 and blocks[0].count <= codec.SMALL:  # most terms: plain Python is faster
        block_ids, weights, values = _expand(blocks[0], fixedsize)
        small_pos = [p for v in values for p in decode(fieldobj.format, v)] if positions else None
        return block_ids, [int(w) for w in weights], small_pos  # type: ignore[return-value]
    ids: list[np.ndarray] = []
    tfs: list[np.ndarray] = []
    pos: list[int] = []
    for block in blocks:
        ids.append(np.cumsum(np.asarray(block.ids, dtype=np.int64)))
        if block.weights is None or isinstance(block.weights, float):
            tfs.append(np.full(block.count, 1.0 if block.weights is None else block.weights))
        else:
            tfs.append(np.asarray(block.weights))
        if positions:
            for v in block.values:
                pos.extend(decode(fieldobj.format, v))
    return (np.concatenate(ids), np.concatenate(tfs).astype(np.int64),
            np.array(pos, dtype=np.int64) if positions else None)


# -- merging -----------------------------------------------------------------------------


def _write_merged(scratch: Path, schema, readers: list[SegmentReader]) -> W3Segment:
    """Write one segment holding the live documents of ``readers`` into a new index in ``scratch``."""
    scratch.mkdir(parents=True)
    ix = whoosh_index.create_in(str(scratch), schema)
    writer = ix.writer(codec=W3Codec(**CODEC_OPTIONS))
    try:
        fieldnames = set(schema.names())
        bases, docmaps = [], []
        for r in readers:
            bases.append(writer.docnum)
            docmaps.append(writer.write_per_doc(fieldnames, r))
        arrays = [_docmap_array(m, r.doc_count_all()) for m, r in zip(docmaps, readers)]
        fw = writer.fieldwriter
        postfile = postings_file(fw)

        def terms(i: int, r: SegmentReader) -> Iterator[tuple[tuple[str, bytes], int, bytes]]:
            for key, info in compact.iter_stats(r):
                if key[0] in schema:
                    yield key, i, info

        streams = [terms(i, r) for i, r in enumerate(readers)]
        lastfield = None
        for (fieldname, btext), group in groupby(heapq.merge(*streams, key=lambda x: (x[0], x[1])),
                                                 key=lambda x: x[0]):
            fieldobj = schema[fieldname]
            if fieldname != lastfield:
                if lastfield is not None:
                    fw.finish_field()
                fw.start_field(fieldname, fieldobj)
                lastfield = fieldname
            if compact.uses_codec(fieldobj):
                _merge_compact_term(fw, btext, fieldobj, group, readers, bases, arrays)
                continue
            fixedsize = fieldobj.format.fixed_value_size()
            blocks: list[Block] = []
            for _key, i, raw in group:
                info = W3TermInfo.from_bytes(raw)
                if info.is_inlined():
                    source: Iterable[Block] = [_inline_block(info, fixedsize)]
                else:
                    source = _read_blocks(segment_postings_file(readers[i]), info.extent()[0])
                for block in source:
                    moved = _remap(block, bases[i], docmaps[i], fixedsize)
                    if moved is not None:
                        blocks.append(moved)
            if not blocks:
                continue
            add_term_info(fw, btext, write_term(postfile, blocks))
        if lastfield is not None:
            fw.finish_field()
        mark_documents_added(writer)
        writer.commit(merge=False)
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    return index_segments(ix)[0]


def _live_docmap(segments: list) -> dict[tuple[str, int], int]:
    """(segment id, docnum) → docnum in the merged segment, for documents live at the start."""
    out, n = {}, 0
    for seg in segments:
        deleted = set(seg.deleted_docs()) if seg.has_deletions() else set()
        for d in range(seg.doc_count_all()):
            if d not in deleted:
                out[(seg.segment_id(), d)] = n
                n += 1
    return out


def _acquire(lock, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() >= deadline:
            raise IndexBusyError("the index is being written by another timtin process; try again later")
        time.sleep(0.1)


def merge_segments(index_dir: str | Path, *, small_docs: int = SMALL_DOCS, min_segments: int = MIN_SEGMENTS,
                   everything: bool = False, lock_timeout: float = 300.0) -> MergeResult | None:
    """Merge the small segments of the index (all of them with ``everything``); None if none needed it.

    Only one merge runs at a time (another returns None at once).  Writers and searchers
    carry on meanwhile; the write lock is held only while the merged segment is swapped in.
    """
    ix: FileIndex = open_index(index_dir, create=False)
    merge_lock = ix.lock(MERGE_LOCK)
    if not merge_lock.acquire(blocking=False):
        return None
    for stale in Path(index_dir).glob(".merge-*"):  # left by a merge that was killed (we hold the lock)
        shutil.rmtree(stale, ignore_errors=True)
    scratch = Path(index_dir) / f".merge-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        started = time.perf_counter()
        toc = read_toc(ix)
        chosen = list(toc.segments) if everything else small_segments(toc.segments, small_docs, min_segments)
        if len(chosen) < 2:
            return None
        readers = [SegmentReader(ix.storage, toc.schema, seg) for seg in chosen]
        try:
            merged = _write_merged(scratch, toc.schema, readers)
        finally:
            for r in readers:
                r.close()
        docmap = _live_docmap(chosen)
        write_lock = ix.lock("WRITELOCK")
        _acquire(write_lock, lock_timeout)
        try:
            current = read_toc(ix)
            ids = {s.segment_id() for s in chosen}
            if not ids <= {s.segment_id() for s in current.segments}:
                return None  # cannot happen while we hold the merge lock, but never lose documents
            for seg in current.segments:  # documents deleted while we merged
                if seg.segment_id() in ids and seg.has_deletions():
                    for d in seg.deleted_docs():
                        new = docmap.get((seg.segment_id(), d))
                        if new is not None:
                            merged.delete_document(new)
            prefix = merged.segment_id()
            for f in scratch.iterdir():
                if f.name.startswith(prefix):
                    os.replace(f, Path(index_dir) / f.name)
            kept = [s for s in current.segments if s.segment_id() not in ids]
            segments = kept + [merged]
            generation = current.generation + 1
            write_toc(ix, current.schema, segments, generation)
        finally:
            write_lock.release()
        return MergeResult(len(chosen), merged.doc_count(), time.perf_counter() - started, len(segments))
    except LockError as exc:
        raise IndexBusyError(str(exc)) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        merge_lock.release()


def needs_merge(index_dir: str | Path) -> bool:
    """Whether the index has enough small segments to merge."""
    return bool(small_segments(index_segments(open_index(index_dir, create=False))))


def merge_in_background(index_dir: str | Path) -> subprocess.Popen | None:
    """Start ``timtin merge`` in its own process if the index needs it (the caller need not wait)."""
    if not needs_merge(index_dir):
        return None
    return subprocess.Popen([sys.executable, "-m", "indexer.cli", "merge", "--index", str(index_dir), "-q"],
                            stdin=subprocess.DEVNULL, start_new_session=True)
