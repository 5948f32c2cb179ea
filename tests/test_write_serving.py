"""The write API under a real ``timtin serve`` on 127.0.0.1: multi-MB bodies, the 10 MiB limit, slow uploads."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator

import pytest

from indexer.keys import create_key, keys_path
from indexer.store.index import write_articles
from tests.helpers import art
from tests.test_serving import Server, _get, start_server


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """One worker with ONE app thread: a request holding the thread would stall every other."""
    index = tmp_path_factory.mktemp("write-serving") / "index"
    write_articles(index, [art("cu", "Tin cũ ở Hà Nội", "Một bài đã có.")])
    key = create_key(keys_path(index), "cms-test", "write")
    log = index.parent / "server.log"
    server = start_server(index, log, "--workers", "1", "--threads", "1", "--read-timeout", "3")
    yield server, key
    server.stop()


def _request(port: int, method: str, path: str, body: bytes, headers: dict[str, str],
             timeout: float = 60) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_a_multi_megabyte_post_is_indexed_and_searchable(served: tuple[Server, str]) -> None:
    server, key = served
    lines = [json.dumps({"id": f"lon-{i:04d}", "title": f"Hội chợ nông sản Đắk Lắk số {i}",
                         "body": "Cà phê, hồ tiêu và sầu riêng được bày bán. " * 60}, ensure_ascii=False)
             for i in range(1500)]
    body = ("\n".join(lines) + "\n").encode()
    assert 4 * 1024 * 1024 < len(body) < 10 * 1024 * 1024
    status, answer = _request(server.port, "POST", "/api/articles", body,
                              {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"})
    assert status == 200, answer
    assert answer == {"indexed": 1500, "updated": 0, "skipped": 0, "errors": []}
    status, raw = _get(server.port, "/search?q=hoi+cho+nong+san+so+1499&per_page=1")
    assert status == 200 and json.loads(raw)["results"][0]["id"] == "lon-1499"
    status, raw = _get(server.port, "/api/articles/lon-0007")
    assert status == 200 and json.loads(raw)["title"] == "Hội chợ nông sản Đắk Lắk số 7"

    log = server.log.read_text()
    assert "cms-test" in log and "lon-0000" in log and "lon-1499" in log  # who wrote what ...
    assert key not in log and key[3:] not in log  # ... never the key


def test_limits_are_json_and_only_writes_take_big_bodies(served: tuple[Server, str]) -> None:
    server, key = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:  # refused from the headers
        s.sendall(b"POST /api/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode()
                  + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (10 * 1024 * 1024 + 1))
        answer = s.recv(4096)
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and json.loads(payload)["error"]["code"] == "request_too_large"
    status, answer = _request(server.port, "PUT", "/search?q=a", b"x" * 70_000, {})  # not a write path: 64 KiB
    assert status == 413 and answer["error"]["code"] == "request_too_large"
    status, answer = _request(server.port, "POST", "/api/articles", b"[]", {})
    assert status == 401 and answer["error"]["code"] == "unauthorized"
    status, answer = _request(server.port, "DELETE", "/api/articles/khong-co", b"", {"Authorization": f"Bearer {key}"})
    assert status == 404 and answer["error"]["code"] == "not_found"


def test_a_slow_upload_holds_a_socket_not_the_worker_thread(served: tuple[Server, str]) -> None:
    """A client trickling a 1 MB body: the only app thread keeps answering; the upload gets 408."""
    server, key = served
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    try:
        slow.sendall(b"POST /api/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode()
                     + b"\r\nContent-Type: application/x-ndjson\r\nContent-Length: 1000000\r\n\r\n{")
        time.sleep(0.5)
        for _ in range(5):
            slow.sendall(b" ")
            status, _ = _get(server.port, "/healthz", timeout=10)
            assert status == 200
            status, _ = _get(server.port, "/search?q=tin+cu", timeout=10)
            assert status == 200
        # the read deadline (3 s, plus 1 s per 256 KiB declared) closes it with a 408
        answer = b""
        while chunk := slow.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408")
    finally:
        slow.close()
    status, raw = _get(server.port, "/api/articles/cu")
    assert status == 200
