"""Concurrency: searches while an indexer commits, and a second indexer while one is running.

(a) The app (Flask test client in threads, and real gunicorn workers) keeps answering with no
    errors while ``timtin index`` commits, and picks up each commit.
(b) A second ``timtin index`` waits for the lock up to ``--lock-timeout`` and then exits with
    code 3 and a clear message, or runs after the first one; the index is never corrupted.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import webapp
from indexer.store.index import open_index
from tests.helpers import build_fixture_index, fixture_articles

ROOT = Path(__file__).resolve().parents[1]
TOC_RE = re.compile(r"^_MAIN_(\d+)\.toc$")
N_FIXTURE = len(fixture_articles())
BUSY_MESSAGE = "the index is being written by another timtin process"


def write_batch(path: Path, prefix: str, n: int) -> list[str]:
    ids = [f"{prefix}-{i:05d}" for i in range(n)]
    with open(path, "w", encoding="utf-8") as fh:
        for i, doc_id in enumerate(ids):
            fh.write(json.dumps({"id": doc_id, "title": f"Bản tin {prefix} số {i} về giá xăng",
                                 "body": f"Giá xăng hôm nay, bản tin {prefix} thứ {i}.", "source": "Thử nghiệm"},
                                ensure_ascii=False) + "\n")
    return ids


def generation(index: Path) -> int:
    return max((int(m.group(1)) for n in os.listdir(index) if (m := TOC_RE.match(n))), default=-1)


def start_indexer(batch: Path, index: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "indexer.cli", "index", str(batch), "--index", str(index), "--quiet", *extra],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)


def wait_for_commit(proc: subprocess.Popen[str], index: Path, after: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while generation(index) <= after and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the indexer finished too early: make the batch bigger"
    assert generation(index) > after


@pytest.fixture
def index(tmp_path: Path) -> Path:
    return build_fixture_index(tmp_path / "index")


# -- (a) searches during an index run -------------------------------------------------------------


def test_searches_while_indexing(index: Path, tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    ids = write_batch(batch, "live", 1500)
    app = webapp.create_app(str(index))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    start_gen = generation(index)
    errors: list[str] = []
    counts: list[int] = []
    totals: list[int] = []
    stop = threading.Event()

    def searcher(worker: int) -> None:
        client = app.test_client()
        queries = ["giá xăng", "live", "dai hoi dang", f"số {worker}", "xăng -dầu"]
        n = 0
        while not stop.is_set():
            q = queries[n % len(queries)]
            n += 1
            r = client.get("/search", query_string={"q": q, "per_page": 20})
            if r.status_code != 200:
                errors.append(f"{q}: {r.status_code} {r.get_data(as_text=True)[:200]}")
                continue
            if q == "live":
                totals.append(r.get_json()["total"])
            page = client.get("/", query_string={"q": q})
            if page.status_code != 200:
                errors.append(f"page {q}: {page.status_code}")
            h = client.get("/healthz")
            if h.status_code != 200:
                errors.append(f"healthz: {h.status_code}")
            else:
                counts.append(h.get_json()["documents"])

    threads = [threading.Thread(target=searcher, args=(i,)) for i in range(3)]
    proc = start_indexer(batch, index, "--commit-every", "250")
    for t in threads:
        t.start()
    try:
        _, err = proc.communicate(timeout=300)
    finally:
        time.sleep(0.3)  # a few searches after the last commit
        stop.set()
        for t in threads:
            t.join(30)
    assert proc.returncode == 0, err[-2000:]
    assert errors == []
    assert generation(index) - start_gen >= 3  # several commits happened during the searches
    assert counts and counts[-1] == N_FIXTURE + len(ids)
    seen = set(counts)
    assert len(seen) >= 2 and all(c % 250 == N_FIXTURE % 250 for c in seen), sorted(seen)  # whole commits only
    assert totals and totals[-1] == len(ids)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(index: Path) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "indexer.cli", "serve", "--index", str(index), "--port", str(port),
                             "--workers", "2"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("gunicorn did not start")
    yield port, proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_gunicorn_serves_while_indexing_and_bounds_requests(gunicorn: tuple[int, subprocess.Popen[str]],
                                                            index: Path, tmp_path: Path) -> None:
    port, _ = gunicorn
    batch = tmp_path / "batch.jsonl"
    ids = write_batch(batch, "gun", 1000)
    proc = start_indexer(batch, index, "--commit-every", "200")
    statuses: list[int] = []
    docs: list[int] = []
    while proc.poll() is None:
        status, body = _get(port, "/search?q=gi%C3%A1+x%C4%83ng&per_page=5")
        statuses.append(status)
        status, body = _get(port, "/healthz")
        statuses.append(status)
        docs.append(json.loads(body)["documents"])
    assert proc.returncode == 0
    status, body = _get(port, "/healthz")
    assert json.loads(body)["documents"] == N_FIXTURE + len(ids)
    assert set(statuses) == {200} and len(statuses) >= 4
    assert docs == sorted(docs)  # never goes back to an older commit (both workers agree)
    # request size limits of the real server: never a 500
    assert _get(port, "/search?q=" + "a" * 10_000)[0] == 414  # request line over 8190 bytes
    assert _get(port, "/search?q=" + "%C4%91" * 1300)[0] == 400  # under the line limit: q too long
    assert _get(port, "/", headers={"X-Big": "x" * 10_000})[0] in (400, 431)
    assert _get(port, "/", headers={f"X-H{i}": "1" for i in range(60)})[0] in (400, 431)


# -- (b) a second indexer -------------------------------------------------------------------------


def test_second_indexer_times_out_with_a_clear_message(index: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first_ids = write_batch(first, "one", 6000)
    second_ids = write_batch(second, "two", 50)
    start_gen = generation(index)
    proc = start_indexer(first, index, "--commit-every", "500")
    try:
        wait_for_commit(proc, index, start_gen + 1)  # the run holds the lock (after its first commit)
        started = time.monotonic()
        busy = subprocess.run(
            [sys.executable, "-m", "indexer.cli", "index", str(second), "--index", str(index), "--quiet",
             "--lock-timeout", "1"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
            text=True, timeout=60)
        waited = time.monotonic() - started
        assert proc.poll() is None, "the first run ended while the second waited: make its batch bigger"
        assert busy.returncode == 3, busy.stderr
        assert BUSY_MESSAGE in busy.stderr and "Traceback" not in busy.stderr
        assert 1.0 <= waited < 30
        _, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-2000:]
    ix = open_index(index, create=False)
    assert ix.doc_count() == N_FIXTURE + len(first_ids)  # nothing of the second batch, nothing lost
    with ix.searcher() as s:
        assert s.document(id=second_ids[0]) is None and s.document(id=first_ids[-1]) is not None


def test_second_indexer_waits_then_runs(index: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first_ids = write_batch(first, "one", 1500)
    second_ids = write_batch(second, "two", 300)
    proc = start_indexer(first, index, "--commit-every", "500")
    try:
        wait_for_commit(proc, index, generation(index))
        waiting = start_indexer(second, index, "--lock-timeout", "120", "--commit-every", "100")
        _, err1 = proc.communicate(timeout=300)
        _, err2 = waiting.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err1[-2000:]
    assert waiting.returncode == 0, err2[-2000:]
    ix = open_index(index, create=False)
    assert ix.doc_count() == N_FIXTURE + len(first_ids) + len(second_ids)
    with ix.searcher() as s:
        for doc_id in (*first_ids[::50], *second_ids[::10]):
            assert len(list(s.document_numbers(id=doc_id))) == 1, doc_id


# -- the load generator (benchmarks/load.py) ------------------------------------------------------


def test_load_generator_smoke(gunicorn: tuple[int, subprocess.Popen[str]], index: Path) -> None:
    from benchmarks import load

    port, proc = gunicorn
    report = load.run_load("127.0.0.1", port, ["giá xăng", "dai hoi dang", "bão lũ"], duration=2.0, concurrency=2,
                           rate=None, master=proc.pid, rss_interval=0.5, warmup=0.5, seed=1)
    assert report["errors"] == 0 and report["measured_requests"] > 10
    assert set(report["statuses"]) == {"200"}
    assert 0 < report["latency_ms"]["p50"] <= report["latency_ms"]["p99"] <= report["latency_ms"]["max"]
    assert len(report["workers_rss"]) == 2  # both gunicorn workers sampled
    assert all(w["last_mb"] > 10 for w in report["workers_rss"].values())
    paced = load.run_load("127.0.0.1", port, ["giá xăng"], duration=2.0, concurrency=2, rate=5.0, master=None,
                          rss_interval=1.0, warmup=0.0, seed=1)
    assert 5 <= paced["requests"] <= 13  # about 5 per second


def test_hostile_runner_in_process(index: Path) -> None:
    from benchmarks import load

    client = webapp.create_app(str(index)).test_client()
    report = load.run_hostile(lambda path: client.get(path).status_code, max_ms=1000.0, repeat=1)
    assert report["requests"] == len(load.hostile_requests()) > 80
    assert report["over_limit"] == 0 and {"200", "400"} <= set(report["statuses"])


def test_a_snapshot_opened_while_a_merge_removes_its_files_is_read_again(index: Path, monkeypatch) -> None:
    """A reader that read the table of contents just before a commit deleted that generation's
    segment files gets FileNotFoundError from Whoosh; the engine reads the newest generation again
    instead of failing the request with a 503."""
    from indexer.store.engine import Engine

    engine = Engine(index)
    real_load = engine._load
    failures = iter([FileNotFoundError("_MAIN_x.seg"), FileNotFoundError("_MAIN_y.seg")])

    def racing_load():
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_load()

    monkeypatch.setattr(engine, "_load", racing_load)
    assert engine.snapshot().doc_count == N_FIXTURE
    assert next(failures, None) is None  # both failures were met and retried


def test_a_snapshot_that_keeps_failing_still_raises(index: Path, monkeypatch) -> None:
    from indexer.store.engine import Engine

    engine = Engine(index)

    def missing():
        raise FileNotFoundError("gone")

    monkeypatch.setattr(engine, "_load", missing)
    with pytest.raises(FileNotFoundError):
        engine.snapshot()
