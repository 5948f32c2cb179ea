"""A fix to Whoosh's storage layer: read compound segments without copying them.

Whoosh opens each part of a compound segment (postings, terms, stored fields) as a
``BufferFile`` whose constructor wraps the memory-mapped bytes in ``io.BytesIO``, which
copies them: a server process ended up holding a private copy of every segment (~3 GB
for the 100k index).  Here ``BufferFile`` reads straight from the memory map instead.
"""

from __future__ import annotations

import io

from whoosh.filedb import structfile


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
    self._buf = buf
    self._name = name
    self.file = _MemoryViewIO(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def install() -> None:
    """Make Whoosh's BufferFile zero-copy (idempotent)."""
    structfile.BufferFile.__init__ = _buffer_file_init


install()
