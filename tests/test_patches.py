"""timtin's changes to Whoosh: installed explicitly, undone exactly, and only on the tested version."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from whoosh import writing
from whoosh.codec import base as codec_base
from whoosh.filedb import structfile

from indexer.store import patches
from indexer.store.index import open_index
from tests.helpers import ARTICLES

ROOT = Path(__file__).resolve().parents[1]


def _patched_attributes() -> list[object]:
    return [writing.PostingPool, writing.SegmentWriter.__dict__["_flush_segment"],
            writing.SegmentWriter.__dict__["add_document"], structfile.BufferFile.__dict__["__init__"],
            codec_base.Segment.__dict__["_random_id"].__func__]


def _is_whooshs(obj: object) -> bool:
    return getattr(obj, "__module__", "").startswith("whoosh.")


def test_uninstall_restores_whoosh_and_install_puts_ours_back() -> None:
    try:
        patches.uninstall()
        patches.uninstall()  # idempotent
        assert all(_is_whooshs(a) for a in _patched_attributes())
        assert writing.PostingPool.__qualname__ == "PostingPool"
        assert writing.SegmentWriter._flush_segment.__qualname__ == "SegmentWriter._flush_segment"
        assert writing.SegmentWriter.add_document.__qualname__ == "SegmentWriter.add_document"
        assert structfile.BufferFile.__init__.__qualname__ == "BufferFile.__init__"
        assert not patches.is_installed()
        patches.install()
        patches.install()  # idempotent
        assert patches.is_installed()
        assert not any(_is_whooshs(a) for a in _patched_attributes())
        assert all(a.__module__.startswith("indexer.store.") for a in _patched_attributes())  # type: ignore[attr-defined]
    finally:
        patches.install()


def test_segment_names_do_not_follow_a_seeded_random_module(tmp_path: Path) -> None:
    """Two commits made after the same random.seed() (Hypothesis seeds it per example) both land."""
    from indexer.search import SearchRequest, search
    from indexer.store.index import write_articles

    for article in ARTICLES[:2]:
        random.seed(7)
        write_articles(tmp_path, [article])
    assert search(SearchRequest(q=ARTICLES[0].title), tmp_path).total >= 1
    assert {h.id for h in search(SearchRequest(q=ARTICLES[1].title), tmp_path).hits} >= {ARTICLES[1].id}


def test_stock_whoosh_survives_timtins_own_calls_and_ends_with_ours(tmp_path: Path) -> None:
    from indexer.store.index import write_articles

    with patches.stock_whoosh():
        write_articles(tmp_path, ARTICLES[:2])  # open_index calls install(): a no-op in here
        assert all(_is_whooshs(a) for a in _patched_attributes())
    assert patches.is_installed()


def test_importing_timtin_changes_nothing_and_open_index_installs(tmp_path: Path) -> None:
    """In a fresh interpreter: no patch as an import side effect; uninstall() gives back Whoosh's own objects."""
    script = f"""
import json
from whoosh import writing
from whoosh.filedb import structfile
def attrs():
    return [writing.PostingPool, writing.SegmentWriter.__dict__["_flush_segment"],
            writing.SegmentWriter.__dict__["add_document"], structfile.BufferFile.__dict__["__init__"]]
before = attrs()
import indexer.cli, indexer.store.engine, indexer.store.merge, indexer.search.service, webapp, benchmarks.compare
imported = attrs() == before
from indexer.store import patches
from indexer.store.index import open_index
open_index({str(tmp_path / "ix")!r})
installed = [a is not b for a, b in zip(attrs(), before)]
patches.uninstall()
restored = all(a is b for a, b in zip(attrs(), before))
print(json.dumps([imported, installed, restored]))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, [True, True, True, True], True]


def test_a_different_whoosh_version_fails_at_start_with_a_clear_message(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patches, "_checked", False)
    monkeypatch.setattr(patches, "installed_whoosh_version", lambda: "2.7.6")
    try:
        patches.uninstall()
        with pytest.raises(RuntimeError) as err:
            open_index(tmp_path)
        message = str(err.value)
        assert "2.7.6" in message and "whoosh-reloaded==2.7.5" in message
        assert "pip install 'whoosh-reloaded==2.7.5'" in message
        assert all(_is_whooshs(a) for a in _patched_attributes())  # nothing patched
        assert not (tmp_path / "timtin.json").exists()  # nothing written
        monkeypatch.setattr(patches, "installed_whoosh_version", lambda: None)
        with pytest.raises(RuntimeError, match="whoosh-reloaded is not installed"):
            patches.install()
    finally:
        monkeypatch.undo()
        patches.install()


def test_the_pin_is_exact_and_matches_the_installed_whoosh() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    whoosh = [d for d in deps if d.lower().startswith("whoosh")]
    assert whoosh == [f"whoosh-reloaded=={patches.WHOOSH_VERSION}"]
    assert patches.installed_whoosh_version() == patches.WHOOSH_VERSION


def test_plain_whoosh_baseline_runs_stock_whoosh(tmp_path: Path) -> None:
    from benchmarks.baselines import WhooshPlainEngine

    try:
        WhooshPlainEngine().build(tmp_path, ARTICLES)
        assert not patches.is_installed()
        assert WhooshPlainEngine().ranker(tmp_path)("thủy điện Hòa Bình")
        assert not patches.is_installed()
    finally:
        patches.install()
