"""A model learned from an index, cached per index folder and kept in step with its generation.

The diacritic model and the suggester both take seconds to learn on a big index; an
:class:`IndexCache` builds one per index folder, saves it in a file in that folder (tagged with
the index generation it was learned from) so a restart loads it instead of learning again, and
rebuilds it in the background when a new generation is committed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class IndexCache(Generic[T]):
    """One object per index folder (plain or sharded), rebuilt when the index generation changes.

    The first call builds (or loads ``<index_dir>/<filename>``, saved with its generation)
    synchronously.  When a new generation is committed, the old object keeps serving while a
    background thread rebuilds; ``wait=True`` blocks until the object matches the index.
    """

    def __init__(self, build: Callable[[object], T], filename: str | None,
                 save: Callable[[T, Path, int], None] | None = None,
                 load: Callable[[Path], tuple[T, int]] | None = None):
        self._build = build  # IndexView (indexer.shard.view: one Snapshot per shard) -> T
        self.filename = filename
        self._save, self._load = save, load
        self._entries: dict[str, tuple[int, T]] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()

    def _path(self, index_dir: Path) -> Path | None:
        return index_dir / self.filename if self.filename else None

    def _rebuild(self, key: str, index_dir: Path) -> None:
        from indexer.shard.view import open_view

        view = open_view(index_dir)  # one snapshot, or one per shard of a sharded index
        obj = self._build(view)
        with self._lock:
            current = self._entries.get(key)
            if current is None or current[0] != view.generation:
                self._entries[key] = (view.generation, obj)
        path = self._path(index_dir)
        if path is not None and self._save is not None:
            try:
                self._save(obj, path, view.generation)
            except OSError as exc:  # a read-only index folder only costs the next start a rebuild
                log.warning("could not save %s: %s", path, exc)

    def _try_load(self, index_dir: Path) -> tuple[int, T] | None:
        path = self._path(index_dir)
        if path is None or self._load is None or not path.exists():
            return None
        try:
            obj, generation = self._load(path)
        except Exception as exc:  # a damaged or outdated file is rebuilt
            log.warning("could not load %s: %s", path, exc)
            return None
        return generation, obj

    def get(self, index_dir: str | Path, wait: bool = False) -> T:
        """The object of ``index_dir``: current, or stale while a rebuild runs (current with ``wait``)."""
        from indexer.shard.view import open_view

        index_dir = Path(index_dir)
        key = str(index_dir.resolve())
        generation = open_view(index_dir).generation
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            loaded = self._try_load(index_dir)
            if loaded is not None:
                with self._lock:
                    entry = self._entries.setdefault(key, loaded)
        if entry is not None and entry[0] == generation:
            return entry[1]
        if entry is None or wait:
            self._join(key)
            with self._build_lock:  # concurrent first requests build once
                with self._lock:
                    entry = self._entries.get(key)
                if entry is None or entry[0] != generation:
                    self._rebuild(key, index_dir)
            return self._entries[key][1]
        with self._lock:  # stale: serve the old object, rebuild in the background
            thread = self._threads.get(key)
            if thread is None or not thread.is_alive():
                thread = threading.Thread(target=self._rebuild_quietly, args=(key, index_dir), daemon=True,
                                          name=f"rebuild-{self.filename}")
                self._threads[key] = thread
                thread.start()
        return entry[1]

    def _rebuild_quietly(self, key: str, index_dir: Path) -> None:
        try:
            self._rebuild(key, index_dir)
        except Exception:
            log.exception("background rebuild of %s failed", self.filename)

    def _join(self, key: str) -> None:
        thread = self._threads.get(key)
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def clear(self) -> None:
        """Forget every cached object (the files stay; the next ``get`` loads or builds)."""
        with self._lock:
            self._entries.clear()
