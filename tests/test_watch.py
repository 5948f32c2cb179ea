"""``timtin index --watch``: new and changed files are indexed without a restart."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from indexer.ingest.watch import watch
from indexer.search import SearchRequest, search


def _wait_for(pred, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def _ids(index: Path, q: str) -> list[str]:
    return [h.id for h in search(SearchRequest(q=q), index).hits]


def test_watch_indexes_new_and_changed_files(tmp_path: Path) -> None:
    drop, index = tmp_path / "drop", tmp_path / "ix"
    drop.mkdir()
    (drop / "a.txt").write_text("Lũ quét ở Lào Cai\n\nMưa lớn gây lũ quét.\n", encoding="utf-8")
    stop = threading.Event()
    logs: list[str] = []
    t = threading.Thread(target=watch, args=([str(drop)], index), kwargs={"interval": 0.1, "stop": stop,
                                                                           "log": logs.append})
    t.start()
    try:
        assert _wait_for(lambda: (index / "_MAIN_1.toc").exists() and _ids(index, "lu quet") == ["a.txt"])
        (drop / "sub").mkdir()
        (drop / "sub" / "b.txt").write_text("Giá cà phê tăng\n\nNông dân vui mừng.\n", encoding="utf-8")
        assert _wait_for(lambda: _ids(index, "ca phe") == ["sub/b.txt"])
        (drop / "a.txt").write_text("Nắng nóng kéo dài\n\nNhiệt độ vượt 40 độ.\n", encoding="utf-8")
        assert _wait_for(lambda: _ids(index, "nang nong") == ["a.txt"])
        assert _ids(index, "lu quet") == []  # replaced, not duplicated
    finally:
        stop.set()
        t.join(timeout=10)
    assert any("1 updated" in line for line in logs)


def test_restarted_watcher_does_not_reindex_unchanged_files(tmp_path: Path) -> None:
    drop, index = tmp_path / "drop", tmp_path / "ix"
    drop.mkdir()
    (drop / "a.txt").write_text("Tin một\n\nNội dung một.\n", encoding="utf-8")
    for _ in range(2):
        stop = threading.Event()
        logs: list[str] = []
        t = threading.Thread(target=watch, args=([str(drop)], index),
                             kwargs={"interval": 0.1, "stop": stop, "log": logs.append})
        t.start()
        time.sleep(1.0)
        stop.set()
        t.join(timeout=10)
        indexed = [line for line in logs if "file(s)" in line]
        if _ == 0:
            assert indexed and "1 indexed" in indexed[0]
        else:
            assert indexed == []
