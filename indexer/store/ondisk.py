"""The on-disk contract: the names of timtin's classes that every index pickles.

A Whoosh index stores its schema (field types, formats, analyzers) and, in timtin's
posting blocks, the packed values, as pickles that name classes by module path.  Moving
or renaming any class below makes every existing index unreadable, and
``SCHEMA_VERSION`` would not catch it.  Each of them carries an ``ON-DISK CONTRACT``
comment where it is defined.  (Whoosh's own pickled names are kept stable by the exact
pin of ``whoosh-reloaded``: ``indexer.store.patches.WHOOSH_VERSION``.)

``tests/test_ondisk.py`` opens an index committed under ``tests/data/`` and checks that
the names pickled in it, and in a freshly built one, are exactly these.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

ON_DISK_CONTRACT: frozenset[str] = frozenset({
    "indexer.analysis.VietnameseTokenizer",  # the analyzer of the exact and folded text fields
    "indexer.analysis.PairTokenizer",  # the analyzer of the ``pairs`` field
    "indexer.schema.TermPositions",  # the format of the fields with positions
    "indexer.schema.TermFrequency",  # the format of the fields with counts only
    "indexer.fastwrite.PackedValues",  # variable-size posting values of Whoosh-format blocks (format 1)
})
# Pickled by format 1 indexes only: format 2 keeps the searched fields in the compact codec
# (indexer.store.codec), and its Whoosh-format fields (id, facets) have no posting values.
FORMAT_1_ONLY: frozenset[str] = frozenset({"indexer.fastwrite.PackedValues"})

_recording: set[str] | None = None
_hooked = False
_lock = threading.Lock()


def _audit(event: str, args: tuple) -> None:
    if event == "pickle.find_class" and _recording is not None:
        _recording.add(f"{args[0]}.{args[1]}")


def pickled_names(index_dir: str | Path) -> set[str]:
    """Every class name (``module.Name``) unpickled while reading the whole index in ``index_dir``.

    Reads the schema, every posting of every term, the stored fields and the columns, and
    records what Python's unpickler resolves (the ``pickle.find_class`` audit event; the
    audit hook stays registered, idle, for the rest of the process).
    """
    global _recording, _hooked
    from indexer.store import compact
    from indexer.store.index import open_index

    with _lock:
        if not _hooked:
            sys.addaudithook(_audit)
            _hooked = True
        found: set[str] = set()
        _recording = found
        try:
            ix = open_index(index_dir, create=False)
            schema = ix.schema
            with ix.reader() as reader:
                for leaf, _offset in reader.leaf_readers():
                    for fieldname in leaf.indexed_field_names():
                        for term in leaf.lexicon(fieldname):
                            compact.read_term(leaf, fieldname, term)  # either format, every block
                for _ in reader.iter_docs():
                    pass
                for name in schema.names():
                    if reader.has_column(name):
                        list(reader.column_reader(name))
        finally:
            _recording = None
    return found
