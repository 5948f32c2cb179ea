"""Every change timtin makes to Whoosh itself, installed explicitly and undoable.

Five Whoosh attributes are replaced while the patches are installed:

* ``whoosh.writing.PostingPool`` → :class:`indexer.store.termpool.TermPool` (postings
  grouped by term instead of sorted one by one);
* ``whoosh.writing.SegmentWriter._flush_segment`` → :func:`_flush_segment` (writes a
  TermPool's terms block by block in the compact form);
* ``whoosh.writing.SegmentWriter.add_document`` → :func:`_add_document` (a field of timtin's
  formats goes to the TermPool in one call, not posting by posting through three generators);
* ``whoosh.filedb.structfile.BufferFile.__init__`` → :func:`_buffer_file_init` (reads
  compound segments from the memory map instead of copying them: Whoosh's ``BytesIO``
  gave every server process a private copy of each segment, ~3 GB at 100k articles);
* ``whoosh.codec.base.Segment._random_id`` → :func:`_random_segment_id` (segment names from
  the operating system's randomness: Whoosh draws them from the shared ``random`` module, so
  code that seeds it, as Hypothesis does for every example, made two commits pick one name).

:func:`install` is called by :func:`indexer.store.index.open_index`, which every entry
point passes through before it reads or writes an index (the CLI, ``timtin merge``, the
web app's gunicorn workers, the watcher, the engine).  ``--procs`` writers are forked
from the process that opened the index, so they inherit the patches.  :func:`install`
first checks that the installed Whoosh is the exact version these patches were written
and tested against (:data:`WHOOSH_VERSION`, pinned in ``pyproject.toml``).
:func:`uninstall` (and :func:`stock_whoosh`) put Whoosh back as shipped, for baselines
and for tests that compare against it.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

from whoosh import writing
from whoosh.codec import base as codec_base
from whoosh.filedb import structfile
from whoosh.util import IDCHARS

from indexer.store.termpool import TermPool

WHOOSH_DISTRIBUTION = "whoosh-reloaded"
WHOOSH_VERSION = "2.7.5"  # the exact version the patches are tested with; pinned in pyproject.toml


# -- zero-copy reads of compound segments ---------------------------------------------------


class _MemoryViewIO(io.RawIOBase):
    """A read-only, seekable file over a memoryview, without copying it."""

    def __init__(self, buf: memoryview):
        self._buf = memoryview(buf).cast("B") if not isinstance(buf, bytes) else memoryview(buf)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf), self._pos + size)
        data = bytes(self._buf[self._pos : end])
        self._pos = end
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._buf)}[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self) -> int:
        return self._pos


def _buffer_file_init(self, buf, name=None, onclose=None) -> None:
    """``BufferFile.__init__`` reading straight from ``buf`` (Whoosh's copies it into a BytesIO)."""
    self._buf = buf
    self._name = name
    self.file = _MemoryViewIO(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


# -- segment writing through a TermPool -----------------------------------------------------


def _flush_segment(self) -> None:
    """``SegmentWriter._flush_segment`` writing a TermPool's terms block by block."""
    if not isinstance(self.pool, TermPool):
        return _STOCK["flush_segment"](self)
    self.perdocwriter.close()
    pdr = self.per_document_reader() if self.codec.length_stats else None
    self.pool.write_to(self.fieldwriter, self.schema, pdr)
    self.fieldwriter.close()
    if pdr:
        pdr.close()


# -- adding a document's postings to the TermPool by field -----------------------------------


def _add_document(self, **fields) -> None:
    """``SegmentWriter.add_document`` handing each field of timtin's formats to the TermPool at once.

    Whoosh passes every posting through three generators and a tuple (``Field.index``,
    ``Format.word_values``, ``PostingPool.add``); fields whose format groups its terms itself
    (``indexer.schema.TermPositions`` / ``TermFrequency``: ``grouped``) go to
    ``TermPool.add_grouped`` in one call, with the same term bytes, weights, values and length
    (overlaps left out of it, as ``word_values`` reports them).
    Everything else is Whoosh's loop as shipped (2.7.5), which :data:`WHOOSH_VERSION` pins.
    """
    pool = self.pool
    plain = getattr(self, "_timtin_plain_schema", None)  # the schema's answer, once per writer
    if plain is None:
        plain = self._timtin_plain_schema = not any(f.separate_spelling() or f.vector for f in self.schema)
    if not isinstance(pool, TermPool) or not plain or any(name.startswith("_") for name in fields):
        return _STOCK["add_document"](self, **fields)  # boosts, custom stored values, spelling, vectors
    self._check_state()
    perdocwriter = self.perdocwriter
    schema = self.schema
    docnum = self.docnum
    add_post = pool.add
    fieldnames = sorted(fields)
    self._check_fields(schema, fieldnames)
    perdocwriter.start_doc(docnum)
    try:
        for fieldname in fieldnames:
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                grouped = getattr(field.format, "grouped", None)
                found = grouped(value, field.analyzer) if grouped is not None and isinstance(value, str) else None
                if found is not None:
                    poses, overlaps = found
                    length = pool.add_grouped(fieldname, docnum, poses, overlaps, field.format.field_boost,
                                              field.format.pooled_positions)
                    if not field.scorable:
                        length = 0
                else:
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if field.scorable:
                            length += freq
                        add_post((fieldname, tbytes, docnum, weight * 1.0, vbytes))
            perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
            column = field.column_type
            if column:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
    except Exception:
        perdocwriter.cancel_doc()
        raise
    perdocwriter.finish_doc()
    self._added = True
    self.docnum += 1


# -- segment names -------------------------------------------------------------------------


def _random_segment_id(cls: type, size: int = 16) -> str:
    """A segment id drawn from ``secrets`` (Whoosh's draws from the seedable ``random`` module)."""
    return "".join(secrets.choice(IDCHARS) for _ in range(size))


# -- install / uninstall --------------------------------------------------------------------


def _stock() -> dict[str, Any]:
    """Whoosh's own attributes, as found when this module is first imported."""
    found = {"pool": writing.PostingPool, "flush_segment": writing.SegmentWriter.__dict__["_flush_segment"],
             "add_document": writing.SegmentWriter.__dict__["add_document"],
             "buffer_init": structfile.BufferFile.__dict__["__init__"],
             "random_id": codec_base.Segment.__dict__["_random_id"]}
    if found["pool"] is TermPool or found["flush_segment"] is _flush_segment:
        raise RuntimeError("indexer.store.patches was imported twice with its patches installed")
    return found


_STOCK = _stock()
_RANDOM_ID: classmethod[Any, ..., str] = classmethod(_random_segment_id)
_suppressed = 0  # > 0 inside stock_whoosh(): install() leaves Whoosh as shipped


def installed_whoosh_version() -> str | None:
    """The version of the installed ``whoosh-reloaded`` distribution (None if it is not installed)."""
    try:
        return metadata.version(WHOOSH_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


_checked = False


def check_whoosh_version() -> None:
    """Fail with a clear message unless the installed Whoosh is exactly :data:`WHOOSH_VERSION`."""
    global _checked
    if _checked:
        return
    found = installed_whoosh_version()
    if found != WHOOSH_VERSION:
        raise RuntimeError(
            f"timtin needs {WHOOSH_DISTRIBUTION}=={WHOOSH_VERSION} (it patches Whoosh's internals and was "
            f"tested with that version only), but {WHOOSH_DISTRIBUTION} {found or 'is not installed'}"
            f"{' is installed' if found else ''}: run pip install '{WHOOSH_DISTRIBUTION}=={WHOOSH_VERSION}'")
    _checked = True


def install() -> None:
    """Apply the patches (idempotent); RuntimeError if the installed Whoosh is not the tested version."""
    check_whoosh_version()
    if _suppressed:
        return
    writing.PostingPool = TermPool
    writing.SegmentWriter._flush_segment = _flush_segment
    writing.SegmentWriter.add_document = _add_document
    structfile.BufferFile.__init__ = _buffer_file_init
    codec_base.Segment._random_id = _RANDOM_ID


def uninstall() -> None:
    """Put Whoosh back exactly as shipped (idempotent)."""
    writing.PostingPool = _STOCK["pool"]
    writing.SegmentWriter._flush_segment = _STOCK["flush_segment"]
    writing.SegmentWriter.add_document = _STOCK["add_document"]
    structfile.BufferFile.__init__ = _STOCK["buffer_init"]
    codec_base.Segment._random_id = _STOCK["random_id"]


def is_installed() -> bool:
    """Whether the patches are in place (all five of them)."""
    return (writing.PostingPool is TermPool and writing.SegmentWriter.__dict__["_flush_segment"] is _flush_segment
            and writing.SegmentWriter.__dict__["add_document"] is _add_document
            and structfile.BufferFile.__dict__["__init__"] is _buffer_file_init
            and codec_base.Segment.__dict__["_random_id"] is _RANDOM_ID)


@contextmanager
def stock_whoosh() -> Iterator[None]:
    """Run a block with Whoosh as shipped, even through timtin's own functions (which call install()).

    The patches are back on exit if they were installed on entry.
    """
    global _suppressed
    was_installed = is_installed()
    uninstall()
    _suppressed += 1
    try:
        yield
    finally:
        _suppressed -= 1
        if was_installed and not _suppressed:
            install()
