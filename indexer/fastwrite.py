"""Faster Whoosh segment writing, and posting blocks that load without a Python object per posting.

Writing a segment calls a few Python functions for each of its postings (~880 per
article).  Two of them did needless work:

* ``FieldWriter.add_postings`` looked up the document's field length column through
  three method calls for every posting; here each field's lengths are read once into a
  list.
* ``W3PostingsWriter.add_posting`` type-checked every argument with ``assert``.

Whoosh pickles each posting block as tuples: one int, one float and, in fields with
positions, one bytes object per posting.  Loading them cost ~330 ns per posting, most of
the time of a search on a cold cache.  ``write_block`` pickles the same block as compact
arrays instead (docnum deltas, weights, and the positions as one bytes object with end
offsets, :class:`PackedValues`), which load in a few ns per posting.  Whoosh's own
readers take them as they are: they only index and iterate these sequences.
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from collections.abc import Callable, Iterator, Sequence

from whoosh.codec import base, whoosh3
from whoosh.util.numeric import byte_to_length, length_to_byte

_EMPTY = b""
STOCK_ADD_POSTINGS = base.FieldWriter.add_postings
STOCK_ADD_POSTING = whoosh3.W3PostingsWriter.add_posting


def _length_lists(lengths) -> Callable[[str], list[int]]:
    """Per field, the length of every document, read once from the segment's columns."""
    cache: dict[str, list[int]] = {}

    def get(fieldname: str) -> list[int]:
        found = cache.get(fieldname)
        if found is None:
            reader = lengths._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
            if reader is None:
                found = []
            else:
                found = [byte_to_length(b) for b in (reader[d] for d in range(lengths.doc_count_all()))]
            cache[fieldname] = found
        return found

    return get


def add_postings(self, schema, lengths, items) -> None:
    """``FieldWriter.add_postings`` with field lengths looked up in a list."""
    start_field, start_term, add = self.start_field, self.start_term, self.add
    finish_term, finish_field = self.finish_term, self.finish_field
    lengths_of = _length_lists(lengths) if lengths else None
    lens: list[int] = []
    lastfn = None
    lasttext = None
    for fieldname, btext, docnum, weight, value in items:
        if fieldname != lastfn:
            if lastfn is not None and fieldname < lastfn:
                raise base.OutOfOrderError(f"Field {lastfn!r} .. {fieldname!r}")
            if lasttext is not None:
                finish_term()
            if lastfn is not None:
                finish_field()
            start_field(fieldname, schema[fieldname])
            lens = lengths_of(fieldname) if lengths_of else []
            lastfn, lasttext = fieldname, None
        if docnum == -1:  # Whoosh's marker for spelling words, which we do not write
            continue
        if btext != lasttext:
            if lasttext is not None:
                if btext < lasttext:
                    raise base.OutOfOrderError(f"Term {fieldname}:{lasttext!r} .. {btext!r}")
                finish_term()
            start_term(btext)
            lasttext = btext
        add(docnum, weight, _EMPTY if value is None else value, lens[docnum] if docnum < len(lens) else 0)
    if lasttext is not None:
        finish_term()
    if lastfn is not None:
        finish_field()


def add_posting(self, id_, weight, vbytes, length=None) -> None:
    """``W3PostingsWriter.add_posting`` without its per-posting type assertions."""
    ids = self._ids
    if len(ids) >= self._blocklimit:
        self._write_block()
        ids = self._ids
    ids.append(id_)
    self._weights.append(weight)
    if weight > self._maxweight:
        self._maxweight = weight
    if vbytes:
        self._values.append(vbytes)
    if length:
        if self._minlength is None or length < self._minlength:
            self._minlength = length
        if length > self._maxlength:
            self._maxlength = length


class PackedValues(Sequence[bytes]):
    """A block's posting values (encoded positions) as one bytes object and end offsets."""

    __slots__ = ("blob", "ends")

    def __init__(self, blob: bytes, ends: array):
        self.blob = blob
        self.ends = ends

    @classmethod
    def pack(cls, values: Sequence[bytes]) -> PackedValues:
        ends, total = array("I"), 0
        for v in values:
            total += len(v)
            ends.append(total)
        return cls(b"".join(values), ends)

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return tuple(self)[i]
        if i < 0:
            i += len(self.ends)
        return self.blob[self.ends[i - 1] if i else 0 : self.ends[i]]

    def __iter__(self) -> Iterator[bytes]:
        start = 0
        for end in self.ends:
            yield self.blob[start:end]
            start = end

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __reduce__(self):
        return PackedValues, (self.blob, self.ends)


def pack_ids(deltas: Sequence[int]) -> array:
    """Delta-encoded docnums (the first one absolute) as a compact array."""
    return array("H" if max(deltas, default=0) < 65536 else "I", deltas)


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


def write_block(self, last: bool = False) -> None:
    """``W3PostingsWriter._write_block`` writing compact arrays (uncompressed blocks only)."""
    if self._byteids or self._compression:
        return STOCK_WRITE_BLOCK(self, last)
    if not self._blockcount:
        self._postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
    self._terminfo.add_block(self)
    ids = self._ids
    deltas = [ids[0]] + [b - a for a, b in zip(ids, ids[1:])]
    data = (pack_ids(deltas), pack_weights(self._weights), pack_values(self._values, self._format.fixed_value_size()))
    dump_block(self._postfile, len(ids), ids[-1], self._maxweight, length_to_byte(self._minlength),
               length_to_byte(self._maxlength), data, last)
    self._blockcount += 1
    self._new_block()


def load_block_data(raw: bytes, compressed: bool) -> tuple:
    """The (ids, weights, values) tuple of a block, whichever way it was written."""
    return pickle.loads(zlib.decompress(raw) if compressed else raw)


STOCK_WRITE_BLOCK = whoosh3.W3PostingsWriter._write_block


def install() -> None:
    """Use the faster methods (idempotent)."""
    base.FieldWriter.add_postings = add_postings
    whoosh3.W3PostingsWriter.add_posting = add_posting
    whoosh3.W3PostingsWriter._write_block = write_block


install()
