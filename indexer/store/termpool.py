"""Faster Whoosh segment writing, with posting blocks that load without an object per posting.

Whoosh's writer put every posting (~880 per article) in a tuple in its pool, sorted them all,
spilled sorted runs to disk and merged them back through a heap, then wrote each posting with
a few method calls; the cyclic GC walked the pool all along.  A 25k-article segment cost ~40 %
more per article than a small one.  Here (installed by ``indexer.store.patches``):

* :class:`TermPool` replaces the pool: documents arrive in docnum order, so each posting is
  appended to its term's arrays and only the terms are sorted; it spills whole terms and
  writes each term's blocks directly (``write_term``), without a call per posting.  The
  searched fields come in a field of a document at a time (``add_grouped``, by C-level maps),
  keyed by term text, with counts only for count-only fields and positions as uint32 arrays.
* The searched fields (exact, folded, pairs) are written in the compact codec
  (``indexer.store.compact``); the other fields (id, facets) in Whoosh's blocks, as below.
* Blocks hold compact arrays (docnum deltas, float weights, and the positions as one bytes
  object with end offsets, :class:`PackedValues`) instead of one Python object per posting:
  smaller, and 8-12x faster to load at search time.  Whoosh's own readers take them as they
  are: they only index and iterate these sequences.

``tests/test_fastwrite.py`` checks that the postings read back equal stock Whoosh's.
"""

from __future__ import annotations

import heapq
import pickle
import zlib
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, groupby, islice, repeat
from operator import itemgetter
from typing import Any, TypeAlias

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.system import pack_uint
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length

from indexer.fastwrite import PackedValues
from indexer.store import compact
from indexer.store.internals import add_term_info, block_limit, postings_file, written_length_bytes


def pack_ids(deltas: Sequence[int] | np.ndarray) -> array:
    """Delta-encoded docnums (the first one absolute) as a compact array."""
    if isinstance(deltas, np.ndarray):
        code = "H" if len(deltas) == 0 or int(deltas.max()) < 65536 else "I"
        out = array(code)
        out.frombytes(deltas.astype(code).tobytes())
        return out
    return array("H" if max(deltas, default=0) < 65536 else "I", deltas)


def pack_docnums(docnums: Sequence[int]) -> array:
    """Ascending docnums as a block stores them: delta-encoded (the first absolute), compact."""
    return pack_ids([b - a for a, b in zip((0, *docnums), docnums)])


def pack_weights(weights: Sequence[float]) -> object:
    """None when all are 1.0, one float when all are equal, else an array of floats."""
    first = weights[0] if len(weights) else 1.0
    if all(w == first for w in weights):
        return None if first == 1.0 else float(first)
    return weights if isinstance(weights, array) and weights.typecode == "f" else array("f", weights)


def pack_values(values: Sequence[bytes], fixedsize: int | None) -> object:
    """Values as Whoosh stores them, with variable-size ones packed (:class:`PackedValues`)."""
    if fixedsize is None or fixedsize < 0:
        return values if isinstance(values, PackedValues) else PackedValues.pack(values)
    if fixedsize == 0:
        return None
    return b"".join(values)


def dump_block(postfile, count: int, maxid: int, maxweight: float, minlen: int, maxlen: int,
               data: tuple, last: bool) -> None:
    """Write one block: its size (negative for the last), its info tuple, then its data.

    ``minlen`` and ``maxlen`` are length bytes (``length_to_byte``), as Whoosh stores them.
    """
    infobytes = pickle.dumps((count, maxid, maxweight, 0, minlen, maxlen), 2)
    databytes = pickle.dumps(data, 5)
    size = len(infobytes) + len(databytes)
    postfile.write_int(-size if last else size)
    postfile.write(infobytes)
    postfile.write(databytes)


def load_block_data(raw: bytes, compressed: bool) -> tuple:
    """The (ids, weights, values) tuple of a block, whichever way it was written."""
    return pickle.loads(zlib.decompress(raw) if compressed else raw)


@dataclass
class Block:
    """One posting block: docnums, weights and values as written (see ``write_block``)."""

    count: int
    ids: Sequence[int]  # delta-encoded docnums: the first is absolute
    weights: Any  # None (all 1.0), one float (all equal) or floats
    values: Any  # None, joined fixed-size bytes or PackedValues
    maxid: int
    maxweight: float
    minlen: int  # length bytes
    maxlen: int


def _block_weight(block: Block) -> float:
    if block.weights is None:
        return float(block.count)
    if isinstance(block.weights, float):
        return block.weights * block.count
    return float(sum(block.weights))


def write_term(postfile, blocks: list[Block]) -> W3TermInfo:
    """Write one term's blocks; its term info (statistics and extent).

    The term info's statistics are W3TermInfo's private fields, set as Whoosh's own
    posting writer sets them.
    """
    info = W3TermInfo()
    start = postfile.tell()
    postfile.write(WHOOSH3_HEADER_MAGIC)
    for i, b in enumerate(blocks):
        dump_block(postfile, b.count, b.maxid, b.maxweight, b.minlen, b.maxlen, (b.ids, b.weights, b.values),
                   last=i == len(blocks) - 1)
        info._weight += _block_weight(b)
        info._df += b.count
        minlen, maxlen = byte_to_length(b.minlen), byte_to_length(b.maxlen)
        info._minlength = minlen if info._minlength is None else min(info._minlength, minlen)
        info._maxlength = max(info._maxlength, maxlen)
        info._maxweight = max(info._maxweight, b.maxweight)
        if info._minid is None:
            info._minid = b.ids[0]
        info._maxid = b.maxid
    info.set_extent(start, postfile.tell() - start)
    return info


def _value_slice(blob: bytearray, ends: array, start: int, end: int, fixedsize: int | None) -> object:
    """Values of postings ``start:end`` of a term, as a block stores them."""
    if fixedsize == 0:
        return None
    if fixedsize is not None and fixedsize > 0:
        return bytes(blob[start * fixedsize : end * fixedsize])
    if start == 0 and end == len(ends):  # the whole term in one block: the usual case
        return PackedValues(bytes(blob), ends)
    base = ends[start - 1] if start else 0
    return PackedValues(bytes(blob[base : ends[end - 1]]), _shifted(ends[start:end], -base))


def _shifted(offsets: array, by: int) -> array:
    """``offsets`` plus ``by`` (numpy for long arrays, a loop for the many short ones)."""
    if len(offsets) <= 64:
        return array("I", [o + by for o in offsets])
    out = array("I")
    out.frombytes((np.frombuffer(offsets, dtype=np.uint32).astype(np.int64) + by).astype(np.uint32).tobytes())
    return out


def _blocks(ids: array, weights: array, blob: bytearray, ends: array, lengths: bytes, fixedsize: int | None,
            blocklimit: int) -> list[Block]:
    """One term's postings (docnum order) cut into blocks."""
    out = []
    n = len(ids)
    for start in range(0, n, blocklimit):
        end = min(n, start + blocklimit)
        chunk = ids[start:end]
        if end - start > 64:
            docs = np.frombuffer(chunk, dtype=np.uint32)
            packed = pack_ids(np.diff(docs, prepend=np.uint32(0)))
            lens = np.frombuffer(lengths, dtype=np.uint8)[docs] if lengths else np.zeros(1, dtype=np.uint8)
            minlen, maxlen = int(lens.min()), int(lens.max())
        else:
            packed = pack_docnums(chunk)
            lens_list = [lengths[d] for d in chunk] if lengths else [0]
            minlen, maxlen = min(lens_list), max(lens_list)
        w = weights[start:end]
        out.append(Block(end - start, packed, pack_weights(w), _value_slice(blob, ends, start, end, fixedsize),
                         chunk[-1], max(w), minlen, maxlen))
    return out


# A term's postings: docnums, weights, values (bytes; a grouped positions field's uint32 positions)
# and the values' end offsets (empty for grouped fields)
Entry: TypeAlias = tuple[array, array, "bytearray | bytes | array", array]
_IDS, _WEIGHTS, _VALUES = itemgetter(0), itemgetter(1), itemgetter(2)  # of an Entry
# the value ends of every grouped term (never appended to), and the values of a count-only one (b""):
# shared, so a term of one posting costs two small arrays instead of four
_NO_ENDS = array("I")
SPILL_CHUNK = 4096  # terms per pickle of a spilled run
_consume: Callable[[Iterable[Any]], None] = deque(maxlen=0).extend  # run an iterator for its effects


class TermPool:
    """Whoosh's posting pool, grouped by term instead of sorted posting by posting.

    Documents arrive in docnum order, so each term's postings are already in order: they
    are appended to the term's arrays (docnums, weights, value bytes and their end
    offsets), and only the terms are sorted.  When the pool outgrows ``limitmb`` (an
    estimate of its real memory) its terms are written to a run file; runs are merged by
    term.  Whoosh's pool sorted and merged every posting (a tuple each), which made a
    commit of a large segment cost ~40 % more per article than of a small one.
    """

    TERM_BYTES = 700  # memory of a new term: key, dict slot, four growable arrays
    GROUPED_TERM_BYTES = 480  # of a new grouped term: text, dict slot, two arrays (tracemalloc, 3,000 articles)
    POSTING_BYTES = 16  # per posting, besides its value bytes (arrays over-allocate)

    def __init__(self, tempstore, segment, limitmb: int = 128, **kwargs):
        self.tempstore = tempstore
        self.segment = segment
        self.limit = limitmb * 2**20
        self.size = 0
        self.terms: dict[tuple[str, bytes], Entry] = {}  # from ``add``
        # from ``add_grouped``: by field, then by term text (encoded once per segment, not per posting)
        self.grouped: dict[str, dict[str, Entry]] = {}
        self.runs: list[str] = []
        self.fieldnames: set[str] = set()

    def add(self, item: tuple) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        if docnum < 0:
            return  # Whoosh's marker for spelling words, which our schema does not have
        key = (fieldname, tbytes)
        entry = self.terms.get(key)
        if entry is None:
            entry = self.terms[key] = (array("I"), array("f"), bytearray(), array("I"))
            self.size += self.TERM_BYTES + len(tbytes)
            self.fieldnames.add(fieldname)
        entry[0].append(docnum)
        entry[1].append(weight)
        blob = entry[2]
        if vbytes:
            blob += vbytes
        entry[3].append(len(blob))
        self.size += self.POSTING_BYTES + (len(vbytes) if vbytes else 0)
        if self.size > self.limit:
            self._spill()

    def add_grouped(self, fieldname: str, docnum: int, found: Mapping[str, list[int]] | Mapping[str, int],
                    overlaps: Mapping[str, int], boost: float, positions: bool) -> int:
        """Every posting of one field of one document at once, as ``add`` would add them one by one.

        With ``positions``, ``found`` maps each term to its positions (weight ``len(positions) *
        boost``; the positions are kept as native uint32s, the value Whoosh's ``Positions`` format
        would get from ``indexer.schema.TermPositions``).  Without (a count-only field, whose values
        the compact codec never reads), ``found`` maps each term to its count (weight ``count *
        boost``; no value).  Grouped terms keep no value ends: a posting's positions are its
        frequency's worth.  The work per posting is done by C-level maps, not a Python loop.
        Returns the field's length: the sum of the frequencies less the ``overlaps`` (occurrences
        that do not count, ``indexer.schema._grouped``)."""
        terms = self.grouped.get(fieldname)
        if terms is None:
            terms = self.grouped[fieldname] = {}
            self.fieldnames.add(fieldname)
        keys = list(found)
        entries: list[Any] = list(map(terms.get, keys))
        size = self.POSTING_BYTES * len(keys)
        if None in entries:
            for i, entry in enumerate(entries):
                if entry is None:
                    text = keys[i]
                    entries[i] = terms[text] = (array("I"), array("f"), array("I") if positions else b"", _NO_ENDS)
                    size += self.GROUPED_TERM_BYTES + len(text)
        _consume(map(array.append, map(_IDS, entries), repeat(docnum)))
        if positions:
            poslists = found.values()
            counts: Iterable[int] = list(map(len, poslists))  # type: ignore[arg-type]
            _consume(map(array.extend, map(_VALUES, entries), poslists))  # type: ignore[arg-type]
        else:
            counts = found.values()  # type: ignore[assignment]
        length = sum(counts)
        if positions:
            size += 4 * length
        weights = counts if boost == 1.0 else [n * boost for n in counts]
        _consume(map(array.append, map(_WEIGHTS, entries), weights))  # type: ignore[arg-type]
        if overlaps:
            length -= sum(overlaps.values())
        self.size += size
        if self.size > self.limit:
            self._spill()
        return length

    def _items(self) -> Iterator[tuple[tuple[str, bytes], Entry]]:
        """Every term of the pool, (field, term bytes) → arrays, in key order (term texts sort as their
        UTF-8 bytes do), made one by one: the pool is not copied."""
        added = ((key, self.terms[key]) for key in sorted(self.terms))
        grouped = (((fieldname, text.encode("utf-8")), terms[text])
                   for fieldname, terms in sorted(self.grouped.items()) for text in sorted(terms))
        return heapq.merge(added, grouped, key=itemgetter(0))

    def _spill(self) -> None:
        path = f"{random_name()}.terms"
        with self.tempstore.create_file(path).raw_file() as f:
            # pickles of SPILL_CHUNK terms: few calls, and no memo keeps earlier terms alive
            items = ((key, *entry) for key, entry in self._items())
            while chunk := list(islice(items, SPILL_CHUNK)):
                pickle.dump(chunk, f, 5)
        self.runs.append(path)
        self.terms, self.grouped = {}, {}
        self.size = 0

    def _read_run(self, path: str) -> Iterator[tuple]:
        with self.tempstore.open_file(path).raw_file() as f:
            while True:
                try:
                    yield from pickle.load(f)
                except EOFError:
                    return

    def iter_terms(self) -> Iterator[tuple[tuple[str, bytes], array, array, Any, array]]:
        """(key, docnums, weights, value bytes, value ends) per term, in term order."""
        memory = ((key, *entry) for key, entry in self._items())
        if not self.runs:
            yield from memory
            return
        sources = [self._read_run(p) for p in self.runs] + [memory]  # runs hold earlier documents
        for key, group in groupby(heapq.merge(*sources, key=lambda r: r[0]), key=lambda r: r[0]):
            parts = list(group)
            if len(parts) == 1:
                yield parts[0]
                continue
            ids, weights, blob, ends = array("I"), array("f"), bytearray(), array("I")
            for _, i, w, b, e in parts:
                ids.extend(i)
                weights.extend(w)
                ends.extend(_shifted(e, len(blob)))
                blob += b
            yield key, ids, weights, blob, ends

    def iter_postings(self) -> Iterator[tuple]:
        """Postings as Whoosh's pool yields them: (fieldname, tbytes, docnum, weight, value)."""
        for (fieldname, tbytes), ids, weights, blob, ends in self.iter_terms():
            if not ends and not blob:  # a count-only field's term (``add_grouped``): Whoosh's Frequency value
                for d, w in zip(ids, weights):
                    yield fieldname, tbytes, d, w, pack_uint(int(w))
                continue
            if not ends:  # a positions field's term (``add_grouped``): each posting's frequency of positions
                ends = array("I", accumulate(4 * int(w) for w in weights))
                blob = bytearray(blob)
            start = 0
            for d, w, end in zip(ids, weights, ends):
                yield fieldname, tbytes, d, w, bytes(blob[start:end])
                start = end

    def write_to(self, fieldwriter, schema, lengths) -> None:
        """Write every term's posting blocks and term info into ``fieldwriter``'s files."""
        postfile, blocklimit = postings_file(fieldwriter), block_limit(fieldwriter)
        for fieldname, terms in groupby(self.iter_terms(), key=lambda term: term[0][0]):
            fieldobj = schema[fieldname]
            fieldwriter.start_field(fieldname, fieldobj)
            if compact.uses_codec(fieldobj):
                compact.add_pooled_terms(fieldwriter, ((tbytes, ids, weights, blob)
                                                       for (_, tbytes), ids, weights, blob, _ in terms),
                                         compact.has_positions(fieldobj))
            else:
                fixedsize = fieldobj.format.fixed_value_size()
                field_lengths = written_length_bytes(lengths, fieldname)
                for (_, tbytes), ids, weights, blob, ends in terms:
                    blocks = _blocks(ids, weights, blob, ends, field_lengths, fixedsize, blocklimit)
                    add_term_info(fieldwriter, tbytes, write_term(postfile, blocks))
            fieldwriter.finish_field()

    def cleanup(self) -> None:
        for path in self.runs:
            try:
                self.tempstore.delete_file(path)
            except OSError:
                pass
        self.runs = []
