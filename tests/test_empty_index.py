"""An index with no article yet (a failed first ``timtin index``, an empty file, a watched empty
folder) is a valid empty index: the command line, the API, the page and /healthz answer it."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import webapp
from indexer.cli import main
from indexer.ingest.watch import watch
from indexer.models import Article
from indexer.store.index import write_articles


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _assert_searchable_and_empty(capsys: pytest.CaptureFixture[str], index: Path) -> None:
    code, out, err = _cli(capsys, "search", "bão lũ", "--index", str(index), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["total"] == 0 and doc["results"] == []
    code, out, err = _cli(capsys, "search", "bão lũ", "--index", str(index), "--sort", "newest")
    assert code == 0 and "0 results" in out, err


@pytest.mark.parametrize("shards", [None, "2"])
def test_a_failed_first_index_of_a_missing_file_leaves_a_searchable_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shards: str | None
) -> None:
    index = tmp_path / "ix"
    extra = ["--shards", shards] if shards else []
    code, _, err = _cli(capsys, "index", str(tmp_path / "missing.csv"), "--index", str(index), *extra)
    assert code == 1 and "missing.csv:0: no such file or directory" in err
    _assert_searchable_and_empty(capsys, index)


def test_an_empty_jsonl_leaves_a_searchable_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    index = tmp_path / "ix"
    code, _, err = _cli(capsys, "index", str(empty), "--index", str(index))
    assert code == 1 and "0 indexed" in err
    _assert_searchable_and_empty(capsys, index)
    # and the first real article then goes in as usual
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps({"id": "a", "title": "Bão lũ ở Quảng Bình", "body": "Mưa lớn."},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    assert _cli(capsys, "index", str(one), "--index", str(index))[0] == 0
    code, out, _ = _cli(capsys, "search", "bao lu", "--index", str(index), "--json")
    assert [r["id"] for r in json.loads(out)["results"]] == ["a"]


def test_watching_an_empty_folder_leaves_a_searchable_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drop, index = tmp_path / "drop", tmp_path / "ix"
    drop.mkdir()
    stop = threading.Event()
    scans = threading.Semaphore(0)

    def log(line: str) -> None:
        scans.release()

    t = threading.Thread(target=watch, args=([str(drop)], index),
                         kwargs={"interval": 0.05, "stop": stop, "log": log, "merge": False})
    t.start()
    try:
        assert scans.acquire(timeout=30)  # the watcher started (and created the index)
        _assert_searchable_and_empty(capsys, index)
    finally:
        stop.set()
        t.join(timeout=10)
    _assert_searchable_and_empty(capsys, index)


@pytest.fixture(params=["single", "sharded"])
def empty_client(request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    index = tmp_path / "ix"
    extra = ["--shards", "3"] if request.param == "sharded" else []
    assert main(["index", str(tmp_path / "missing.csv"), "--index", str(index), "-q", *extra]) == 1
    app = webapp.create_app(str(index))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash shows as a 500
    assert app.extensions["timtin_assist"].wait(60)
    return app.test_client()


def test_healthz_reports_zero_documents(empty_client) -> None:
    resp = empty_client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json()["documents"] == 0 and resp.get_json()["status"] == "ok"


@pytest.mark.parametrize("url", ["/search?q=b%C3%A3o", "/search?q=bao&sort=newest",
                                 "/search?q=bao&source=VnExpress", "/search?q=bao&page=2"])
def test_api_search_on_an_empty_index(empty_client, url: str) -> None:
    resp = empty_client.get(url)
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["total"] == 0 and doc["results"] == []
    assert all(values == [] for values in doc["facets"].values())


@pytest.mark.parametrize("url", ["/", "/?q=b%C3%A3o+l%C5%A9", "/?q=bao&sort=oldest"])
def test_the_page_on_an_empty_index(empty_client, url: str) -> None:
    resp = empty_client.get(url)
    assert resp.status_code == 200
    assert "<form" in resp.get_data(as_text=True)


def test_suggest_and_article_pages_on_an_empty_index(empty_client) -> None:
    assert empty_client.get("/suggest?q=ba").get_json()["suggestions"] == []
    assert empty_client.get("/article/a").status_code == 404


def test_an_emptied_index_is_still_searchable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "ix"
    write_articles(index, [Article("a", "Bão lũ", "Mưa lớn ở miền Trung.")])
    assert _cli(capsys, "delete", "a", "--index", str(index))[0] == 0
    _assert_searchable_and_empty(capsys, index)
