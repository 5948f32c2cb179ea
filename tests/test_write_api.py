"""API keys (``timtin keys``) and the articles API: GET/POST/PUT/DELETE /api/articles, in the Flask app.

The real server (10 MiB bodies through gunicorn, slow uploads) is in tests/test_write_serving.py.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import webapp
from indexer.cli import main
from indexer.keys import create_key, find_key, keys_path, read_keys, revoke_key
from indexer.models import Problem
from indexer.shard.dispatch import write_index
from indexer.shard.manifest import read_manifest, shard_dirs, shard_of
from indexer.store.index import open_index, write_articles
from tests.helpers import art, cp1258_bytes

ROOT = Path(__file__).resolve().parents[1]


def seed() -> list:
    return [
        art("bao-hue", "Bão số 5 đổ bộ vào Huế", "Mưa lớn kéo dài tại Thừa Thiên Huế, nhiều nhà bị tốc mái.",
            source="Tuổi Trẻ", category="Thời sự"),
        art("lu-hue", "Lũ lụt ở Huế sau bão số 5", "Nước sông Hương dâng cao, người dân Huế sơ tán khỏi vùng lũ.",
            source="VnExpress", category="Thời sự"),
        art("gia-xang", "Giá xăng giảm mạnh", "Giá xăng RON95 giảm 500 đồng mỗi lít từ chiều nay.",
            source="VnExpress", category="Kinh tế"),
    ]


def new_app(index: Path, **config: object) -> Flask:
    app = webapp.create_app(str(index))
    app.config.update({"PROPAGATE_EXCEPTIONS": False, "MERGE_AFTER_WRITE": False, **config})
    return app


@pytest.fixture
def index(tmp_path: Path) -> Path:
    path = tmp_path / "index"
    write_articles(path, seed())
    return path


@pytest.fixture
def keys(index: Path) -> dict[str, str]:
    path = keys_path(index)
    return {"write": create_key(path, "cms-hue", "write"), "read": create_key(path, "reader", "read")}


@pytest.fixture
def client(index: Path, keys: dict[str, str]) -> FlaskClient:
    return new_app(index).test_client()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def search_ids(client: FlaskClient, q: str, headers: dict[str, str] | None = None) -> list[str]:
    resp = client.get("/search", query_string={"q": q, "per_page": 50}, headers=headers or {})
    assert resp.status_code == 200, resp.data[:300]
    return [h["id"] for h in resp.get_json()["results"]]


def error_code(resp) -> str:
    assert resp.mimetype == "application/json", resp.data[:300]
    body = resp.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]["code"]


# -- keys -----------------------------------------------------------------------------------------


def test_keys_cli_prints_the_key_once_and_stores_only_its_hash(index: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["keys", "create", "cms-hue", "--scope", "write", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    key = out.strip()
    assert key.startswith("tt_") and len(key) >= 40
    path = index / "keys.json"
    text = path.read_text()
    assert key not in text and key[3:] not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = read_keys(path)
    assert [(k.name, k.scope) for k in stored] == [("cms-hue", "write")]
    assert find_key(stored, key) == stored[0]
    assert find_key(stored, key[:-1] + ("A" if key[-1] != "A" else "B")) is None

    assert main(["keys", "create", "cms-hue", "--index", str(index)]) == 1  # a name is used once
    assert main(["keys", "create", "bad name", "--index", str(index)]) == 1
    assert main(["keys", "create", "reader", "--index", str(index)]) == 0
    other = capsys.readouterr().out.strip()
    assert other != key
    assert main(["keys", "list", "--index", str(index), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(k["name"], k["scope"]) for k in listed] == [("cms-hue", "write"), ("reader", "read")]
    assert all(set(k) == {"name", "scope", "created"} for k in listed)

    assert main(["keys", "revoke", "cms-hue", "--index", str(index)]) == 0
    assert main(["keys", "revoke", "cms-hue", "--index", str(index)]) == 1
    assert [k.name for k in read_keys(path)] == ["reader"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_keys_file_from_the_environment(index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture) -> None:
    elsewhere = tmp_path / "secret" / "timtin-keys.json"
    monkeypatch.setenv("TIMTIN_KEYS_FILE", str(elsewhere))
    assert main(["keys", "create", "cms", "--scope", "write", "--index", str(index)]) == 0
    key = capsys.readouterr().out.strip()
    assert elsewhere.exists() and not (index / "keys.json").exists()
    client = new_app(index).test_client()
    resp = client.delete("/api/articles/gia-xang", headers=auth(key))
    assert resp.status_code == 200 and resp.get_json() == {"deleted": 1}


def test_concurrent_key_changes_lose_nothing(index: Path) -> None:
    """Eight processes create keys at once: the lock around the keys file keeps every one."""
    code = ("import sys; from indexer.keys import create_key; from pathlib import Path; "
            "print(create_key(Path(sys.argv[1]), sys.argv[2], 'write'))")
    path = index / "keys.json"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), f"k{i}"], cwd=ROOT, stdout=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True) for i in range(8)]
    printed = [p.communicate(timeout=60)[0].strip() for p in procs]
    stored = read_keys(path)
    assert sorted(k.name for k in stored) == [f"k{i}" for i in range(8)]
    assert all(find_key(stored, key) is not None for key in printed)


# -- who may do what ------------------------------------------------------------------------------


def test_writes_need_a_write_key(client: FlaskClient, keys: dict[str, str], index: Path) -> None:
    article = {"id": "moi", "title": "Tin mới", "body": "Nội dung"}
    for headers, status, code in [({}, 401, "unauthorized"),
                                  ({"Authorization": "Basic YTpi"}, 401, "unauthorized"),
                                  (auth("tt_not-a-key"), 401, "unauthorized"),
                                  (auth(keys["read"]), 403, "forbidden")]:
        for resp in (client.post("/api/articles", json=article, headers=headers),
                     client.put("/api/articles/moi", json=article, headers=headers),
                     client.delete("/api/articles/gia-xang", headers=headers)):
            assert resp.status_code == status and error_code(resp) == code
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert search_ids(client, "gia xang") == ["gia-xang"]  # nothing was written or deleted
    assert client.post("/api/articles", json=article, headers=auth(keys["write"])).status_code == 200

    revoke_key(keys_path(index), "cms-hue")  # revoked: refused at the next request
    resp = client.post("/api/articles", json=article, headers=auth(keys["write"]))
    assert resp.status_code == 401


def test_search_is_public_unless_configured(index: Path, keys: dict[str, str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    public = new_app(index).test_client()
    assert search_ids(public, "xang") == ["gia-xang"]
    assert public.get("/api/articles/gia-xang").status_code == 200

    monkeypatch.setenv("TIMTIN_PUBLIC_SEARCH", "0")
    private = new_app(index).test_client()
    for url in ("/search?q=xang", "/suggest?q=gi", "/api/articles/gia-xang"):
        resp = private.get(url)
        assert resp.status_code == 401 and error_code(resp) == "unauthorized"
        assert private.get(url, headers=auth(keys["read"])).status_code == 200
        assert private.get(url, headers=auth(keys["write"])).status_code == 200
    page = private.get("/?q=xang")
    assert page.status_code == 401 and page.mimetype == "text/html"
    assert "gia-xang" not in page.get_data(as_text=True)
    assert private.get("/?q=xang", headers=auth(keys["read"])).status_code == 200
    assert private.get("/healthz").status_code == 200
    assert private.get("/openapi.json").status_code == 200
    resp = private.post("/api/articles", json={"id": "x", "title": "t", "body": "b"}, headers=auth(keys["read"]))
    assert resp.status_code == 403


# -- POST ------------------------------------------------------------------------------------------


def test_post_one_article_an_array_and_ndjson(client: FlaskClient, keys: dict[str, str]) -> None:
    w = auth(keys["write"])
    resp = client.post("/api/articles", headers=w, json={
        "id": "ngap-hue", "title": "Ngập sâu ở thành phố Huế", "body": "Nhiều tuyến phố Huế ngập sâu.",
        "source": "Thanh Niên", "published": "2024-10-28T08:00:00+07:00"})
    assert resp.status_code == 200
    assert resp.get_json() == {"indexed": 1, "updated": 0, "skipped": 0, "errors": []}
    assert "ngap-hue" in search_ids(client, "ngap sau")  # searchable when the answer arrives

    resp = client.post("/api/articles", headers=w, json=[
        {"id": "ngap-hue", "title": "Ngập rất sâu ở Huế", "body": "Cập nhật: nước rút chậm."},
        {"id": "sat-lo", "title": "Sạt lở ở Quảng Nam", "body": "Đất đá vùi lấp đường."},
        {"id": "thieu", "title": "Không có nội dung"},
        "không phải bài",
        {"id": "sat-lo", "title": "Trùng", "body": "Trùng mã."},
    ])
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["indexed"], body["updated"], body["skipped"]) == (1, 1, 3)
    assert [(e["item"], e["reason"]) for e in body["errors"]] == [
        (3, "missing required field 'body'"),
        (4, "record is not a JSON object (got string)"),
        (5, "duplicate id 'sat-lo' (first seen at body:1)"),
    ]
    assert "ngap-hue" in search_ids(client, "nuoc rut cham")
    assert search_ids(client, "sat lo quang nam")[0] == "sat-lo"

    lines = [json.dumps({"id": "nd-1", "title": "Cầu Trường Tiền sáng đèn", "body": "Cầu đẹp."},
                        ensure_ascii=False).encode(),
             b"",
             b'{"id": "nd-2", "title": "thi\xeau", ',  # broken JSON: this line only
             cp1258_bytes(json.dumps({"id": "nd-3", "title": "Chợ Đông Ba mở cửa", "body": "Tiểu thương vui."},
                                     ensure_ascii=False)),  # Windows-1258, as a .jsonl line would be read
             json.dumps({"id": "nd-4", "title": 5, "body": "x"}).encode()]
    resp = client.post("/api/articles", headers={**w, "Content-Type": "application/x-ndjson"},
                       data=b"\n".join(lines) + b"\n")
    body = resp.get_json()
    assert resp.status_code == 200
    assert (body["indexed"], body["updated"], body["skipped"]) == (2, 0, 2)
    assert [e["line"] for e in body["errors"]] == [3, 5]
    assert body["errors"][0]["reason"].startswith("malformed JSON")
    assert body["errors"][1]["reason"] == "field 'title' must be a string, not int"
    assert search_ids(client, "cho dong ba") == ["nd-3"]
    assert client.get("/api/articles/nd-3").get_json()["title"] == "Chợ Đông Ba mở cửa"


def test_post_reasons_are_those_of_file_ingestion(client: FlaskClient, keys: dict[str, str],
                                                  tmp_path: Path) -> None:
    """The same records as a .jsonl file and as an NDJSON body: the same problems, line for line."""
    from indexer.ingest.sources import read_articles

    records = [b'{"id": "a", "title": "T", "body": "B"}', b'{"id": "a", "title": "T", "body": "B"}',
               b'{"id": 3.5, "title": "T", "body": "B"}', b'[1]', b'{"id": "e", "title": "", "body": "B"}',
               b'{"id": "f", "title": "T", "body": "B", "author": ["x"]}']
    data = b"\n".join(records) + b"\n"
    path = tmp_path / "same.jsonl"
    path.write_bytes(data)
    from_file = [(p.line, p.reason.replace(str(path), "body"))
                 for p in read_articles([path]) if isinstance(p, Problem)]
    resp = client.post("/api/articles", data=data,
                       headers={**auth(keys["write"]), "Content-Type": "application/x-ndjson"})
    from_api = [(e["line"], e["reason"]) for e in resp.get_json()["errors"]]
    assert from_api == from_file and len(from_api) == 5


def test_post_refuses_what_it_cannot_read(client: FlaskClient, keys: dict[str, str]) -> None:
    w = auth(keys["write"])
    for data in (b"", b"   ", b"not json", b'"a string"', b"[1, 2", b"\xff\xfe\x00\xd8", b'{"id": 1,'):
        resp = client.post("/api/articles", data=data, headers={**w, "Content-Type": "application/json"})
        assert resp.status_code == 400 and error_code(resp) == "invalid_body", data
    resp = client.post("/api/articles", data=b"[1, 2", headers={**w, "Content-Type": "application/json"})
    assert "record is not a JSON object" in resp.get_json()["error"]["message"]  # nothing indexed: 400
    for data, reason in ((b'{"id": "x", "title": "t"}', "missing required field"), (b"{}", "missing required field"),
                         (b'{"id": "x", "title": "t", "body": 5}', "field 'body' must be a string")):
        resp = client.post("/api/articles", data=data, headers={**w, "Content-Type": "application/json"})
        body = resp.get_json()  # a lone refused article: reported like any refused record
        assert resp.status_code == 200 and body["skipped"] == 1 and body["indexed"] == 0, data
        assert body["errors"][0]["item"] == 1 and body["errors"][0]["reason"].startswith(reason)
    resp = client.post("/api/articles", data=b"id,title,body\n", headers={**w, "Content-Type": "text/csv"})
    assert resp.status_code == 415 and error_code(resp) == "unsupported_media_type"
    resp = client.post("/api/articles", json=[], headers=w)
    assert resp.status_code == 200 and resp.get_json() == {"indexed": 0, "updated": 0, "skipped": 0, "errors": []}
    big = b"[" + b",".join([b'{"id": "x", "title": "t", "body": "' + b"a" * 1000 + b'"}'] * 10_500) + b"]"
    assert len(big) > 10 * 1024 * 1024
    resp = client.post("/api/articles", data=big, headers={**w, "Content-Type": "application/json"})
    assert resp.status_code == 413 and error_code(resp) == "request_too_large"


def test_writes_are_logged_with_the_key_name_never_the_key(client: FlaskClient, keys: dict[str, str],
                                                           caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="timtin.writes"):
        client.post("/api/articles", json=[{"id": "log-1", "title": "Một", "body": "Hai"},
                                           {"id": "log-2", "title": "Ba", "body": "Bốn"}],
                    headers=auth(keys["write"]))
        client.delete("/api/articles/log-1", headers=auth(keys["write"]))
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "timtin.writes")
    assert "cms-hue" in text and "log-1" in text and "log-2" in text and "DELETE" in text
    assert keys["write"] not in text and keys["write"][3:] not in text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="timtin.writes"):
        client.delete("/api/articles/log-2", headers=auth(keys["write"] + "x"))
        client.delete("/api/articles/log-2", headers=auth(keys["read"]))
    refused = [r.getMessage() for r in caplog.records if r.name == "timtin.writes"]
    assert len(refused) == 2 and "401 unauthorized" in refused[0] and "403 forbidden" in refused[1]
    assert not any(keys["write"][3:] in m or keys["read"][3:] in m for m in refused)


# -- PUT, DELETE, GET -------------------------------------------------------------------------------


def test_put_replaces_one_article(client: FlaskClient, keys: dict[str, str]) -> None:
    w = auth(keys["write"])
    resp = client.put("/api/articles/gia-xang", headers=w,
                      json={"title": "Giá xăng tăng trở lại", "body": "Giá dầu diesel tăng 300 đồng."})
    assert resp.status_code == 200 and resp.get_json()["updated"] == 1
    assert search_ids(client, "dau diesel") == ["gia-xang"]
    assert client.get("/api/articles/gia-xang").get_json()["title"] == "Giá xăng tăng trở lại"
    assert search_ids(client, "RON95") == []  # replaced, not added to

    resp = client.put("/api/articles/tin%2Fmoi", headers=w, json={"id": "tin/moi", "title": "Mới", "body": "Mới."})
    assert resp.status_code == 200 and resp.get_json()["indexed"] == 1
    assert client.get("/api/articles/tin/moi").status_code == 200

    resp = client.put("/api/articles/gia-xang", headers=w, json={"id": "khac", "title": "T", "body": "B"})
    assert resp.status_code == 400 and error_code(resp) == "id_mismatch"
    resp = client.put("/api/articles/gia-xang", headers=w, json={"title": "Không có thân bài"})
    assert resp.status_code == 400 and error_code(resp) == "invalid_article"
    assert "missing required field 'body'" in resp.get_json()["error"]["message"]
    resp = client.put("/api/articles/gia-xang", headers=w, json=[{"title": "a", "body": "b"}] * 2)
    assert resp.status_code == 400 and error_code(resp) == "invalid_body"
    for data in (b"", b'{"title": "a",', b"[]", b'"x"'):
        resp = client.put("/api/articles/gia-xang", headers=w, data=data, content_type="application/json")
        assert resp.status_code == 400 and error_code(resp) == "invalid_body", data
    assert client.get("/api/articles/khac").status_code == 404


def test_delete_then_404(client: FlaskClient, keys: dict[str, str]) -> None:
    w = auth(keys["write"])
    assert "bao-hue" in search_ids(client, "hue")
    resp = client.delete("/api/articles/bao-hue", headers=w)
    assert resp.status_code == 200 and resp.get_json() == {"deleted": 1}
    assert "bao-hue" not in search_ids(client, "hue")
    resp = client.delete("/api/articles/bao-hue", headers=w)
    assert resp.status_code == 404 and error_code(resp) == "not_found"
    assert client.get("/api/articles/bao-hue").status_code == 404


def test_get_article_json(client: FlaskClient) -> None:
    resp = client.get("/api/articles/lu-hue")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    article = resp.get_json()
    assert article["id"] == "lu-hue" and article["title"] == "Lũ lụt ở Huế sau bão số 5"
    assert article["body"].startswith("Nước sông Hương") and article["source"] == "VnExpress"
    assert article["published"] is None and article["lead"] == ""
    assert article["region"] == ["Huế"]
    assert article["related"] == ["bao-hue"]  # shares Huế, bão, số 5; gia-xang shares nothing
    resp = client.get("/api/articles/khong-co")
    assert resp.status_code == 404 and error_code(resp) == "not_found"
    assert client.get("/api/articles/%00").status_code == 404


# -- the write lock ---------------------------------------------------------------------------------


def test_busy_index_answers_503_with_retry_after(index: Path, keys: dict[str, str]) -> None:
    client = new_app(index, WRITE_LOCK_TIMEOUT=0.3).test_client()
    lock = open_index(index).lock("WRITELOCK")
    assert lock.acquire(blocking=False)
    try:
        started = time.monotonic()
        resp = client.post("/api/articles", json={"id": "x", "title": "t", "body": "b"}, headers=auth(keys["write"]))
        assert resp.status_code == 503 and error_code(resp) == "index_busy"
        assert int(resp.headers["Retry-After"]) > 0
        assert time.monotonic() - started < 20  # waited for the lock, then gave up
        assert client.delete("/api/articles/gia-xang", headers=auth(keys["write"])).status_code == 503
    finally:
        lock.release()
    assert client.get("/api/articles/x").status_code == 404
    resp = client.post("/api/articles", json={"id": "x", "title": "t", "body": "b"}, headers=auth(keys["write"]))
    assert resp.status_code == 200


def test_api_and_cli_write_at_once(index: Path, keys: dict[str, str], tmp_path: Path) -> None:
    """``timtin index`` commits batch after batch while the API posts: both complete, nothing lost or doubled."""
    batch = tmp_path / "batch.jsonl"
    cli_ids = [f"cli-{i:04d}" for i in range(1500)]
    with open(batch, "w") as fh:
        for i, doc_id in enumerate(cli_ids):
            fh.write(json.dumps({"id": doc_id, "title": f"Tin tỉnh số {i}", "body": f"Nội dung bài {i} về mùa lúa."},
                                ensure_ascii=False) + "\n")
    client = new_app(index, WRITE_LOCK_TIMEOUT=60).test_client()
    proc = subprocess.Popen([sys.executable, "-m", "indexer.cli", "index", str(batch), "--index", str(index), "-q",
                             "--no-merge", "--commit-every", "100", "--procs", "1", "--lock-timeout", "120"],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    api_ids = []
    try:
        for n in range(12):
            docs = [{"id": f"api-{n}-{j}", "title": f"Tin nhanh {n}", "body": "Bão đổ bộ, mưa lớn."} for j in range(5)]
            resp = client.post("/api/articles", json=docs, headers=auth(keys["write"]))
            assert resp.status_code == 200, resp.data
            assert resp.get_json()["indexed"] == 5
            api_ids += [d["id"] for d in docs]
        resp = client.delete("/api/articles/gia-xang", headers=auth(keys["write"]))
        assert resp.status_code == 200
        _, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-2000:]
    ix = open_index(index, create=False)
    assert ix.doc_count() == len(seed()) - 1 + len(cli_ids) + len(api_ids)
    with ix.searcher() as s:
        for doc_id in (*cli_ids[::100], cli_ids[-1], *api_ids):
            assert len(list(s.document_numbers(id=doc_id))) == 1, doc_id
        assert s.document(id="gia-xang") is None


# -- a sharded index ---------------------------------------------------------------------------------


@pytest.fixture
def sharded(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    path = tmp_path / "sharded"
    write_index(path, seed(), shards=3)
    yield path, create_key(keys_path(path), "cms", "write")


def test_writes_on_a_sharded_index(sharded: tuple[Path, str]) -> None:
    path, key = sharded
    client = new_app(path).test_client()
    docs = [{"id": f"tin-{i}", "title": f"Lễ hội pháo hoa Đà Nẵng lần {i}", "body": "Du khách đến Đà Nẵng."}
            for i in range(12)]
    resp = client.post("/api/articles", json=docs, headers=auth(key))
    assert resp.get_json()["indexed"] == 12
    shards = read_manifest(path).shards
    assert len({shard_of(d["id"], shards) for d in docs}) == shards  # every shard was written
    for i, shard in enumerate(shard_dirs(path)):  # each article in the shard of its id, and only there
        with open_index(shard, create=False).searcher() as s:
            assert all((s.document(id=d["id"]) is None) == (shard_of(d["id"], shards) != i) for d in docs)
    assert sorted(search_ids(client, "phao hoa da nang")) == sorted(d["id"] for d in docs)
    assert client.put("/api/articles/tin-3", json={"title": "Đổi tên", "body": "Bài đã sửa."},
                      headers=auth(key)).get_json()["updated"] == 1
    assert client.get("/api/articles/tin-3").get_json()["body"] == "Bài đã sửa."
    assert client.delete("/api/articles/tin-4", headers=auth(key)).get_json() == {"deleted": 1}
    assert client.delete("/api/articles/tin-4", headers=auth(key)).status_code == 404
    assert len(search_ids(client, "phao hoa da nang")) == 10
    assert client.get("/healthz").get_json()["documents"] == len(seed()) + 11


# -- the OpenAPI description ---------------------------------------------------------------------------


def test_openapi_describes_the_articles_api(client: FlaskClient, keys: dict[str, str]) -> None:
    """The spec is valid; real answers (200s and errors) match the schemas it gives for their status."""
    validator_cls = pytest.importorskip("openapi_schema_validator").OAS31Validator
    spec = client.get("/openapi.json").get_json()
    pytest.importorskip("openapi_spec_validator").validate(spec)
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        **spec["components"]["securitySchemes"]["bearerAuth"], "type": "http", "scheme": "bearer"}

    def check(path: str, method: str, resp) -> None:
        op = spec["paths"][path][method]
        documented = op["responses"][str(resp.status_code)]
        schema = {**documented["content"]["application/json"]["schema"], "components": spec["components"]}
        validator_cls(schema).validate(resp.get_json())

    w, r = auth(keys["write"]), auth(keys["read"])
    post = "/api/articles"
    one = "/api/articles/{id}"
    assert spec["paths"][post]["post"]["security"] == [{"bearerAuth": []}]
    check(post, "post", client.post(post, json=[{"id": "o1", "title": "Một", "body": "Hai"}, {"id": "o2"}], headers=w))
    check(post, "post", client.post(post, json={"id": "o3", "title": "Ba", "body": "Bốn"}, headers=w))
    check(post, "post", client.post(post, data=b"nope", content_type="application/json", headers=w))
    check(post, "post", client.post(post, json=[], headers=r))
    check(post, "post", client.post(post, json=[]))
    check(post, "post", client.post(post, data=b"x", content_type="text/plain", headers=w))
    check(one, "get", client.get("/api/articles/lu-hue"))
    check(one, "get", client.get("/api/articles/o1"))
    check(one, "get", client.get("/api/articles/khong-co"))
    check(one, "put", client.put("/api/articles/o1", json={"title": "Mới", "body": "Mới."}, headers=w))
    check(one, "put", client.put("/api/articles/o1", json={"id": "o2", "title": "Mới", "body": "Mới."}, headers=w))
    check(one, "delete", client.delete("/api/articles/o1", headers=w))
    check(one, "delete", client.delete("/api/articles/o1", headers=w))
    check(one, "delete", client.delete("/api/articles/o1", headers=r))


def test_backup_recipe_of_the_operations_doc(index: Path, keys: dict[str, str], tmp_path: Path) -> None:
    """docs/operations.md's backup: ``flock`` on Whoosh's lock files holds the API's writes off; the copy opens."""
    if not shutil.which("flock"):
        pytest.skip("needs util-linux flock")
    client = new_app(index, WRITE_LOCK_TIMEOUT=0.3).test_client()
    dest = tmp_path / "backup"
    copying = subprocess.Popen(["flock", "MAIN_MERGELOCK", "flock", "MAIN_WRITELOCK", "sh", "-c",
                                f"touch {tmp_path}/locked; sleep 3; cp -a . {dest}/"], cwd=index)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "locked").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        resp = client.post("/api/articles", json={"id": "trong-luc", "title": "Trong lúc sao lưu", "body": "B"},
                           headers=auth(keys["write"]))
        assert resp.status_code == 503 and resp.headers["Retry-After"]
        assert copying.wait(60) == 0
    finally:
        copying.kill()
    assert open_index(dest, create=False).doc_count() == len(seed())
    assert read_keys(dest / "keys.json") == read_keys(index / "keys.json")
    resp = client.post("/api/articles", json={"id": "sau", "title": "Sau khi sao lưu", "body": "B"},
                       headers=auth(keys["write"]))
    assert resp.status_code == 200


def test_small_segments_of_many_posts_are_merged(index: Path, keys: dict[str, str]) -> None:
    """Each POST is one commit; once there are enough small segments a ``timtin merge`` process merges them."""
    from indexer.store.internals import index_segments
    from webapp import articles as articles_api

    client = new_app(index, MERGE_AFTER_WRITE=True).test_client()
    for n in range(6):
        resp = client.post("/api/articles", json={"id": f"nho-{n}", "title": f"Tin nhỏ {n}", "body": "Một dòng."},
                           headers=auth(keys["write"]))
        assert resp.status_code == 200
        merging = articles_api._merging.get(str(index))
        if merging is not None:
            merging.wait(120)
    assert len(index_segments(open_index(index, create=False))) < 4
    assert sorted(search_ids(client, "tin nho")) == [f"nho-{n}" for n in range(6)]


@pytest.mark.parametrize("title", ["a", " ", "\x00", "\x01", "\u3000\u2003", "\x1f", "\t\n", " Huế ", "\u200b"])
def test_openapi_title_pattern_is_what_ingestion_accepts(title: str) -> None:
    """A schema-valid title is accepted and a schema-invalid one refused (what Schemathesis checks)."""
    import re

    from indexer.ingest.sources import read_body
    from webapp.openapi import openapi_spec

    pattern = openapi_spec()["components"]["schemas"]["ArticleInput"]["properties"]["title"]["pattern"]
    [(_, record)] = read_body(json.dumps({"id": "x", "title": title, "body": "b"}).encode(), ndjson=False)
    assert (re.search(pattern, title) is not None) == (not isinstance(record, Problem)), record


def test_any_body_gets_an_answer_never_a_500(index: Path, keys: dict[str, str]) -> None:
    """Random bytes and random JSON, as JSON or NDJSON: 200 or a JSON 4xx, and the counts add up."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    client = new_app(index).test_client()
    w = auth(keys["write"])
    values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                              st.sampled_from(["id", "title", "body", "lead", "published", "articles", "x"]),
                              inner, max_size=5), max_leaves=12)
    bodies = st.binary(max_size=300) | values.map(lambda v: json.dumps(v).encode())

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(bodies, st.sampled_from(["application/json", "application/x-ndjson"]))
    def post(data: bytes, kind: str) -> None:
        resp = client.post("/api/articles", data=data, headers={**w, "Content-Type": kind})
        assert resp.status_code in (200, 400), (data, resp.status_code)
        body = resp.get_json()
        if resp.status_code == 400:
            assert body["error"]["code"] == "invalid_body"
        else:
            assert body["skipped"] == len(body["errors"])

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(bodies)
    def put(data: bytes) -> None:
        resp = client.put("/api/articles/fuzz", data=data, headers={**w, "Content-Type": "application/json"})
        assert resp.status_code in (200, 400), (data, resp.status_code)
        if resp.status_code == 400:
            assert resp.get_json()["error"]["code"] in ("invalid_body", "invalid_article", "id_mismatch")

    post()
    put()


def test_a_damaged_keys_file_refuses_every_key(index: Path, keys: dict[str, str], client: FlaskClient,
                                               caplog: pytest.LogCaptureFixture) -> None:
    article = {"id": "hong", "title": "Tệp khoá hỏng", "body": "Không ghi được."}
    assert client.post("/api/articles", json=article, headers=auth(keys["write"])).status_code == 200
    (index / "keys.json").write_text('{"keys": [{"name": "cms-hue"')  # cut short
    resp = client.post("/api/articles", json=article, headers=auth(keys["write"]))
    assert resp.status_code == 401 and error_code(resp) == "unauthorized"
    assert any("keys file" in r.getMessage() for r in caplog.records)
    assert main(["keys", "list", "--index", str(index)]) == 3
    assert main(["keys", "create", "new", "--index", str(index)]) == 3  # never overwrites what it cannot read
    assert (index / "keys.json").read_text() == '{"keys": [{"name": "cms-hue"'


def test_autocomplete_learns_a_posted_title(index: Path, keys: dict[str, str]) -> None:
    """The search assistance is rebuilt for the new generation (in the background) after a write."""
    app = new_app(index)
    assert app.extensions["timtin_assist"].wait(60)
    client = app.test_client()
    title = "Khánh thành cầu Thuận Phước mới"
    assert title not in [s["text"] for s in client.get("/suggest?q=kh%C3%A1nh+th%C3%A0nh").get_json()["suggestions"]]
    resp = client.post("/api/articles", json={"id": "cau-moi", "title": title, "body": "Cầu mới ở Đà Nẵng."},
                       headers=auth(keys["write"]))
    assert resp.status_code == 200
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = client.get("/suggest?q=kh%C3%A1nh+th%C3%A0nh").get_json()["suggestions"]
        if any(s.get("id") == "cau-moi" for s in found):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the suggester never learnt the posted title")
