"""Faster Whoosh segment writing: the same files, fewer Python calls per posting.

Writing a segment calls a few Python functions for each of its postings (~880 per
article).  Two of them did needless work:

* ``FieldWriter.add_postings`` looked up the document's field length column through
  three method calls for every posting; here each field's lengths are read once into a
  list.
* ``W3PostingsWriter.add_posting`` type-checked every argument with ``assert``.

The output is byte for byte what stock Whoosh writes (``tests/test_fastwrite.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh.codec import base, whoosh3
from whoosh.util.numeric import byte_to_length

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


def install() -> None:
    """Use the faster methods (idempotent)."""
    base.FieldWriter.add_postings = add_postings
    whoosh3.W3PostingsWriter.add_posting = add_posting


install()
