"""Fast access to a Whoosh index as numpy arrays: postings, lengths, dates, facets.

Whoosh stays the storage (segments, atomic commits, locking).  Scoring every matching
document with Whoosh's pure-Python matchers takes ~1 s per query at 100k articles, so
search reads each term's postings once into numpy arrays (cached per segment, which
survives commits that add new segments) and scores all documents at once.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.index import FileIndex
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from indexer.schema import EXACT, FOLDED, GROUP_JOINED, GROUP_KEY, NO_DATE, PAIRS, TEXT_PARTS
from indexer.store import codec, compact
from indexer.store.index import open_index  # installs indexer.store.patches (zero-copy segment reads)
from indexer.store.internals import fixed_column_bytes, length_bytes, raw_blocks

SCORED_FIELDS = (*EXACT.values(), *FOLDED.values(), PAIRS)
_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)
EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_TF = np.zeros(0, dtype=np.float32)
LOAD_ATTEMPTS = 5  # tries to open the newest generation while commits remove older files


def _decode_postings(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """All (docnum, frequency) postings of one term in one segment, as numpy arrays."""
    fieldobj = reader.schema[fieldname] if fieldname in reader.schema else None
    if fieldobj is not None and compact.uses_codec(fieldobj):
        raw = compact.read_record(reader, fieldname, text)
        if raw is None:
            return EMPTY_IDS, EMPTY_TF
        return codec.decode(raw, compact.has_positions(fieldobj))
    try:
        m = reader.postings(fieldname, text)
    except TermNotFound:
        return EMPTY_IDS, EMPTY_TF
    ids: list[np.ndarray] = []
    tfs: list[np.ndarray] = []
    for raw_ids, raw_w, _values, n in raw_blocks(m):  # deleted documents included: they are in Snapshot.live
        ids.append(np.cumsum(np.frombuffer(raw_ids, dtype=raw_ids.typecode)
                             if hasattr(raw_ids, "typecode") else np.asarray(raw_ids), dtype=np.int64))
        if raw_w is None:
            tfs.append(np.ones(n, dtype=np.float32))
        elif isinstance(raw_w, float):
            tfs.append(np.full(n, raw_w, dtype=np.float32))
        else:
            tfs.append(np.asarray(raw_w, dtype=np.float32))
    if not ids:
        return EMPTY_IDS, EMPTY_TF
    return np.concatenate(ids), np.concatenate(tfs)


class PostingsCache:
    """Decoded postings, least recently used first out, bounded by bytes (TIMTIN_CACHE_MB)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: tuple, value: tuple[np.ndarray, np.ndarray]) -> None:
        size = value[0].nbytes + value[1].nbytes + 100
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self.bytes += size
            while self.bytes > self.max_bytes and len(self._items) > 1:
                _, (i, t) = self._items.popitem(last=False)
                self.bytes -= i.nbytes + t.nbytes + 100


DEFAULT_CACHE = PostingsCache(int(float(os.environ.get("TIMTIN_CACHE_MB", "1024")) * 2**20))


class SegmentData:
    """Per-segment arrays: field lengths, dates, and decoded postings (through a shared cache)."""

    def __init__(self, reader, key: str, lock: threading.RLock, cache: PostingsCache = DEFAULT_CACHE):
        self.reader = reader
        self.lock = lock
        self.key = key
        self.size = reader.doc_count_all()
        self._lengths: dict[str, np.ndarray] = {}
        self._cache = cache
        self.published = self._int_column("published_min", NO_DATE)
        # story groups (indexer.store.groups): 0 in segments written before them
        self.group_keys = self._int_column(GROUP_KEY, 0, ">i8")
        self.joined = self._int_column(GROUP_JOINED, 0, "u1").astype(bool)

    def _int_column(self, name: str, default: int, dtype: str = ">i4") -> np.ndarray:
        out = np.full(self.size, default, dtype=np.int64)
        if name not in self.reader.schema or not self.reader.has_column(name):  # an older index
            return out
        raw = fixed_column_bytes(self.reader.column_reader(name, translate=False))
        values = np.frombuffer(raw, dtype=dtype).astype(np.int64)
        out[: len(values)] = values
        return out

    def lengths(self, fieldname: str) -> np.ndarray:
        got = self._lengths.get(fieldname)
        if got is None:
            got = np.zeros(self.size, dtype=np.float32)
            raw = length_bytes(self.reader, fieldname)
            if raw is not None:
                got[: len(raw)] = _BYTE_TO_LENGTH[np.frombuffer(raw, dtype=np.uint8)]
            self._lengths[fieldname] = got
        return got

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = (self.key, fieldname, text)
        hit = self._cache.get(key)
        if hit is None:
            with self.lock:
                hit = _decode_postings(self.reader, fieldname, text)
            self._cache.put(key, hit)
        return hit

    def positions(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(docnums, frequencies, positions) of a term (not cached: only phrases need them)."""
        with self.lock:
            return _decode_positions(self.reader, fieldname, text)


def _decode_positions(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(docnums, frequencies, positions) of a term with positions in one segment."""
    raw = compact.read_record(reader, fieldname, text) if fieldname in reader.schema else None
    if raw is None:
        return EMPTY_IDS, EMPTY_IDS, EMPTY_IDS
    return codec.decode_positions(raw)


class LockedSearcher:
    """A Whoosh searcher whose method calls hold a lock.

    Whoosh readers share file positions, so two threads of a gunicorn worker reading at
    once can corrupt each other's reads; every call into Whoosh goes through this lock.
    """

    def __init__(self, searcher: Searcher, lock: threading.RLock):
        self.raw = searcher
        self.lock = lock

    def __getattr__(self, name: str):
        attr = getattr(self.raw, name)
        if not callable(attr):
            return attr

        def locked(*args, **kwargs):
            with self.lock:
                return attr(*args, **kwargs)
        return locked


@dataclass
class Snapshot:
    """One committed generation of the index, ready for vectorised search."""

    searcher: LockedSearcher  # use for stored fields and lookups; ``searcher.raw`` under ``lock``
    generation: int
    segments: list[tuple[SegmentData, int]]  # (data, docnum offset)
    size: int
    live: np.ndarray  # False for deleted documents
    published: np.ndarray  # minutes since the epoch, NO_DATE when unknown
    avg_length: dict[str, float] = field(default_factory=dict)
    doc_count: int = 0
    _masks: dict = field(default_factory=dict)
    _lengths: dict = field(default_factory=dict)
    open_searcher: Callable[[], Any] | None = None  # gives a private searcher (for long scans)
    group_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # 0: no group stored
    joined: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # joined an earlier article's group

    @property
    def grouped_keys(self) -> np.ndarray:
        """Sorted keys of the story groups with 2+ articles here (those some live article joined)."""
        got = self._masks.get("grouped_keys")
        if got is None:
            got = self._masks["grouped_keys"] = np.unique(self.group_keys[self.joined & self.live])
        return got

    def grouped_mask(self, keys: np.ndarray | None = None) -> np.ndarray:
        """Documents in one of the story groups ``keys`` (sorted; default ``grouped_keys``): the only
        ones a collapse can merge."""
        keys = self.grouped_keys if keys is None else keys
        cache_key = ("grouped", len(keys), hash(keys.tobytes()))
        got = self._masks.get(cache_key)
        if got is None:
            if len(keys) and len(self.group_keys) == self.size:
                got = np.isin(self.group_keys, keys) & (self.group_keys != 0)
            else:
                got = np.zeros(self.size, dtype=bool)
            self._masks[cache_key] = got
        return got

    @property
    def lock(self) -> threading.RLock:
        return self.searcher.lock

    def lengths(self, fieldname: str) -> np.ndarray:
        got = self._lengths.get(fieldname)
        if got is None:
            parts = [seg.lengths(fieldname) for seg, _ in self.segments]
            got = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
            self._lengths[fieldname] = got
        return got

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Global (docnum, frequency) arrays of a term over all segments."""
        ids, tfs = [], []
        for seg, offset in self.segments:
            i, t = seg.postings(fieldname, text)
            if len(i):
                ids.append(i + offset)
                tfs.append(t)
        if not ids:
            return EMPTY_IDS, EMPTY_TF
        if len(ids) == 1:
            return ids[0], tfs[0]
        return np.concatenate(ids), np.concatenate(tfs)

    def positions(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Global (docnums, frequencies, positions) of a term with positions over all segments."""
        parts = [(i + offset, t, p) for seg, offset in self.segments
                 for i, t, p in [seg.positions(fieldname, text)] if len(i)]
        if not parts:
            return EMPTY_IDS, EMPTY_IDS, EMPTY_IDS
        if len(parts) == 1:
            return parts[0]
        return tuple(np.concatenate(x) for x in zip(*parts))  # type: ignore[return-value]

    def doc_frequency(self, fieldname: str, text: str) -> int:
        with self.lock:
            return self.searcher.raw.reader().doc_frequency(fieldname, text)

    def term_mask(self, fieldname: str, text: str) -> np.ndarray:
        """Documents containing a term, as a boolean mask (cached: used for facets)."""
        key = (fieldname, text)
        got = self._masks.get(key)
        if got is None:
            got = np.zeros(self.size, dtype=bool)
            got[self.postings(fieldname, text)[0]] = True
            if len(self._masks) > 2000:
                self._masks.clear()
            self._masks[key] = got
        return got

    def field_values(self, fieldname: str) -> list[str]:
        """Distinct indexed values of a facet field."""
        with self.lock:
            return [t.decode("utf-8") if isinstance(t, bytes) else t
                    for t in self.searcher.raw.reader().lexicon(fieldname)]

    def facet_table(self, fieldname: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(values, docnums, value codes) of a facet field, built once per snapshot."""
        key = ("facet", fieldname)
        got = self._masks.get(key)
        if got is None:
            values = self.field_values(fieldname)
            docs, codes = [], []
            for code, value in enumerate(values):
                ids = self.postings(fieldname, value)[0]
                docs.append(ids)
                codes.append(np.full(len(ids), code, dtype=np.int32))
            got = (values, np.concatenate(docs) if docs else EMPTY_IDS,
                   np.concatenate(codes) if codes else np.zeros(0, dtype=np.int32))
            self._masks[key] = got
        return got

    def close(self) -> None:
        self.searcher.close()


class Engine:
    """Holds the current Snapshot of an index and refreshes it when a commit lands."""

    def __init__(self, index_dir: str | Path, refresh_interval: float = 0.0):
        self.index_dir = Path(index_dir)
        self.refresh_interval = refresh_interval
        self._ix: FileIndex | None = None
        self._snapshot: Snapshot | None = None
        self._segments: dict[str, SegmentData] = {}
        self._checked = 0.0
        self._lock = threading.Lock()
        self._whoosh_lock = threading.RLock()  # one per index: segment readers are shared by snapshots

    @property
    def ix(self) -> FileIndex:
        if self._ix is None:
            self._ix = open_index(self.index_dir, create=False)
        return self._ix

    def snapshot(self) -> Snapshot:
        """The newest committed snapshot (checked at most once per refresh interval)."""
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None and now - self._checked < self.refresh_interval:
            return snap
        with self._lock:
            self._checked = now
            snap = self._snapshot
            if snap is None or self.ix.latest_generation() != snap.generation:
                snap = self._snapshot = self._load_committed()
                # the old searcher stays usable by requests still holding it; its files
                # are closed when it is garbage-collected
            return snap

    def _load_committed(self) -> Snapshot:
        """``_load``, again when a commit removed the files of the generation it started reading
        (a merge that lands between reading the table of contents and opening its segments)."""
        for attempt in range(LOAD_ATTEMPTS):
            try:
                return self._load()
            except FileNotFoundError:
                if attempt == LOAD_ATTEMPTS - 1:
                    raise
                time.sleep(0.02 * (attempt + 1))
        raise AssertionError("unreachable")

    def _load(self) -> Snapshot:
        searcher = self.ix.searcher()
        reader = searcher.reader()
        segments: list[tuple[SegmentData, int]] = []
        fresh: dict[str, SegmentData] = {}
        for leaf, offset in reader.leaf_readers():
            segment = leaf.segment() if hasattr(leaf, "segment") else None
            if segment is None and leaf.doc_count_all() == 0:
                continue  # the EmptyReader of an index with no segment yet (nothing committed)
            seg_id = segment.segment_id() if segment is not None else str(id(leaf))
            data = self._segments.get(seg_id)
            if data is None or data.size != leaf.doc_count_all():
                data = SegmentData(leaf, f"{self.index_dir}:{seg_id}", self._whoosh_lock)
            else:
                data.reader = leaf
            fresh[seg_id] = data
            segments.append((data, offset))
        self._segments = fresh
        size = reader.doc_count_all()
        live = np.ones(size, dtype=bool)
        for seg, offset in segments:
            for d in seg.reader.segment().deleted_docs() if hasattr(seg.reader, "segment") else ():
                live[offset + d] = False
        def concat(name: str, dtype: type) -> np.ndarray:
            parts = [getattr(s, name) for s, _ in segments]
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        published = concat("published", np.int64)
        doc_count = int(live.sum())
        snap = Snapshot(LockedSearcher(searcher, self._whoosh_lock), self.ix.latest_generation(), segments,
                        size, live, published, doc_count=doc_count, open_searcher=self.ix.searcher,
                        group_keys=concat("group_keys", np.int64), joined=concat("joined", bool))
        for fieldname in SCORED_FIELDS:
            total = reader.field_length(fieldname)
            snap.avg_length[fieldname] = max(total / max(doc_count, 1), 1.0)
        return snap


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(index_dir: str | Path) -> Engine:
    """One shared Engine per index folder (readers and caches are reused)."""
    key = str(Path(index_dir).resolve())
    with _engines_lock:
        eng = _engines.get(key)
        if eng is None:
            eng = _engines[key] = Engine(index_dir)
        return eng


__all__ = ["Engine", "Snapshot", "get_engine", "TEXT_PARTS"]
