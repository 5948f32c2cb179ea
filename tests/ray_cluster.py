"""A real local Ray cluster for tests and benchmarks: `ray start --head` plus worker nodes.

Ray's command line rewrites 127.0.0.1 to the machine's outside address for any node that is
part of a multi-node cluster, and its core servers then listen on every interface.  So the
cluster runs in a private network namespace (``unshare --net``) whose only interface is the
loopback: every Ray process listens on 127.0.0.1 of that namespace and nothing is reachable
from outside, whatever Ray binds.  Processes of the test (timtin commands, HTTP clients) join
the namespace: subprocesses through ``nsenter``, Python threads through ``setns`` (per thread:
``NetnsPool`` threads only, the rest of the test process stays where it was).

Each node is its own ``ray start --block`` process group with its own temp dir and ports;
``kill_node`` SIGKILLs one group (a node failure), ``stop`` ends every group this harness
started and the namespace holder, by their PIDs only; ``ray stop`` is never used.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLONE_NEWNET = 0x40000000
HEAD_PORT = 6379  # free by construction: the namespace is private


def ray_bin() -> str:
    return str(Path(sys.executable).with_name("ray"))


def cluster_unavailable_reason() -> str | None:
    """Why a local cluster cannot be started here, or None."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return "ray is not installed (pip install 'timtin[cluster]')"
    if not Path(ray_bin()).exists():
        return "the ray command is not beside this Python"
    if not (shutil.which("unshare") and shutil.which("nsenter") and shutil.which("ip")):
        return "unshare, nsenter and ip (util-linux, iproute2) are needed for a private network namespace"
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    if probe.returncode:
        return "cannot create a network namespace here (needs root or CAP_SYS_ADMIN)"
    return None


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _descendants(root: int) -> list[int]:
    """PIDs of every process below ``root`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@dataclass
class Node:
    name: str
    proc: subprocess.Popen
    temp_dir: Path
    log: Path
    alive: bool = True


@dataclass
class LocalRayCluster:
    """A head and ``workers`` worker nodes, each with ``cpus`` CPUs, in a private loopback-only namespace."""

    workers: int = 1
    cpus: int = 1
    object_store_mb: int = 120
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ttray-", dir="/tmp")))
    nodes: list[Node] = field(default_factory=list)
    holder: subprocess.Popen | None = None
    _started: list[subprocess.Popen] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{HEAD_PORT}"

    @property
    def netns(self) -> str:
        assert self.holder is not None
        return f"/proc/{self.holder.pid}/ns/net"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
        env["RAY_USAGE_STATS_ENABLED"] = "0"
        # notice a dead node in ~3 s instead of ~15 s (Ray's system config, read by every Ray process)
        env.update(RAY_health_check_period_ms="1000", RAY_health_check_timeout_ms="1000",
                   RAY_health_check_failure_threshold="3", RAY_health_check_initial_delay_ms="1000")
        env.pop("RAY_ADDRESS", None)
        return env

    def popen(self, args: list[str], log: Path | None = None, **kw) -> subprocess.Popen:
        """Start a command inside the namespace, in its own process group (stopped by ``stop``)."""
        out = open(log, "ab") if log else subprocess.DEVNULL
        proc = subprocess.Popen(["nsenter", f"--net={self.netns}", "--", *args], stdout=out,
                                stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                                start_new_session=True, env=kw.pop("env", self.env()), **kw)
        self._started.append(proc)
        return proc

    def run(self, args: list[str], timeout: float, **kw) -> subprocess.CompletedProcess:
        """Run a command inside the namespace to completion (killed after ``timeout`` seconds)."""
        return subprocess.run(["nsenter", f"--net={self.netns}", "--", *args], capture_output=True, text=True,
                              timeout=timeout, env=kw.pop("env", self.env()), start_new_session=True, **kw)

    def start(self, timeout: float = 90.0) -> LocalRayCluster:
        self.holder = subprocess.Popen(
            ["unshare", "--net", "--", "sh", "-c", "ip link set lo up && exec sleep 86400"],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["nsenter", f"--net={self.netns}", "--", "ip", "-o", "link", "show", "up"],
                             capture_output=True, text=True).stdout.count("LOOPBACK") == 0:
            if time.monotonic() > deadline:
                raise RuntimeError("the network namespace did not come up")
            time.sleep(0.05)
        common = ["--block", "--node-ip-address=127.0.0.1", f"--num-cpus={self.cpus}",
                  f"--object-store-memory={self.object_store_mb * 1024 * 1024}", "--disable-usage-stats"]
        self._node("head", ["--head", f"--port={HEAD_PORT}", "--include-dashboard=false",
                            "--dashboard-agent-listen-port=52365", "--ray-client-server-port=10001"] + common)
        self._wait_started(self.nodes[0], timeout)
        for i in range(self.workers):
            self._node(f"w{i + 1}", [f"--address={self.address}", f"--dashboard-agent-listen-port={52366 + i}"]
                       + common)
        for node in self.nodes[1:]:
            self._wait_started(node, timeout)
        self.wait_nodes(1 + self.workers, timeout)
        return self

    def add_worker(self, timeout: float = 90.0) -> None:
        """Start one more worker node (e.g. to replace a killed one)."""
        i = len(self.nodes)
        self._node(f"w{i}", [f"--address={self.address}", f"--dashboard-agent-listen-port={52365 + i}",
                             "--block", "--node-ip-address=127.0.0.1", f"--num-cpus={self.cpus}",
                             f"--object-store-memory={self.object_store_mb * 1024 * 1024}", "--disable-usage-stats"])
        self._wait_started(self.nodes[-1], timeout)
        self.wait_nodes(sum(n.alive for n in self.nodes), timeout)

    def _node(self, name: str, args: list[str]) -> None:
        temp_dir = self.root / name
        temp_dir.mkdir(parents=True, exist_ok=True)
        log = self.root / f"{name}.log"
        proc = self.popen([ray_bin(), "start", f"--temp-dir={temp_dir}", *args], log=log)
        self.nodes.append(Node(name, proc, temp_dir, log))

    def _wait_started(self, node: Node, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while b"Ray runtime started" not in node.log.read_bytes():
            if node.proc.poll() is not None or time.monotonic() > deadline:
                tail = node.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"ray node {node.name} did not start:\n{tail}")
            time.sleep(0.2)

    def alive_nodes(self) -> int:
        """Nodes the cluster itself counts as alive (``ray status``-like, through a short driver)."""
        code = (f"import ray; ray.init(address={self.address!r}, log_to_driver=False); "
                "print(sum(1 for n in ray.nodes() if n['Alive']))")
        out = self.run([sys.executable, "-c", code], timeout=60)
        try:
            return int(out.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return 0

    def wait_nodes(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.alive_nodes() != count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster never had {count} live nodes")
            time.sleep(0.5)

    def kill_node(self, index: int) -> None:
        """Kill every process of a node at once (its process group, and the actor and task workers
        its raylet started, which Ray puts in sessions of their own): a node failure."""
        node = self.nodes[index]
        family = _descendants(node.proc.pid)
        _kill_group(node.proc.pid, signal.SIGKILL)
        for pid in family:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        node.proc.wait(timeout=10)
        node.alive = False

    def stop(self) -> None:
        """End every process this harness started (worker nodes first), then the namespace."""
        groups = [n.proc for n in reversed(self.nodes)] + [p for p in self._started if p not in
                                                            {n.proc for n in self.nodes}]
        for proc in groups:
            _kill_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 8
        for proc in groups:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in groups:
            _kill_group(proc.pid, signal.SIGKILL)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._kill_leftovers()
        if self.holder is not None:
            _kill_group(self.holder.pid, signal.SIGKILL)
            self.holder.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill_leftovers(self) -> None:
        """Kill processes still inside our private namespace (only ours can be there), by PID."""
        if self.holder is None:
            return
        try:
            ours = os.stat(self.netns).st_ino
        except OSError:
            return
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == self.holder.pid:
                continue
            try:
                if os.stat(entry / "ns" / "net").st_ino == ours:
                    os.kill(int(entry.name), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                continue

    def __enter__(self) -> LocalRayCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


class NetnsPool(ThreadPoolExecutor):
    """Threads that live in the cluster's network namespace (to reach servers started in it)."""

    def __init__(self, netns: str, workers: int = 4):
        fd = os.open(netns, os.O_RDONLY)

        def enter() -> None:
            if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns failed")

        super().__init__(max_workers=workers, initializer=enter)
        self._fd = fd

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        try:
            os.close(self._fd)
        except OSError:
            pass


@dataclass
class Reply:
    status: int | None  # None: no answer (connection error or client time-out)
    body: dict | str
    seconds: float


def http_get(url: str, timeout: float = 30.0) -> Reply:
    """GET a JSON URL; never raises (to be run in a ``NetnsPool`` thread)."""
    import json
    import urllib.error
    import urllib.request

    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return Reply(resp.status, json.loads(resp.read()), time.monotonic() - started)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        return Reply(e.code, body, time.monotonic() - started)
    except Exception as e:  # noqa: BLE001 - reported, not raised
        return Reply(None, repr(e), time.monotonic() - started)


def paced_load(pool: NetnsPool, urls: list[str], rate: float, seconds: float, during=None, at: float = 0.0,
               timeout: float = 30.0) -> list[Reply]:
    """Send GETs at ``rate`` per second for ``seconds`` (cycling through ``urls``), calling ``during()``
    once ``at`` seconds in; the replies, in sending order.  Bounded: rate * seconds requests."""
    futures = []
    start = time.monotonic()
    fired = during is None
    for n in range(int(rate * seconds)):
        due = start + n / rate
        while (now := time.monotonic()) < due:
            time.sleep(min(0.01, due - now))
        if not fired and now - start >= at:
            fired = True
            pool.submit(during)
        futures.append(pool.submit(http_get, urls[n % len(urls)], timeout))
    return [f.result() for f in futures]
