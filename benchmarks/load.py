"""Bounded load and soak generator for ``timtin serve`` (loopback only), and a hostile-query timer.

Load mode: worker threads send GET /search requests (dev queries: 10% page 2, 10% with a source
filter, 5% sorted by date, the rest plain; ``--healthz F`` makes a share /healthz) over keep-alive
connections for ``--duration`` seconds (at most 600), either as fast as ``--concurrency``
connections allow or paced to ``--rate`` requests per second overall.  Reports throughput, latency
percentiles, errors by status, and each gunicorn worker's RSS over time with its growth after the
warm-up.  ``--slow-clients N`` keeps N more connections trickling requests that never finish and
reports when the server closed them.  ``--start-server`` starts ``timtin serve --workers N`` on a
free loopback port and stops it at the end; ``--server-code DIR`` starts it from another checkout
(to compare serving stacks in one run).

    python benchmarks/load.py --start-server --index /work/ix100k-v2 --duration 60 --concurrency 4
    python benchmarks/load.py --url http://127.0.0.1:8000 --server-pid 1234 --rate 20 --duration 300
    python benchmarks/load.py --start-server --index DIR --rate 10 --concurrency 4 --healthz 0.5 --slow-clients 200

Hostile mode (``--hostile``): every query and parameter set of the hostile list once (after a
warm-up), against the server or in-process (``--in-process --index DIR``: the Flask app without
HTTP); prints the slowest requests and the maximum latency; exits 1 when any request took longer
than ``--max-ms`` (default 1000) or got a 5xx.

Queries come from ``../shared/data/dev-queries.json`` (``--queries``); load mode exits cleanly
with a message when the file is absent.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from indexer.config import default_index_dir

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUERIES = ROOT.parent / "shared" / "data" / "dev-queries.json"
MAX_DURATION = 600.0
LOOPBACK = ("127.0.0.1", "localhost", "::1")


# -- the hostile list ----------------------------------------------------------------------------


def hostile_requests() -> list[str]:
    """Query strings (already encoded) that must each give a 200 or a 4xx quickly."""
    qs: list[dict[str, str] | str] = []
    words = ["và", "của", "các", "là", "có", "được", "cho", "người", "trong", "đã"]
    for q in [
        "a" * 10_000, "a" * 500, "đại hội " * 62, "và " * 166, "a " * 250, "*", "**", "a*", "*a*", "?", "a?",
        "title:x", "id:*", "body:đại", "published:[2020 TO 2024]", "(", "((((a", "a))))", '"', '"""', '"a', 'a"',
        "AND", "OR", "NOT", "a OR OR b", "OR a", "a OR", "- -", "-a", "-*", "--a", "a && b || c",
        "\x00", "a\x00b", "\x01\x02\x1b[31m", "\u202eabc", "\u200fđại hội", "🙂", "🇻🇳 bão lũ", "👨‍👩‍👧" * 40,
        "\u0300" * 400, "TP.HCM." * 70, "a.b.c.d.e.f.g." * 35, "a-b/c&d " * 60, "UBND " * 100,
        "TP.HCM TPHCM HCM UBND HĐND " * 18, "<script>alert(1)</script>", '" onmouseover="alert(1)',
        # phrases of very common words: the expensive case for positional matching
        '"và của"', '"của các"', '"' + " ".join(words) + '"', '"' + "và " * 160 + '"', '"a ' * 120,
        '"ha noi ' * 60, " ".join(f'"{a} {b}"' for a, b in zip(words, words[1:])) * 3,
        " ".join(f'"{w} {w}"' for w in words) * 2, "và của các là có được cho người trong đã " * 10,
        " OR ".join(words * 5), " ".join("-" + w for w in words * 5), "hà nội " * 70,
    ]:
        qs.append({"q": q})
    base = {"q": "giá xăng"}
    for extra in [{"per_page": "100"}, {"per_page": "100", "page": "100"}, {"per_page": "1", "page": "10000"},
                  {"per_page": "99999999999"}, {"per_page": "-1"}, {"page": "1000000000"}, {"page": "abc"},
                  {"from": "9999-99-99"}, {"from": "0001-01-01"}, {"to": "0001-01-01"}, {"from": "9999-12-31"},
                  {"to": "9999-12-31"}, {"sort": "newest", "per_page": "100"},
                  {"sort": "oldest", "per_page": "100", "page": "100"},
                  {"sort": "x"}, {"source": "x" * 201}]:
        qs.append({**base, **extra})
    qs.append({"q": "và", "per_page": "100", "page": "100"})
    qs.append({"q": "và", "sort": "newest", "per_page": "100", "page": "100"})
    qs += ["q=%ED%A0%80", "q=a%ED%A0%80b", "q=%FF%FE", "q=%", "q=a&q=b", "q=" + "%F0%9F%99%82" * 500]
    out = []
    for item in qs:
        out.append("/search?" + (item if isinstance(item, str) else urlencode(item)))
    out += ["/?" + urlencode({"q": '"và của" "của các" "các là"'}), "/?" + urlencode({"q": "và", "page": "1000"})]
    return out


# -- HTTP --------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection (reconnects after errors)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path)
                resp = self.conn.getresponse()
                body = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, body
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # keep-alive connection closed by the server: retry once on a new one
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(index: str, workers: int, env: dict[str, str] | None = None, code: Path = ROOT,
                 extra: list[str] | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """``timtin serve`` from the checkout ``code`` (default: this one) on a free loopback port."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "indexer.cli", "serve", "--index", index, "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), *(extra or [])], cwd=code,
        env={**os.environ, "PYTHONPATH": str(code), **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"timtin serve exited with code {proc.returncode}")
        try:
            if Client("127.0.0.1", port, timeout=5).get("/healthz")[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("timtin serve did not answer /healthz within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# -- CPU -------------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` so far (seconds); processes gone meanwhile count 0."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / tick


# -- memory ------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(name))
    return sorted(out)


def rss_kb(pid: int, field: str = "VmRSS") -> int | None:
    """A memory figure of ``pid`` in kB: VmRSS (all resident), RssAnon (private heap) or RssFile (mapped index)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class RssSampler:
    """Samples the RSS of the gunicorn master's worker children every ``interval`` seconds."""

    master: int
    interval: float = 2.0
    samples: list[tuple[float, dict[int, int]]] = field(default_factory=list)
    anon: dict[int, int] = field(default_factory=dict)  # last RssAnon per worker

    def run(self, stop: threading.Event, started: float) -> None:
        while True:
            snapshot = {pid: kb for pid in children(self.master) if (kb := rss_kb(pid)) is not None}
            self.samples.append((time.monotonic() - started, snapshot))
            for pid in snapshot:
                self.anon[pid] = rss_kb(pid, "RssAnon") or 0
            if stop.wait(self.interval):
                return

    def report(self, warmup: float) -> dict[str, dict[str, float | list[list[float]]]]:
        out: dict[str, dict[str, float | list[list[float]]]] = {}
        pids = sorted({pid for _, s in self.samples for pid in s})
        for pid in pids:
            series = [(t, s[pid]) for t, s in self.samples if pid in s]
            after = [kb for t, kb in series if t >= warmup] or [series[-1][1]]
            base, last = after[0], series[-1][1]
            out[str(pid)] = {"first_mb": series[0][1] / 1024, "after_warmup_mb": base / 1024,
                             "last_mb": last / 1024, "max_mb": max(kb for _, kb in series) / 1024,
                             "last_anon_mb": self.anon.get(pid, 0) / 1024,
                             "growth_after_warmup_pct": 100.0 * (last - base) / base if base else 0.0,
                             "series": [[round(t, 1), round(kb / 1024, 1)] for t, kb in series]}
        return out


# -- slow clients ------------------------------------------------------------------------------


class SlowClients:
    """``n`` connections trickling a request (half: header lines, half: a body) every ``interval`` s.

    ``run`` keeps them going until ``stop``; ``report`` says how many the server closed and when
    (seconds after opening).  Connections are opened again when ``reopen`` is set, so the server
    keeps facing ``n`` slow clients for the whole run.
    """

    def __init__(self, host: str, port: int, n: int, interval: float = 1.0, reopen: bool = True):
        self.host, self.port, self.n, self.interval, self.reopen = host, port, n, interval, reopen
        self.open: dict[int, tuple[socket.socket, float]] = {}
        self.closed_after: list[float] = []
        self.failed_connects = 0
        self._next = 0

    def _connect(self) -> None:
        i, self._next = self._next, self._next + 1
        try:
            s = socket.create_connection((self.host, self.port), timeout=5)
            s.setblocking(False)
            s.sendall(b"POST /search?q=a HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n" if i % 2
                      else b"GET /search?q=a HTTP/1.1\r\nHost: x\r\n")
        except OSError:
            self.failed_connects += 1
            return
        self.open[i] = (s, time.monotonic())

    def run(self, stop: threading.Event) -> None:
        while len(self.open) < self.n:
            self._connect()
        while not stop.wait(self.interval):
            for i, (s, opened) in list(self.open.items()):
                try:
                    s.send(b"x" if i % 2 else b"X-Slow: 1\r\n")
                    while s.recv(65536):  # a response (405, 408): the close follows
                        pass
                except BlockingIOError:
                    continue
                except OSError:
                    pass
                s.close()  # recv returned b"" or the connection was reset: the server closed it
                del self.open[i]
                self.closed_after.append(time.monotonic() - opened)
            while self.reopen and len(self.open) < self.n:
                self._connect()
        for s, _ in self.open.values():
            s.close()

    def report(self) -> dict:
        return {"slow_clients": self.n, "closed_by_server": len(self.closed_after),
                "closed_after_s": {"min": round(min(self.closed_after, default=0.0), 1),
                                   "p50": round(pct(self.closed_after, 0.5), 1),
                                   "max": round(max(self.closed_after, default=0.0), 1)},
                "still_open": len(self.open), "failed_connects": self.failed_connects}


# -- load mode ---------------------------------------------------------------------------------


def load_queries(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data["queries"] if isinstance(data, dict) else data
    return [q["query"] if isinstance(q, dict) else str(q) for q in items if q]


DEFAULT_SOURCES = ("VnExpress", "Tuổi Trẻ", "Người Lao Động", "Thanh Niên")  # the largest in news-100k


def request_mix(queries: list[str], rng: random.Random, sources: tuple[str, ...] = DEFAULT_SOURCES,
                healthz: float = 0.0) -> Iterator[str]:
    """GET /search: 10% page 2, 10% with a source filter, 5% sorted by date, the rest plain.

    With ``healthz`` > 0 that share of the requests is ``/healthz`` instead.
    """
    while True:
        if healthz and rng.random() < healthz:
            yield "/healthz"
            continue
        params: dict[str, str] = {"q": rng.choice(queries)}
        r = rng.random()
        if r < 0.10:
            params["page"] = "2"
        elif r < 0.20:
            params["source"] = rng.choice(sources)
        elif r < 0.25:
            params["sort"] = "newest"
        yield "/search?" + urlencode(params)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else 0.0


def run_load(host: str, port: int, queries: list[str], duration: float, concurrency: int, rate: float | None,
             master: int | None, rss_interval: float, warmup: float, seed: int, healthz: float = 0.0,
             slow_clients: int = 0, timeout: float = 60.0) -> dict:
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    health_lat: list[list[float]] = [[] for _ in range(concurrency)]
    statuses: list[Counter[str]] = [Counter() for _ in range(concurrency)]
    stop = threading.Event()
    started = time.monotonic()
    deadline = started + duration
    pace = threading.Lock()
    next_slot = [started]

    def wait_turn() -> bool:
        if not rate:
            return time.monotonic() < deadline
        with pace:
            slot = next_slot[0]
            next_slot[0] = max(slot, time.monotonic() - 1.0) + 1.0 / rate  # no catching up after stalls
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return time.monotonic() < deadline

    def worker(i: int) -> None:
        client = Client(host, port, timeout)
        mix = request_mix(queries, random.Random(seed + i), healthz=healthz)
        while not stop.is_set() and wait_turn():
            path = next(mix)
            t0 = time.perf_counter()
            try:
                status, _ = client.get(path)
                statuses[i][str(status)] += 1
            except (OSError, http.client.HTTPException) as e:
                statuses[i][type(e).__name__] += 1
                client.close()
                continue
            if time.monotonic() - started >= warmup:
                latencies[i].append((time.perf_counter() - t0) * 1000)
                if path == "/healthz":
                    health_lat[i].append(latencies[i][-1])
        client.close()

    sampler = RssSampler(master, rss_interval) if master else None
    sampler_thread = threading.Thread(target=sampler.run, args=(stop, started), daemon=True) if sampler else None
    if sampler_thread:
        sampler_thread.start()
    slow = SlowClients(host, port, slow_clients) if slow_clients else None
    slow_thread = threading.Thread(target=slow.run, args=(stop,), daemon=True) if slow else None
    if slow_thread:
        slow_thread.start()
        time.sleep(min(1.0, warmup))
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    workers = children(master) if master else []
    cpu_before = cpu_seconds(workers)
    # the workers' CPU from the end of the warm-up on: without their start-up (a worker that finds no
    # saved "did you mean"/autocomplete models in the index folder learns them: ~30 CPU-s at 100k)
    cpu_at_warmup: list[float] = []
    warm_timer = threading.Timer(warmup, lambda: cpu_at_warmup.append(cpu_seconds(workers))) if workers else None
    if warm_timer:
        warm_timer.daemon = True
        warm_timer.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 120)
    elapsed = time.monotonic() - started
    cpu_used = cpu_seconds(workers) - cpu_before
    stop.set()
    if sampler_thread:
        sampler_thread.join(10)
    if slow_thread:
        slow_thread.join(30)
    lat = [x for part in latencies for x in part]
    hlat = [x for part in health_lat for x in part]
    status = sum(statuses, Counter())
    total = sum(status.values())
    measured = max(elapsed - warmup, 1e-9)
    return {
        "duration_s": round(elapsed, 1), "warmup_s": warmup, "concurrency": concurrency, "target_rate": rate,
        "requests": total, "measured_requests": len(lat), "throughput_rps": round(len(lat) / measured, 2),
        "latency_ms": {"p50": round(pct(lat, 0.50), 1), "p90": round(pct(lat, 0.90), 1),
                       "p99": round(pct(lat, 0.99), 1), "max": round(max(lat, default=0.0), 1),
                       "mean": round(sum(lat) / len(lat), 1) if lat else 0.0},
        "worker_cpu_ms_per_request": round(1000 * cpu_used / total, 1) if workers and total else None,
        "worker_cpu_ms_per_request_after_warmup":
            round(1000 * (cpu_before + cpu_used - cpu_at_warmup[0]) / len(lat), 1)
            if cpu_at_warmup and lat else None,
        "healthz_latency_ms": {"n": len(hlat), "p50": round(pct(hlat, 0.50), 1), "p99": round(pct(hlat, 0.99), 1)},
        "errors": sum(n for s, n in status.items() if not s.startswith(("2", "4"))),
        "statuses": dict(status),
        "slow": slow.report() if slow else None,
        "workers_rss": sampler.report(warmup) if sampler else {},
    }


# -- hostile mode ------------------------------------------------------------------------------


def run_hostile(get: Callable[[str], int], max_ms: float, repeat: int) -> dict:
    paths = hostile_requests()
    get("/search?q=warm+up")  # open the index
    rows = []
    for path in paths:
        best = None
        status = 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            status = get(path)
            ms = (time.perf_counter() - t0) * 1000
            best = ms if best is None else max(best, ms)
        rows.append((best or 0.0, status, path))
    rows.sort(reverse=True)
    slow = [r for r in rows if r[0] > max_ms]
    bad = [r for r in rows if r[1] >= 500 or r[1] < 200]
    return {"requests": len(rows) * repeat, "max_ms": round(rows[0][0], 1) if rows else 0.0,
            "p50_ms": round(pct([r[0] for r in rows], 0.5), 1), "statuses": dict(Counter(str(r[1]) for r in rows)),
            "slowest": [{"ms": round(ms, 1), "status": st, "path": p[:160]} for ms, st, p in rows[:12]],
            "over_limit": len(slow), "server_errors": len(bad)}


# -- command line ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000 (loopback only)")
    p.add_argument("--start-server", action="store_true", help="start `timtin serve` on a free loopback port")
    p.add_argument("--index", default=default_index_dir())
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers with --start-server")
    p.add_argument("--server-code", type=Path, default=ROOT,
                   help="--start-server: the checkout whose `timtin serve` runs (e.g. a worktree of an older "
                        "version, to compare stacks in one run); default: this one")
    p.add_argument("--serve-arg", action="append", default=[], metavar="ARG",
                   help="--start-server: one more argument for `timtin serve` (repeatable)")
    p.add_argument("--healthz", type=float, default=0.0, help="share of requests that are GET /healthz (0-1)")
    p.add_argument("--slow-clients", type=int, default=0, metavar="N",
                   help="keep N connections trickling unfinished requests during the run (at most 1000)")
    p.add_argument("--server-pid", type=int, help="gunicorn master pid of --url, to sample worker RSS")
    p.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    p.add_argument("--duration", type=float, default=30.0, help=f"seconds (at most {MAX_DURATION:g})")
    p.add_argument("--warmup", type=float, default=None, help="seconds not measured (default: 10%% of duration)")
    p.add_argument("--concurrency", type=int, default=4, help="connections (threads)")
    p.add_argument("--rate", type=float, default=None, help="target requests per second overall")
    p.add_argument("--rss-interval", type=float, default=2.0)
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before a request counts as an error")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--hostile", action="store_true", help="time the hostile list instead of a load run")
    p.add_argument("--in-process", action="store_true", help="--hostile without HTTP: the Flask app in-process")
    p.add_argument("--max-ms", type=float, default=1000.0, help="--hostile: the latency bound")
    p.add_argument("--repeat", type=int, default=1, help="--hostile: times each request (the max counts)")
    p.add_argument("--json", type=Path, help="also write the report to this file")
    args = p.parse_args(argv)

    if not 0 < args.duration <= MAX_DURATION:
        p.error(f"--duration must be in (0, {MAX_DURATION:g}] seconds")
    if args.concurrency < 1 or args.concurrency > 64:
        p.error("--concurrency must be 1-64")
    if args.rate is not None and args.rate <= 0:
        p.error("--rate must be positive")
    if not 0 <= args.slow_clients <= 1000:
        p.error("--slow-clients must be 0-1000")
    if not 0 <= args.healthz <= 1:
        p.error("--healthz must be in [0, 1]")
    if args.in_process and not args.hostile:
        p.error("--in-process only works with --hostile")

    if not args.hostile and not args.queries.exists():
        print(f"load: no queries file at {args.queries}; nothing to do", file=sys.stderr)
        return 0
    server: subprocess.Popen[bytes] | None = None
    host, port, master = "127.0.0.1", 0, args.server_pid
    if args.in_process:
        pass
    elif args.start_server:
        server, port = start_server(args.index, args.workers, code=args.server_code.resolve(), extra=args.serve_arg)
        master = server.pid
    elif args.url:
        parts = urlsplit(args.url)
        if parts.hostname not in LOOPBACK or parts.scheme != "http":
            p.error("--url must be http:// on the loopback interface (127.0.0.1, localhost or ::1)")
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
    else:
        p.error("give --url, --start-server, or --hostile --in-process")

    try:
        if args.hostile:
            if args.in_process:
                sys.path.insert(0, str(ROOT))
                import webapp

                app = webapp.create_app(args.index)
                app.config["PROPAGATE_EXCEPTIONS"] = False
                client = app.test_client()

                def get(path: str) -> int:
                    return client.get(path).status_code
            else:
                http_client = Client(host, port)

                def get(path: str) -> int:
                    return http_client.get(path)[0]
            report = run_hostile(get, args.max_ms, args.repeat)
            print(f"hostile: {report['requests']} requests, max {report['max_ms']} ms, median {report['p50_ms']} ms, "
                  f"statuses {report['statuses']}; over {args.max_ms:g} ms: {report['over_limit']}, "
                  f"5xx: {report['server_errors']}")
            for row in report["slowest"]:
                print(f"  {row['ms']:9.1f} ms  {row['status']}  {row['path']}")
            code = 1 if report["over_limit"] or report["server_errors"] else 0
        else:
            queries = load_queries(args.queries)
            warmup = args.warmup if args.warmup is not None else min(30.0, args.duration * 0.1)
            report = run_load(host, port, queries, args.duration, args.concurrency, args.rate, master,
                              args.rss_interval, warmup, args.seed, args.healthz, args.slow_clients, args.timeout)
            lat = report["latency_ms"]
            print(f"load: {report['requests']} requests in {report['duration_s']} s "
                  f"({report['measured_requests']} after {warmup:g} s warm-up), {report['throughput_rps']} req/s; "
                  f"latency p50 {lat['p50']} ms, p90 {lat['p90']} ms, p99 {lat['p99']} ms, max {lat['max']} ms; "
                  f"errors {report['errors']}; statuses {report['statuses']}")
            if report["worker_cpu_ms_per_request"] is not None:
                print(f"  worker CPU per request: {report['worker_cpu_ms_per_request']} ms "
                      f"(user + system, all {len(report['workers_rss'])} workers)")
                if report["worker_cpu_ms_per_request_after_warmup"] is not None:
                    print(f"  worker CPU per request after the warm-up: "
                          f"{report['worker_cpu_ms_per_request_after_warmup']} ms")
            if report["healthz_latency_ms"]["n"]:
                h = report["healthz_latency_ms"]
                print(f"  /healthz: {h['n']} requests, p50 {h['p50']} ms, p99 {h['p99']} ms")
            if report["slow"]:
                sl = report["slow"]
                print(f"  slow clients: {sl['slow_clients']} kept open; {sl['closed_by_server']} closed by the server "
                      f"after {sl['closed_after_s']['min']}-{sl['closed_after_s']['max']} s "
                      f"(median {sl['closed_after_s']['p50']} s); {sl['failed_connects']} failed connects")
            for pid, w in report["workers_rss"].items():
                print(f"  worker {pid}: RSS {w['first_mb']:.0f} MB at start, {w['after_warmup_mb']:.0f} MB after "
                      f"warm-up, {w['last_mb']:.0f} MB at the end (max {w['max_mb']:.0f} MB): "
                      f"{w['growth_after_warmup_pct']:+.1f}% after warm-up; private {w['last_anon_mb']:.0f} MB")
            code = 1 if report["errors"] else 0
        if args.json:
            args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        return code
    finally:
        if server is not None:
            stop_server(server)


if __name__ == "__main__":
    sys.exit(main())
