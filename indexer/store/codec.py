"""The compact posting codec of the searched fields: frames of bit-packed integers, decoded by numpy.

A term's posting list (at its term info's extent in the segment's postings file) is one or more
*chunks*; a segment written at once has one chunk per term; a merge appends one per source for a short
term and writes a longer one as one chunk (``indexer.store.merge.ONE_CHUNK_FROM``).
A chunk is::

    varint n                 postings in the chunk
    varint first             its first docnum
    ids        n - 1 values  docnum gaps minus one
    freqs      n values      term frequency minus one
    positions  sum(freqs)    only in fields with positions: per posting, its positions in
                             ascending order, the first as is, then each one's gap to the previous

Each list of values is packed in frames of 128 values, each frame at its own bit width (see
:func:`pack`).  Decoding is a fixed number of vectorised numpy operations whatever the
list's length and widths (each value read from the two 32-bit words that hold it, shifted and
masked, all frames at once); only lists of a few values take a plain-Python path.  Compared
with Whoosh's pickled blocks (2-4 bytes per docnum, a 4-byte float per frequency, a pickled list
and a 4-byte offset per posting's positions), a posting takes about a byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

FRAME = 128
SMALL = 8  # lists up to this long are packed and unpacked in plain Python


def varint(n: int) -> bytes:
    if n < 0x80:
        return BYTE[n]
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


BYTE = [bytes((i,)) for i in range(256)]  # one-byte values, made once


def read_varint(buf, pos: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return n, pos
        shift += 7


# -- bit-packed frames -------------------------------------------------------------------


def _bit_lengths(v: np.ndarray) -> np.ndarray:
    return np.frexp(v.astype(np.float64))[1].astype(np.uint8)  # exact below 2**53


def _bits(v: np.ndarray, w: int) -> bytes:
    """``v`` at ``w`` bits each, one little-endian bit stream."""
    if w == 0:
        return b""
    bits = ((v[:, None] >> np.arange(w, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    return np.packbits(bits.ravel(), bitorder="little").tobytes()


def _unbits(raw: bytes, count: int, w: int) -> np.ndarray:
    """``count`` values of ``w`` bits from the bit stream ``raw``, as int64."""
    if w == 0:
        return np.zeros(count, dtype=np.int64)
    if w in (8, 16, 32):
        return np.frombuffer(raw, dtype=f"<u{w // 8}", count=count).astype(np.int64)
    return _gather(raw, _STEPS[:count] * w if count <= FRAME else np.arange(count, dtype=np.int64) * w,
                   np.uint64((1 << w) - 1))


_STEPS = np.arange(128, dtype=np.int64)
_U32 = np.uint64(32)


def _gather(raw: bytes, bit_offsets: np.ndarray, mask: np.uint64 | np.ndarray) -> np.ndarray:
    """The values (< 2**32) starting at ``bit_offsets`` of the little-endian bit stream ``raw``, each
    ``& mask``, as int64: the two 32-bit words holding a value, joined, shifted and masked."""
    words = np.frombuffer(raw + b"\0" * ((-len(raw)) % 4 + 8), dtype="<u4").astype(np.uint64)
    index = bit_offsets >> 5
    both = words[index] | (words[index + 1] << _U32)
    return ((both >> (bit_offsets & 31).astype(np.uint64)) & mask).astype(np.int64)


def pack(values: np.ndarray | list[int]) -> bytes:
    """Non-negative integers (< 2**32) in frames of 128, each at its own bit width.

    Up to 128 values: one width byte, then the values.  More: the list is padded with zeros
    to whole frames; one width byte per frame, then the frames grouped by width (a stable
    sort), so that each group is one byte-aligned block that numpy unpacks at once.
    """
    n = len(values)
    if n == 0:
        return b""
    if n <= SMALL:
        vals = [int(v) for v in values]
        w = max(vals).bit_length()
        acc = 0
        for i, x in enumerate(vals):
            acc |= x << (i * w)
        return bytes((w,)) + acc.to_bytes((n * w + 7) // 8, "little")
    v = np.asarray(values, dtype=np.uint64)
    if n <= FRAME:
        w = int(_bit_lengths(v.max().reshape(1))[0])
        return bytes((w,)) + _bits(v, w)
    frames = (n + FRAME - 1) // FRAME
    padded = np.zeros(frames * FRAME, dtype=np.uint64)
    padded[:n] = v
    grid = padded.reshape(frames, FRAME)
    widths = _bit_lengths(grid.max(axis=1))
    order = np.argsort(widths, kind="stable")
    out = [widths.tobytes()]
    for w in np.unique(widths):
        out.append(_bits(grid[order[widths[order] == w]].ravel(), int(w)))
    return b"".join(out)


def pack1(x: int) -> bytes:
    """``pack([x])``."""
    w = x.bit_length()
    return BYTE[w] + x.to_bytes((w + 7) // 8, "little")


def unpack(buf: bytes, pos: int, n: int) -> tuple[np.ndarray, int]:
    """``n`` values packed by :func:`pack` at ``buf[pos:]``, as int64; and the position after them."""
    if n == 0:
        return np.zeros(0, dtype=np.int64), pos
    if n <= FRAME:
        w = buf[pos]
        size = (n * w + 7) // 8
        if n <= SMALL:
            acc = int.from_bytes(buf[pos + 1 : pos + 1 + size], "little")
            mask = (1 << w) - 1
            return np.array([(acc >> (i * w)) & mask for i in range(n)], dtype=np.int64), pos + 1 + size
        return _unbits(bytes(buf[pos + 1 : pos + 1 + size]), n, w), pos + 1 + size
    frames = (n + FRAME - 1) // FRAME
    widths = np.frombuffer(buf, dtype=np.uint8, count=frames, offset=pos).astype(np.int64)
    pos += frames
    # the frames are stored grouped by width (a stable sort): each frame's first bit, then each value's
    order = np.argsort(widths, kind="stable")
    sorted_bits = widths[order] * FRAME
    firsts = np.empty(frames, dtype=np.int64)
    firsts[order] = np.cumsum(sorted_bits) - sorted_bits
    offsets = (firsts[:, None] + _STEPS[None, :FRAME] * widths[:, None]).ravel()[:n]
    masks = (np.uint64(1) << widths.astype(np.uint64)) - np.uint64(1)
    size = int(sorted_bits.sum()) // 8
    return _gather(bytes(buf[pos : pos + size]), offsets, np.repeat(masks, FRAME)[:n]), pos + size


def skip_packed(buf: bytes, pos: int, n: int) -> int:
    """The position after ``n`` packed values at ``buf[pos:]``, without unpacking them."""
    if n == 0:
        return pos
    if n <= FRAME:
        return pos + 1 + (n * buf[pos] + 7) // 8
    frames = (n + FRAME - 1) // FRAME
    widths = np.frombuffer(buf, dtype=np.uint8, count=frames, offset=pos)
    return pos + frames + int(widths.sum(dtype=np.int64)) * (FRAME // 8)


# -- chunks ------------------------------------------------------------------------------


def encode_chunk(ids, tfs, positions) -> bytes:
    """One chunk: ascending docnums, their frequencies (>= 1) and, if kept, their positions.

    ``positions`` holds every posting's positions one after the other (``tfs[i]`` of them,
    ascending within a posting).  Lists or numpy arrays; short lists stay in plain Python.
    """
    n = len(ids)
    if n == 1 and isinstance(ids, list):  # most terms of a segment (word pairs): what the path below gives
        tf = tfs[0]
        out = BYTE[1] + varint(ids[0]) + pack1(tf - 1)
        if positions is None:
            return out
        if tf == 1:
            return out + pack1(positions[0])
        prev, gaps = 0, []
        for p in sorted(positions[:tf]):
            gaps.append(p - prev)
            prev = p
        return out + pack(gaps)
    if n <= SMALL and isinstance(ids, list):
        head = [varint(n), varint(ids[0]), pack([b - a - 1 for a, b in zip(ids, ids[1:])]),
                pack([t - 1 for t in tfs])]
        if positions is not None:
            gaps, i = [], 0
            for t in tfs:
                prev = 0
                for p in sorted(positions[i : i + t]):
                    gaps.append(p - prev)
                    prev = p
                i += t
            head.append(pack(gaps))
        return b"".join(head)
    ids = np.asarray(ids, dtype=np.int64)
    tfs = np.asarray(tfs, dtype=np.int64)
    parts = [varint(n), varint(int(ids[0])), pack(np.diff(ids) - 1), pack(tfs - 1)]
    if positions is not None:
        parts.append(pack(position_gaps(np.asarray(positions, dtype=np.int64), tfs)))
    return b"".join(parts)


def position_gaps(positions: np.ndarray, tfs: np.ndarray) -> np.ndarray:
    """Each posting's positions in ascending order, as gaps: the first as is, then to the previous.

    Analysis may give a term the same position twice (the parts of a code such as "TP.HCM")
    or out of order; a phrase test only asks whether a position is there, so they are sorted.
    """
    owner = np.repeat(np.arange(len(tfs)), tfs)
    steps = np.diff(positions, prepend=np.int64(0))
    firsts = np.cumsum(tfs) - tfs
    steps[firsts] = positions[firsts]
    if (steps < 0).any():
        positions = positions[np.lexsort((positions, owner))]
        steps = np.diff(positions, prepend=np.int64(0))
        steps[firsts] = positions[firsts]
    return steps


def positions_from_gaps(gaps: np.ndarray, tfs: np.ndarray) -> np.ndarray:
    """Inverse of :func:`position_gaps` (each posting's positions ascending)."""
    run = np.cumsum(gaps)
    firsts = np.cumsum(tfs) - tfs
    return run - np.repeat(run[firsts] - gaps[firsts], tfs)


@dataclass
class Chunk:
    """A decoded chunk (positions as gaps until asked for)."""

    ids: np.ndarray  # int64 docnums
    tfs: np.ndarray  # int64 frequencies
    gaps: np.ndarray | None
    start: int  # byte offsets of the chunk in the record
    end: int

    def positions(self) -> np.ndarray:
        return positions_from_gaps(self.gaps, self.tfs) if self.gaps is not None else np.zeros(0, np.int64)


def iter_chunks(buf: bytes, with_positions: bool, skip_positions: bool = False) -> Iterator[Chunk]:
    """The chunks of a posting list.  With ``skip_positions`` their bytes are stepped over unread."""
    pos, end = 0, len(buf)
    while pos < end:
        start = pos
        n, pos = read_varint(buf, pos)
        first, pos = read_varint(buf, pos)
        gaps_ids, pos = unpack(buf, pos, n - 1)
        ids = np.empty(n, dtype=np.int64)
        ids[0] = first
        if n > 1:
            np.cumsum(gaps_ids + 1, out=ids[1:])
            ids[1:] += first
        tfs, pos = unpack(buf, pos, n)
        tfs += 1
        gaps = None
        if with_positions:
            count = int(tfs.sum())
            if skip_positions:
                pos = skip_packed(buf, pos, count)
            else:
                gaps, pos = unpack(buf, pos, count)
        yield Chunk(ids, tfs, gaps, start, pos)


def decode(buf: bytes, with_positions: bool) -> tuple[np.ndarray, np.ndarray]:
    """(docnums int64, frequencies float32) of a whole posting list."""
    chunks = list(iter_chunks(buf, with_positions, skip_positions=True))
    if len(chunks) == 1:
        return chunks[0].ids, chunks[0].tfs.astype(np.float32)
    return (np.concatenate([c.ids for c in chunks]),
            np.concatenate([c.tfs for c in chunks]).astype(np.float32))


def decode_positions(buf: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(docnums, frequencies, positions) of a posting list with positions (all int64)."""
    chunks = list(iter_chunks(buf, True))
    if len(chunks) == 1:
        c = chunks[0]
        return c.ids, c.tfs, c.positions()
    return (np.concatenate([c.ids for c in chunks]), np.concatenate([c.tfs for c in chunks]),
            np.concatenate([c.positions() for c in chunks]))


def shift_chunks(buf: bytes, with_positions: bool, by: int) -> bytes:
    """The same posting list with every docnum moved by ``by`` (only each chunk's first changes)."""
    if by == 0:
        return buf
    out = []
    for c in iter_chunks(buf, with_positions, skip_positions=True):
        n, pos = read_varint(buf, c.start)
        _, pos = read_varint(buf, pos)
        out.append(varint(n) + varint(int(c.ids[0]) + by) + buf[pos : c.end])
    return b"".join(out)


def record_parts(buf: bytes, with_positions: bool = True) -> dict[str, int]:
    """Bytes of a posting list by structure (for ``benchmarks/index_size.py``)."""
    out = {"ids": 0, "freqs": 0, "positions": 0, "overhead": 0}
    pos, end = 0, len(buf)
    while pos < end:
        n, p = read_varint(buf, pos)
        _, p = read_varint(buf, p)
        out["overhead"] += p - pos
        q = skip_packed(buf, p, n - 1)
        out["ids"] += q - p
        tfs, r = unpack(buf, q, n)
        out["freqs"] += r - q
        pos = r
        if with_positions:
            pos = skip_packed(buf, r, int(tfs.sum()) + n)
            out["positions"] += pos - r
    return out
