"""Every read of Whoosh's private state, each behind a named function.

Whoosh 2.7.5's readers and writers keep what timtin needs for speed (raw posting blocks,
column bytes, the postings file and term index of a segment being written, the TOC) in
private attributes.  They are read here only, so that a Whoosh upgrade (see
``indexer.store.patches.WHOOSH_VERSION``) has one module to check.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from hashlib import md5
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Segment, W3TermInfo, _lenfield
from whoosh.filedb import filetables
from whoosh.index import TOC, FileIndex, clean_files
from whoosh.system import pack_ushort

# -- reading segments -----------------------------------------------------------------------


def raw_blocks(matcher) -> Iterator[tuple[Any, Any, Any, int]]:
    """(docnum deltas, weights, values, count) of each remaining posting block of a term's matcher.

    The first three are as the block stores them (see ``indexer.store.termpool.Block``).
    A segment with deletions wraps its matcher; the blocks are those of the wrapped one
    (deleted documents included).
    """
    m = matcher
    while not hasattr(m, "_read_data") and hasattr(m, "child"):
        m = m.child
    while m.is_active():
        m._read_data()
        ids, weights, values = m._data
        yield ids, weights, values, m._blocklength
        m._next_block()


def fixed_column_bytes(col) -> bytes:
    """The raw bytes of a fixed-width column (``reader.column_reader(name, translate=False)``)."""
    return col._dbfile.get(col._basepos, col._count * col._fixedlen)


def length_bytes(reader, fieldname: str) -> bytes | None:
    """One length byte per document of ``fieldname`` in a segment reader (None if none stored)."""
    perdoc = reader._perdoc
    lenfield = _lenfield(fieldname)
    if not perdoc.has_column(lenfield):
        return None
    col = perdoc.column_reader(lenfield, LENGTHS_COLUMN)
    return col._dbfile.get(col._basepos, col._count)


def written_length_bytes(perdoc_reader, fieldname: str) -> bytes:
    """Each document's length byte for ``fieldname`` in a segment being written (empty if none)."""
    if perdoc_reader is None:
        return b""
    col = perdoc_reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if col is None:
        return b""
    return bytes(col[d] for d in range(perdoc_reader.doc_count_all()))


def segment_terms(reader) -> Iterator[tuple[tuple[str, bytes], W3TermInfo]]:
    """((fieldname, term bytes), term info) of a segment reader, in term order."""
    return iter(reader._terms.items())


def raw_term_infos(reader) -> Iterator[tuple[tuple[str, bytes], bytes]]:
    """((fieldname, term bytes), term info bytes as stored) of a segment reader, in term order."""
    decode_key = reader._terms._keydecoder
    for keybytes, valbytes in reader._terms._tindex.items():
        yield decode_key(keybytes), valbytes


def raw_term_info(reader, fieldname: str, tbytes: bytes) -> bytes | None:
    """A term's info bytes as stored in a segment reader (None when the segment lacks the term)."""
    terms = reader._terms
    return terms._tindex.get(terms._keycoder(fieldname, tbytes))


def segment_postings_file(reader):
    """The postings file of a segment reader (``get``/``get_int`` at absolute offsets)."""
    return reader._terms._postfile


# -- writing segments -----------------------------------------------------------------------


def postings_file(fieldwriter):
    """The postings file a segment's field writer appends to."""
    return fieldwriter._postfile


def block_limit(fieldwriter) -> int:
    """The most postings per block of the writer's codec."""
    return fieldwriter._codec._blocklimit


def add_term_info(fieldwriter, tbytes: bytes, info: W3TermInfo) -> None:
    """Record a term of the current field (its postings already written) in the term index."""
    fieldwriter._tindex.add(pack_ushort(fieldwriter._fieldid) + tbytes, info.to_bytes())


def add_raw_term_info(fieldwriter, tbytes: bytes, info: bytes) -> None:
    """Record a term of the current field with term info bytes of another format (see ``compact``)."""
    fieldwriter._tindex.add(pack_ushort(fieldwriter._fieldid) + tbytes, info)


def add_raw_term_infos(fieldwriter, terms: list[bytes], infos: list[bytes]) -> None:
    """``add_raw_term_info`` for many terms of the current field at once, in increasing term order.

    The same bytes as one ``OrderedHashWriter.add`` per term (key and value records, the key
    positions of its ordered index, the hash buckets), written with one ``write`` call.
    """
    tindex = fieldwriter._tindex
    dbfile = tindex.dbfile
    prefix = pack_ushort(fieldwriter._fieldid)
    hashfn, buckets, positions = tindex.hashfn, tindex.buckets, tindex.index
    fast_md5 = hashfn is filetables.md5_hash
    pos = dbfile.tell()
    lastkey = tindex.lastkey
    parts: list[bytes] = []
    lengths = _KV_LENGTHS.pack
    for tbytes, info in zip(terms, infos, strict=True):
        key = prefix + tbytes
        if key <= lastkey:
            raise ValueError(f"Keys must increase: {lastkey!r}..{key!r}")
        positions.append(pos)
        # md5_hash's value: the digest's last four bytes, big-endian
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big") if fast_md5 else hashfn(key)
        buckets[h & 255].append((h, pos))
        head = lengths(len(key), len(info))
        parts += (head, key, info)
        pos += len(head) + len(key) + len(info)
        lastkey = key
    dbfile.write(b"".join(parts))
    tindex.lastkey = lastkey


_KV_LENGTHS = struct.Struct("!ii")  # whoosh.filedb.filetables._lengths: a record's key and value lengths


def mark_documents_added(writer) -> None:
    """Make ``writer.commit`` write its segment though documents came in by other means."""
    writer._added = True


# -- the table of contents ------------------------------------------------------------------


def read_toc(ix: FileIndex) -> TOC:
    """The latest TOC of the index (schema, segments, generation)."""
    return ix._read_toc()


def index_segments(ix: FileIndex) -> list[W3Segment]:
    """The segments of the index's latest generation."""
    return ix._segments()


def write_toc(ix: FileIndex, schema, segments: list, generation: int) -> None:
    """Commit ``segments`` as generation ``generation`` and delete the files nothing uses any more.

    The caller holds the write lock.
    """
    TOC(schema, segments, generation).write(ix.storage, ix.indexname)
    clean_files(ix.storage, ix.indexname, generation, segments)
