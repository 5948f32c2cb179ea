"""``timtin serve`` for real on 127.0.0.1: slow clients, request limits, recycling, shutdown, access log.

Also the client address used by the rate limit behind a reverse proxy (``TIMTIN_TRUSTED_PROXIES``).
"""

from __future__ import annotations

import http.client
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import webapp
from indexer.models import Article
from indexer.store.index import write_articles
from webapp.ratelimit import client_address, parse_proxies

ROOT = Path(__file__).resolve().parents[1]
VN = timezone(timedelta(hours=7))
SOURCES = ["Nhân Dân", "VnExpress", "Tuổi Trẻ"]
PLACES = ["Hà Nội", "Huế", "Đà Nẵng", "Cần Thơ", "Nghệ An", "Sơn La", "Cà Mau", "Gia Lai"]


def articles() -> list[Article]:
    out = []
    for i in range(60):
        place = PLACES[i % len(PLACES)]
        out.append(Article(
            id=f"tin-{i:03d}", title=f"Giá xăng tại {place} giảm lần thứ {i}",
            lead=f"Người dân {place} đón tin giá xăng dầu giảm.",
            body=(f"Giá xăng RON95 tại {place} giảm {100 + i} đồng mỗi lít.\n"
                  "Đại hội Đảng bộ tỉnh bàn về phát triển kinh tế và giao thông.\n" * 3),
            source=SOURCES[i % 3], category="Kinh tế", published=datetime(2024, 1 + i % 12, 1 + i % 28, tzinfo=VN)))
    return out


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serving") / "index"
    assert write_articles(path, articles()).indexed == 60
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@dataclass
class Server:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def workers(self) -> set[int]:
        """The gunicorn master's worker processes."""
        out = set()
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    stat = Path(f"/proc/{name}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    out.add(int(name))
        return out

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def start_server(index: Path, log: Path, *extra: str) -> Server:
    port = _free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "indexer.cli", "serve", "--index", str(index), "--host", "127.0.0.1",
             "--port", str(port), *extra], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=out, stderr=subprocess.STDOUT)
    server = Server(port, proc, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"timtin serve exited: {log.read_text()[-2000:]}")
        try:
            if _get(port, "/healthz", timeout=5)[0] == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    pytest.fail("timtin serve did not answer /healthz")


@pytest.fixture
def server(index: Path, tmp_path: Path) -> Iterator[Server]:
    srv = start_server(index, tmp_path / "server.log", "--workers", "2", "--read-timeout", "2")
    yield srv
    srv.stop()


# -- slow clients ----------------------------------------------------------------------------------


class Tricklers:
    """``n`` connections that send a request a line (or a body byte) at a time and never finish it."""

    def __init__(self, port: int, n: int):
        self.socks: list[socket.socket] = []
        self.closed_at: dict[int, float] = {}
        self.sel = selectors.DefaultSelector()
        self.opened = time.monotonic()
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.setblocking(False)
            if i % 2:  # a body that never ends
                s.sendall(b"POST /search?q=a HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n")
            else:  # headers that never end
                s.sendall(b"GET /search?q=a HTTP/1.1\r\n")
            self.socks.append(s)
            self.sel.register(s, selectors.EVENT_READ, i)

    def step(self) -> None:
        """One more byte or header line on every open connection; note the ones the server closed."""
        for i, s in enumerate(self.socks):
            if i in self.closed_at:
                continue
            try:
                s.send(b"x" if i % 2 else b"X-Slow: 1\r\n")
            except OSError:
                self._closed(i)
        for key, _ in self.sel.select(0):
            i = key.data
            try:
                if self.socks[i].recv(65536):
                    continue  # a response (405 for the body, 408 on time-out): the close follows
            except OSError:
                pass
            self._closed(i)

    def _closed(self, i: int) -> None:
        if i not in self.closed_at:
            self.closed_at[i] = time.monotonic() - self.opened
            self.sel.unregister(self.socks[i])

    def close(self) -> None:
        for s in self.socks:
            s.close()
        self.sel.close()


def test_slow_clients_cost_a_socket_not_a_worker(server: Server) -> None:
    """200 trickling connections: other clients are answered at once; the slow ones are closed."""
    slow = Tricklers(server.port, 200)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.is_set():
            slow.step()
            stop.wait(0.25)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    latencies = []
    try:
        time.sleep(0.3)
        for i in range(50):
            path = "/healthz" if i % 2 else f"/search?q=gi%C3%A1+x%C4%83ng+{i}&per_page=5"
            t0 = time.perf_counter()
            status, _ = _get(server.port, path, timeout=15)
            latencies.append((time.perf_counter() - t0) * 1000)
            assert status == 200
        deadline = time.monotonic() + 20  # bounded wait: the server closes them after --read-timeout 2
        while len(slow.closed_at) < 200 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(5)
        slow.close()
    p99 = sorted(latencies)[int(0.99 * len(latencies))]
    assert p99 <= 500, f"p99 {p99:.0f} ms with 200 slow clients"  # the requirement is 100 ms: see benchmarks
    assert len(slow.closed_at) == 200, f"{200 - len(slow.closed_at)} slow connections still open"
    assert min(slow.closed_at.values()) >= 1.5  # closed by the read deadline, not at once
    assert _get(server.port, "/healthz")[0] == 200


def test_idle_and_slow_connections_get_408_json(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never the empty line
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408") and b"connection: close" in head.lower()
    assert json.loads(body)["error"]["code"] == "request_timeout"
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as s:  # says nothing at all
        assert s.recv(65536).startswith(b"HTTP/1.1 408")


def test_request_limits_are_json_4xx(server: Server) -> None:
    port = server.port

    def error(status: int, body: bytes) -> tuple[int, str]:
        return status, json.loads(body)["error"]["code"]

    assert error(*_get(port, "/search?q=" + "a" * 10_000)) == (414, "uri_too_long")
    assert _get(port, "/search?q=" + "a" * 8000)[0] == 400  # under the line limit: the app's q limit
    assert error(*_get(port, "/", headers={"X-Big": "x" * 10_000})) == (431, "headers_too_large")
    assert error(*_get(port, "/", headers={f"X-H{i}": "1" for i in range(60)})) == (431, "headers_too_large")
    assert _get(port, "/healthz", headers={f"X-H{i}": "1" for i in range(45)})[0] == 200
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/search", body=b"x" * 100_000)
    resp = conn.getresponse()
    assert error(resp.status, resp.read()) == (413, "request_too_large")
    conn.close()
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(b"NONSENSE\r\n\r\n")
        assert s.recv(65536).startswith(b"HTTP/1.1 400")
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:  # chunked body over the limit
        s.sendall(b"POST /search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(20):
            s.sendall(b"2000\r\n" + b"x" * 0x2000 + b"\r\n")
        data = s.recv(65536)
        assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert _get(port, "/healthz")[0] == 200


def test_keep_alive_pipelining_and_access_log(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: th\xe1\"\r\n\r\n"
                  b"GET /search?q=gia+xang HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while data.count(b"HTTP/1.1 200") < 2:
            data += s.recv(65536)
    time.sleep(0.5)  # the log line is written after the response
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert '"GET /healthz HTTP/1.1" 200' in log
    line = next(x for x in log.splitlines() if '"GET /search?q=gia+xang HTTP/1.1" 200' in x)
    assert line.startswith("127.0.0.1 - - [") and "ms " in line  # client, time, duration
    assert '"th\u00e1\\x22"' in log  # the user agent, its quote escaped


# -- worker recycling and graceful shutdown --------------------------------------------------------


def test_workers_are_recycled_after_max_requests(index: Path, tmp_path: Path) -> None:
    srv = start_server(index, tmp_path / "server.log", "--workers", "2", "--max-requests", "10")
    try:
        deadline = time.monotonic() + 20
        while len(srv.workers()) != 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # /healthz answered: the other worker may still be starting
        before = srv.workers()
        assert len(before) == 2
        statuses = [_get(srv.port, f"/search?q=x%C4%83ng+{i}")[0] for i in range(80)]
        assert set(statuses) == {200}  # no request lost while workers restart
        deadline = time.monotonic() + 20
        while (len(srv.workers()) != 2 or srv.workers() & before) and time.monotonic() < deadline:
            time.sleep(0.2)
        after = srv.workers()
        assert len(after) == 2 and not after & before  # both replaced
    finally:
        assert srv.stop() == 0


def test_sigterm_finishes_requests_in_flight(index: Path, tmp_path: Path) -> None:
    srv = start_server(index, tmp_path / "server.log", "--workers", "2", "--threads", "1")
    n = 60
    socks = []
    try:
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
            socks.append(s)
            s.sendall(f"GET /?q=gi%C3%A1+x%C4%83ng+{i}&per_page=100 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.2)  # every request has been accepted and is queued or running
        srv.proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        late = 0
        for s in socks:
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            assert data.startswith(b"HTTP/1.1 200"), data[:200]
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(next(h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-len")))
            assert len(body) == length and b"</html>" in body
            late += time.monotonic() > signalled + 0.05
        assert late > 0, "every request finished before SIGTERM: nothing was in flight"
        assert srv.proc.wait(30) == 0
        with pytest.raises(OSError):
            _get(srv.port, "/healthz", timeout=5)
    finally:
        for s in socks:
            s.close()
        srv.stop()


# -- the client address behind a proxy -------------------------------------------------------------


def test_client_address_trusts_forwarded_for_only_from_proxies() -> None:
    proxies = parse_proxies("127.0.0.1, 10.0.0.0/8")
    assert client_address("203.0.113.7", ["1.2.3.4"], proxies) == "203.0.113.7"  # not a proxy: ignored
    assert client_address("127.0.0.1", ["1.2.3.4"], proxies) == "1.2.3.4"
    assert client_address("127.0.0.1", ["6.6.6.6, 1.2.3.4, 10.1.2.3"], proxies) == "1.2.3.4"  # spoofed left part
    assert client_address("127.0.0.1", ["6.6.6.6", "1.2.3.4"], proxies) == "1.2.3.4"
    assert client_address("127.0.0.1", [], proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", ["not-an-ip, 1.2.3.4"], proxies) == "1.2.3.4"
    assert client_address("127.0.0.1", ["1.2.3.4, junk"], proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", ["1.2.3.4"], ()) == "127.0.0.1"  # default: no proxy trusted
    assert client_address("::ffff:10.0.0.1", ["2001:db8::1"], proxies) == "2001:db8::1"
    assert parse_proxies("") == () and parse_proxies(None) == ()
    with pytest.raises(ValueError, match="TIMTIN_TRUSTED_PROXIES"):
        parse_proxies("127.0.0.1, proxy.example")


def test_rate_limit_buckets_per_forwarded_client(index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMTIN_RATE_LIMIT", "2/minute")

    def app(proxies: str | None):
        if proxies is None:
            monkeypatch.delenv("TIMTIN_TRUSTED_PROXIES", raising=False)
        else:
            monkeypatch.setenv("TIMTIN_TRUSTED_PROXIES", proxies)
        return webapp.create_app(str(index)).test_client()

    def status(client, peer: str, forwarded: str) -> int:
        return client.get("/search?q=a", headers={"X-Forwarded-For": forwarded},
                          environ_base={"REMOTE_ADDR": peer}).status_code

    behind = app("10.0.0.5")
    assert [status(behind, "10.0.0.5", "1.1.1.1") for _ in range(3)] == [200, 200, 429]
    assert status(behind, "10.0.0.5", "2.2.2.2") == 200  # another client behind the same proxy
    direct = app(None)  # X-Forwarded-For is not trusted by default: a client cannot pick fresh buckets
    assert [status(direct, "9.9.9.9", f"3.3.3.{i}") for i in range(3)] == [200, 200, 429]
    monkeypatch.setenv("TIMTIN_TRUSTED_PROXIES", "nonsense")
    with pytest.raises(ValueError, match="TIMTIN_TRUSTED_PROXIES"):
        webapp.create_app(str(index))


# -- the search page in a browser, served by the real stack ----------------------------------------


def test_search_page_in_chromium(server: Server) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip(f"{chromium} is missing (apt-get install chromium)")
    base = f"http://127.0.0.1:{server.port}"
    expect = sync_api.expect
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium),
                                    args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page()
            problems: list[str] = []  # console errors (CSP violations, failed static files) and page errors
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(base + "/")
            page.get_by_label("Từ khoá tìm kiếm").fill("giá xăng Huế")
            page.keyboard.press("Enter")
            page.wait_for_url("**/?q=gi%C3%A1+x%C4%83ng+Hu%E1%BA%BF**")
            expect(page.locator(".hit")).to_have_count(10)
            page.get_by_role("navigation", name="Phân trang").get_by_role("link", name="Sau").click()
            page.wait_for_url("**page=2**")
            page.get_by_role("checkbox", name="VnExpress").check()
            page.wait_for_url("**source=VnExpress**")
            expect(page.locator(".hit .source").first).to_have_text("VnExpress")
            page.locator(".hit-title a").first.click()
            page.wait_for_url("**/articles/tin-*")
            expect(page.locator("h1")).to_contain_text("Giá xăng")
            assert problems == []
        finally:
            browser.close()


def test_timtin_serve_on_an_empty_index(tmp_path: Path) -> None:
    """A failed first `timtin index` leaves an empty index that `timtin serve` answers (issue 15)."""
    from indexer.cli import main

    index = tmp_path / "ix"
    assert main(["index", str(tmp_path / "missing.csv"), "--index", str(index), "-q"]) == 1
    srv = start_server(index, tmp_path / "server.log", "--workers", "1")  # waits for /healthz 200
    try:
        status, body = _get(srv.port, "/healthz")
        assert status == 200 and json.loads(body)["documents"] == 0
        status, body = _get(srv.port, "/search?q=b%C3%A3o")
        assert status == 200 and json.loads(body)["total"] == 0
        for path in ("/", "/?q=b%C3%A3o", "/suggest?q=ba"):
            assert _get(srv.port, path)[0] == 200, path
    finally:
        assert srv.stop() == 0
