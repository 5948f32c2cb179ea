"""``timtin index --watch DIR``: index new and changed files as they appear in a folder.

For a newsroom that drops exported articles into a folder.  The folder is scanned every
``interval`` seconds; a file is indexed once its size and modification time have stayed
the same for one scan (so half-written files are not read).  What was indexed is remembered
in ``<index>/watch-state.json``, so a restarted watcher does not index everything again.
Removing a file does not remove its articles (use ``timtin delete``).  After a batch, small
segments are merged in a separate process when enough have piled up (``indexer.store.merge``).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from indexer.ingest.sources import iter_files, read_files
from indexer.shard.dispatch import merge_in_background, prepare, write_index
from indexer.store.index import IndexBusyError

STATE_FILE = "watch-state.json"
Signature = tuple[int, int]  # (mtime in ns, size)


def _scan(paths: Sequence[str | Path]) -> dict[str, tuple[Signature, Path, Path]]:
    out: dict[str, tuple[Signature, Path, Path]] = {}
    for file, root in iter_files(paths):
        try:
            st = file.stat()
        except OSError:
            continue
        out[str(file)] = ((st.st_mtime_ns, st.st_size), file, root)
    return out


def _load_state(index_dir: Path) -> dict[str, Signature]:
    try:
        return {k: tuple(v) for k, v in json.loads((index_dir / STATE_FILE).read_text()).items()}
    except (OSError, ValueError):
        return {}


def _save_state(index_dir: Path, state: dict[str, Signature]) -> None:
    tmp = index_dir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(index_dir / STATE_FILE)


def watch(paths: list[str], index_dir: str | Path, interval: float = 2.0, procs: int = 1,
          stop: threading.Event | None = None, log=print, merge: bool = True, shards: int | None = None) -> int:
    """Watch ``paths`` until interrupted (or ``stop`` is set); return an exit status.

    ``index_dir`` may be sharded (or is created with ``shards`` shards); the state file sits
    at its top.
    """
    index_dir = Path(index_dir)
    prepare(index_dir, shards)
    state = _load_state(index_dir)
    previous: dict[str, Signature] = {}
    log(f"timtin: watching {', '.join(paths)} every {interval:g} s (Ctrl-C to stop)")
    stop = stop or threading.Event()
    try:
        while not stop.is_set():
            current = _scan(paths)
            ready = [(sig, f, root) for name, (sig, f, root) in current.items()
                     if state.get(name) != sig and previous.get(name) == sig]
            if ready:
                try:
                    stats = write_index(index_dir, read_files((f, root) for _, f, root in ready),
                                           procs=procs, on_problem=lambda p: print(p, file=sys.stderr))
                except IndexBusyError as e:
                    log(f"timtin: {e}; retrying")
                else:
                    for sig, f, _ in ready:
                        state[str(f)] = sig
                    _save_state(index_dir, state)
                    log(f"timtin: {len(ready)} file(s): {stats.summary()}")
                    if merge:
                        merge_in_background(index_dir)
            previous = {name: sig for name, (sig, _, _) in current.items()}
            stop.wait(interval)
    except KeyboardInterrupt:
        log("timtin: stopped watching")
    return 0
