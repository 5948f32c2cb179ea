"""ON-DISK CONTRACT: the one class that index files name by its module path.

Every posting block of a timtin index pickles ``indexer.fastwrite.PackedValues``, so this
module's path and the class's name must never change: moving or renaming them makes every
existing index unreadable (listed in ``indexer.store.ondisk.ON_DISK_CONTRACT``).
``tests/test_ondisk.py`` opens a committed index to prove it.  The writing code that uses
it lives in ``indexer.store.termpool``.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence


# ON-DISK CONTRACT: pickled as indexer.fastwrite.PackedValues(blob, ends) in posting blocks.
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
