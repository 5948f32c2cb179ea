"""Search assistance for the web app: "did you mean" restoration and autocomplete.

Both models are learned from the index (``indexer.assist.diacritics``, ``indexer.assist.suggest``) and take
seconds to build on a big index, so the app warms them in a background thread at start and a
request never waits for a build: until a model is ready, there is no suggestion and no completion.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app

from indexer.assist.diacritics import model_for
from indexer.assist.spelling import corrector_for, did_you_mean
from indexer.assist.suggest import suggester_for

log = logging.getLogger(__name__)

EXTENSION = "timtin_assist"
RETRY_SECONDS = 30.0  # a failed warm-up (e.g. no index yet) is retried by a request after this long


class Assist:
    """Warms the diacritic model and the suggester of one index, and answers without blocking."""

    def __init__(self, index_dir: str):
        self.index_dir = index_dir
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._started = 0.0

    def start(self) -> None:
        """Warm both models in a daemon thread (no-op while one is running or once ready)."""
        with self._lock:
            if self.ready.is_set() or (self._thread is not None and self._thread.is_alive()):
                return
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._warm, daemon=True, name="timtin-warm")
            self._thread.start()

    def _warm(self) -> None:
        began = time.perf_counter()
        try:
            corrector_for(model_for(self.index_dir))
            suggester_for(self.index_dir)
        except Exception as exc:  # no index yet, unreadable files...: retried later
            log.warning("search assistance not ready for %s: %s", self.index_dir, exc)
            return
        self.ready.set()
        log.info("search assistance ready for %s in %.1f s", self.index_dir, time.perf_counter() - began)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until both models are ready (for tests and benchmarks)."""
        self.start()
        return self.ready.wait(timeout)

    def is_ready(self) -> bool:
        if self.ready.is_set():
            return True
        if time.monotonic() - self._started > RETRY_SECONDS:
            self.start()
        return False

    def suggestion(self, query: str) -> str | None:
        """The query with its typos corrected (``indexer.assist.spelling``) or else its diacritics restored,
        when that differs from it; None if not ready or on error."""
        if not self.is_ready():
            return None
        try:
            model = model_for(self.index_dir)
            restored = did_you_mean(model, corrector_for(model), query) or model.restore(query)
        except Exception:
            log.exception("diacritic restoration failed for %r", query)
            return None
        return restored if restored and restored != query else None

    def reading(self, query: str) -> str | None:
        """The restored reading of an unaccented query, for highlights (``DiacriticModel.reading``);
        None if not ready, not confident or on error."""
        if not self.is_ready():
            return None
        try:
            return model_for(self.index_dir).reading(query)
        except Exception:
            log.exception("reading failed for %r", query)
            return None

    def complete(self, prefix: str, limit: int) -> list[dict]:
        """Up to ``limit`` completions of ``prefix``; [] if not ready or on error."""
        if not self.is_ready():
            return []
        try:
            found = suggester_for(self.index_dir).complete(prefix, limit)
            return [{k: d[k] for k in ("text", "kind", "id") if k in d} for d in found[:limit]]
        except Exception:
            log.exception("autocomplete failed for %r", prefix)
            return []


def init_assist(app: Flask, warm: bool = True) -> Assist:
    """Attach an ``Assist`` to ``app`` and start warming it."""
    assist = Assist(app.config["INDEX_DIR"])
    app.extensions[EXTENSION] = assist
    if warm:
        assist.start()
    return assist


def assist() -> Assist:
    """The ``Assist`` of the current app."""
    return current_app.extensions[EXTENSION]
