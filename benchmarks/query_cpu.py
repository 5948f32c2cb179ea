"""CPU time per search request, in-process: ``benchmarks/load.py``'s request mix without HTTP.

Replays the mix of ``load.py`` (dev queries: 10% page 2, 10% with a source filter, 5% sorted by
date, the rest plain; the same ``request_mix`` and seed) through the Flask test client
(``--via app``, the default: validation, search, "did you mean", JSON) or through
``indexer.search.search`` (``--via service``), in this process, and reports CPU time per request
(``time.process_time``, after the app's background warm-up has finished, so it counts the
requests only):

* **cold**: the first pass over the requests in a fresh process (no postings decoded yet);
* **warm**: the same requests again (decoded postings in the engine's bounded cache).

``--profile cold|warm`` runs that pass under cProfile and prints the top functions (the figures
of a profiled pass are inflated; the unprofiled passes give the CPU figures).  ``--dump FILE``
writes every response (``took_ms`` removed) as JSON lines, to compare two checkouts::

    python benchmarks/query_cpu.py --index /tmp/m/final [--requests 600] [--profile cold] [--dump out.jsonl]
    PYTHONPATH=/other/checkout python /other/checkout/benchmarks/query_cpu.py ... --dump old.jsonl
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.load import DEFAULT_QUERIES, load_queries, request_mix  # noqa: E402


def kind_of(path: str) -> str:
    """The mix's kind of a request path: page2, source, newest or plain."""
    params = parse_qs(urlsplit(path).query)
    if "page" in params:
        return "page2"
    if "source" in params:
        return "source"
    if "sort" in params:
        return "newest"
    return "plain"


def requests_of(queries: list[str], n: int, seed: int) -> list[str]:
    mix = request_mix(queries, random.Random(seed))
    return [next(mix) for _ in range(n)]


def app_runner(index: str) -> Callable[[str], dict]:
    """GET ``path`` through the Flask test client of an app on ``index`` (assist models warmed first)."""
    from webapp import create_app
    from webapp.assist import EXTENSION

    app = create_app(index)
    app.extensions[EXTENSION].wait(600)
    client = app.test_client()

    def get(path: str) -> dict:
        resp = client.get(path)
        if resp.status_code != 200:
            raise SystemExit(f"{path}: HTTP {resp.status_code} {resp.get_data(as_text=True)[:200]}")
        out = resp.get_json()
        out.pop("took_ms", None)
        return out
    return get


def service_runner(index: str) -> Callable[[str], dict]:
    """Search ``path``'s parameters with ``indexer.search.search`` (no web app, no suggestion)."""
    from indexer.search import SearchRequest, search

    def get(path: str) -> dict:
        params = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        req = SearchRequest(q=params["q"], page=int(params.get("page", 1)), sort=params.get("sort", "relevance"),
                            source=[params["source"]] if "source" in params else [])
        out = search(req, index).to_json()
        out.pop("took_ms", None)
        return out
    return get


class GcTimer:
    """CPU time spent in the garbage collector (``gc.callbacks``), and collections per generation."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._began = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began = time.process_time()
        else:
            self.seconds += time.process_time() - self._began
            self.collections[info["generation"]] += 1


def run_pass(get: Callable[[str], dict], paths: list[str], profile: cProfile.Profile | None = None
             ) -> tuple[list[float], list[dict], GcTimer]:
    """CPU ms of each request, the responses, and the garbage collector's share."""
    cpu: list[float] = []
    out: list[dict] = []
    timer = GcTimer()
    gc.callbacks.append(timer)
    for path in paths:
        t0 = time.process_time()
        if profile is not None:
            profile.enable()
        out.append(get(path))
        if profile is not None:
            profile.disable()
        cpu.append((time.process_time() - t0) * 1000)
    gc.callbacks.remove(timer)
    return cpu, out, timer


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else 0.0


def summary(cpu: list[float], paths: list[str], timer: GcTimer) -> dict:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for c, p in zip(cpu, paths):
        by_kind[kind_of(p)].append(c)
    return {"requests": len(cpu), "cpu_ms_mean": round(sum(cpu) / len(cpu), 2),
            "p50": round(pct(cpu, 0.5), 2), "p95": round(pct(cpu, 0.95), 2), "p99": round(pct(cpu, 0.99), 2),
            "by_kind_mean": {k: round(sum(v) / len(v), 2) for k, v in sorted(by_kind.items())},
            "gc_ms_per_request": round(1000 * timer.seconds / len(cpu), 2), "gc_collections": timer.collections}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--requests", type=int, default=600, help="requests per pass (default 600)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--via", choices=("app", "service"), default="app")
    ap.add_argument("--profile", choices=("cold", "warm"), help="run this pass under cProfile")
    ap.add_argument("--top", type=int, default=35, help="functions listed by the profile")
    ap.add_argument("--sort", default="tottime", help="cProfile sort key (tottime, cumulative)")
    ap.add_argument("--callees", help="also list what the functions matching this name called")
    ap.add_argument("--kind", choices=("plain", "page2", "source", "newest"), help="replay only this kind")
    ap.add_argument("--dump", type=Path, help="write the cold pass's responses here (JSON lines)")
    args = ap.parse_args(argv)
    if not args.queries.exists():
        print(f"no queries file at {args.queries}", file=sys.stderr)
        return 2
    paths = requests_of(load_queries(args.queries), args.requests, args.seed)
    if args.kind:
        paths = [p for p in paths if kind_of(p) == args.kind]
    setup = time.process_time()
    get = (app_runner if args.via == "app" else service_runner)(args.index)
    report: dict = {"index": args.index, "via": args.via, "setup_cpu_s": round(time.process_time() - setup, 2),
                    "gc_threshold": gc.get_threshold(), "gc_tracked_objects": len(gc.get_objects())}
    texts: list[str] = []
    for name in ("cold", "warm"):
        prof = cProfile.Profile() if args.profile == name else None
        cpu, out, timer = run_pass(get, paths, prof)
        report[name + (" (profiled)" if prof else "")] = summary(cpu, paths, timer)
        if name == "cold" and args.dump:
            with args.dump.open("w", encoding="utf-8") as f:
                for path, resp in zip(paths, out):
                    f.write(json.dumps({"path": path, "response": resp}, ensure_ascii=False, sort_keys=True) + "\n")
        if prof is not None:
            buf = io.StringIO()
            stats = pstats.Stats(prof, stream=buf).sort_stats(args.sort)
            stats.print_stats(args.top)
            if args.callees:
                stats.print_callees(args.callees)
            texts.append(buf.getvalue())
    print(json.dumps(report, indent=2, ensure_ascii=False))
    for t in texts:
        print(t)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
