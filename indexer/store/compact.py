"""Whoosh glue for the compact posting codec (``indexer.store.codec``) of the searched fields.

The fields whose format is :class:`~indexer.schema.TermPositions` or
:class:`~indexer.schema.TermFrequency` (exact, folded and pair fields) keep their posting lists
in the codec's chunks, at an extent of the segment's postings file; the other fields (id and
facets) keep Whoosh's own blocks, which Whoosh reads (``update_document`` deletes by id).

Their term infos are short: Whoosh's first three values (flags, total weight and document
frequency, so ``doc_frequency`` and ``frequency`` still read them), then the extent as two
varints; 13-16 bytes instead of 35.  Whoosh's own matchers cannot read these terms: search
decodes them with numpy (``indexer.store.engine``), phrases are checked on decoded positions
(``indexer.search.phrase``) and merges copy the chunks of short terms (``indexer.store.merge``).
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from whoosh.reading import TermNotFound

from indexer.schema import TermFrequency, TermPositions
from indexer.store import codec, internals

COMPACT_FLAG = 2  # the flags byte of a compact term info (Whoosh's are 0 and 1)
_HEAD = struct.Struct("!BfI")


def uses_codec(fieldobj) -> bool:
    """Whether the field's postings are written with the compact codec."""
    return isinstance(fieldobj.format, TermPositions | TermFrequency)


def has_positions(fieldobj) -> bool:
    return isinstance(fieldobj.format, TermPositions)


@dataclass
class TermStats:
    """A compact term info: document frequency, total weight, and the extent of its postings."""

    df: int
    weight: float
    offset: int
    length: int

    def to_bytes(self) -> bytes:
        return _HEAD.pack(COMPACT_FLAG, self.weight, self.df) + codec.varint(self.offset) + codec.varint(self.length)

    @classmethod
    def from_bytes(cls, raw: bytes) -> TermStats | None:
        """The stats of a compact term info; None for one of Whoosh's."""
        flags, weight, df = _HEAD.unpack_from(raw)
        if flags != COMPACT_FLAG:
            return None
        offset, pos = codec.read_varint(raw, _HEAD.size)
        length, _ = codec.read_varint(raw, pos)
        return cls(df, weight, offset, length)


def term_stats(reader, fieldname: str, text: str | bytes) -> TermStats | None:
    """The compact term info of a term in one segment (None when the segment lacks the term)."""
    tbytes = text if isinstance(text, bytes) else reader.schema[fieldname].to_bytes(text)
    raw = internals.raw_term_info(reader, fieldname, tbytes)
    if raw is None:
        return None
    stats = TermStats.from_bytes(raw)
    if stats is None:
        raise TermNotFound(f"{fieldname}:{text!r} is not in the compact format")
    return stats


def read_record(reader, fieldname: str, text: str | bytes) -> bytes | None:
    """The raw posting list of a term in one segment (None when the segment lacks the term)."""
    stats = term_stats(reader, fieldname, text)
    if stats is None:
        return None
    return internals.segment_postings_file(reader).get(stats.offset, stats.length)


def iter_stats(reader) -> Iterator[tuple[tuple[str, bytes], bytes]]:
    """((fieldname, term bytes), raw term info) of every term of a segment, in key order."""
    return internals.raw_term_infos(reader)


def add_term(fieldwriter, tbytes: bytes, record: bytes, df: int, weight: float) -> None:
    """Append a term's posting list to the segment being written, and its term info."""
    postfile = internals.postings_file(fieldwriter)
    offset = postfile.tell()
    postfile.write(record)
    internals.add_raw_term_info(fieldwriter, tbytes, TermStats(df, weight, offset, len(record)).to_bytes())


def add_pooled_terms(fieldwriter, terms: Iterable[tuple[bytes, array, array, bytes | bytearray | array]],
                     positions: bool) -> None:
    """``add_term(fieldwriter, tbytes, *encode_pooled(...))`` for every term of the current field,
    in term order: the same records and term infos, written with one call each per field (a
    one-posting term, most of a segment's, is encoded inline)."""
    postfile = internals.postings_file(fieldwriter)
    offset = postfile.tell()
    records: list[bytes] = []
    keys: list[bytes] = []
    infos: list[bytes] = []
    one, varint, pack1, head = codec.BYTE[1], codec.varint, codec.pack1, _HEAD.pack
    for tbytes, ids, weights, blob in terms:
        if len(ids) == 1:
            tf = int(weights[0])
            record = one + varint(ids[0]) + pack1(tf - 1)
            if positions:
                pos = blob.tolist() if isinstance(blob, array) else memoryview(bytes(blob)).cast("I").tolist()
                record += pack1(pos[0]) if tf == 1 else codec.pack(_gaps(pos))
            df, weight = 1, float(tf)
        else:
            record, df, weight = encode_pooled(ids, weights, blob, positions)
        size = len(record)
        records.append(record)
        keys.append(tbytes)
        infos.append(head(COMPACT_FLAG, weight, df) + varint(offset) + varint(size))
        offset += size
        if len(keys) == _BATCH:
            postfile.write(b"".join(records))
            internals.add_raw_term_infos(fieldwriter, keys, infos)
            records, keys, infos = [], [], []
    postfile.write(b"".join(records))
    internals.add_raw_term_infos(fieldwriter, keys, infos)


_BATCH = 4096  # terms written per call of ``add_pooled_terms`` (bounds the memory it holds)


def _gaps(positions: list[int]) -> list[int]:
    """Ascending positions as the codec stores them: the first, then each one's gap to the previous."""
    ordered = sorted(positions)
    return [b - a for a, b in zip([0, *ordered], ordered)]


def encode_pooled(ids: array, weights: array, blob: bytearray | bytes | array,
                  positions: bool) -> tuple[bytes, int, float]:
    """A TermPool term (docnums, weights = frequencies, positions as uint32 bytes) as one chunk.

    Returns (record, document frequency, total weight).
    """
    n = len(ids)
    if n <= codec.SMALL:
        tfs = [int(w) for w in weights]
        pos = memoryview(bytes(blob)).cast("I").tolist() if positions else None
        return codec.encode_chunk(list(ids), tfs, pos), n, float(sum(tfs))
    tfs_np = np.frombuffer(weights, dtype=np.float32).astype(np.int64)
    pos_np = np.frombuffer(bytes(blob), dtype=np.uint32).astype(np.int64) if positions else None
    return codec.encode_chunk(np.frombuffer(ids, dtype=np.uint32).astype(np.int64), tfs_np, pos_np), n, \
        float(tfs_np.sum())


def read_term(reader, fieldname: str, text: str | bytes) -> list[tuple[int, int, tuple[int, ...] | None]]:
    """(docnum, frequency, positions or None) of every posting of a term in one segment.

    Reads either format (compact, or Whoosh's blocks as a stock writer leaves them), for checks
    and tools; search uses the numpy decoders.
    """
    fieldobj = reader.schema[fieldname]
    positions = has_positions(fieldobj)
    tbytes = text if isinstance(text, bytes) else fieldobj.to_bytes(text)
    raw = internals.raw_term_info(reader, fieldname, tbytes)
    if raw is None:
        return []
    if TermStats.from_bytes(raw) is not None:
        record = read_record(reader, fieldname, tbytes) or b""
        if positions:
            ids, tfs, pos = codec.decode_positions(record)
            ends = np.cumsum(tfs)
            return [(int(d), int(t), tuple(pos[e - t : e].tolist())) for d, t, e in zip(ids, tfs, ends)]
        ids, tfs_f = codec.decode(record, False)
        return [(int(d), int(t), None) for d, t in zip(ids, tfs_f)]
    m = reader.postings(fieldname, tbytes.decode("utf-8"))
    out = []
    while m.is_active():
        value = tuple(fieldobj.format.decode_positions(m.value())) if positions else None
        out.append((m.id(), int(m.weight()), value))
        m.next()
    return out
