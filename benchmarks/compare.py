"""Compare timtin with tantivy, SQLite FTS5 and plain Whoosh on the shared news corpus.

    python benchmarks/compare.py --data ../shared/data [--limit N] [--engines timtin,tantivy,fts5,whoosh-plain]
                                 [--workdir DIR] [--reuse] [--out FILE.json] [--profile-timtin N]

Per engine: build time, docs/s, index size, peak memory (this process and its writer
children, sampled from /proc), then MRR@10 / nDCG@10 / Recall@10 per query kind and query
latency over the judged dev queries.  Prints a side-by-side table and writes it as JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import platform
import pstats
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.baselines import Engine, Ranker, make_engine  # noqa: E402
from indexer.evaluate import load_queries, run_queries, timtin_ranker  # noqa: E402
from indexer.ingest.sources import read_articles  # noqa: E402
from indexer.models import Article  # noqa: E402

DATA_FILE = "news-100k.jsonl.gz"
QUERIES_FILE = "dev-queries.json"
DEFAULT_WORKDIR = Path("/tmp/timtin-bench")
ENGINES = ("timtin", "tantivy", "fts5", "whoosh-plain")
KINDS = ("known-item-accented", "known-item-unaccented", "event")
WARMUP_QUERY = "thời sự hôm nay"  # opens readers, loads pyvi and caches; not timed


# -- corpus -------------------------------------------------------------------------------


def load_articles(path: Path, limit: int | None = None, also: set[str] | None = None) -> tuple[list[Article], int]:
    """The first ``limit`` articles (all when None), plus any later ones whose id is in ``also``.

    Returns the articles and the number of records that could not be read.
    """
    articles: list[Article] = []
    problems = 0
    for rec in read_articles([path]):
        if not isinstance(rec, Article):
            problems += 1
        elif limit is None or len(articles) < limit:
            articles.append(rec)
        elif also and rec.id in also:
            articles.append(rec)
        elif not also:
            break
    return articles, problems


def select_queries(queries: list[dict], ids: set[str]) -> list[dict]:
    """Queries all of whose relevant articles are loaded (so a subset run still measures something)."""
    return [q for q in queries if all(d in ids for d in q["relevant"])]


# -- measurement --------------------------------------------------------------------------


def _status_kb(pid: int | str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kb(pid: int | str) -> int:
    """Proportional set size (shared pages split between processes), falling back to RSS."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return _status_kb(pid, "VmRSS")


def _descendants(pid: int) -> Iterator[int]:
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return
    for task in tasks:
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        for child in children:
            yield child
            yield from _descendants(child)


class PeakMemory:
    """Peak memory (MB) of this process (unless ``include_self`` is false) and its children.

    This process: its kernel high-water mark (``VmHWM``, reset on entry via ``clear_refs``).
    With children (multiprocess writers): PSS of the whole process tree, sampled every 0.2 s.
    """

    def __init__(self, interval: float = 0.2, include_self: bool = True) -> None:
        self.interval = interval
        self.include_self = include_self
        self.baseline_mb = self.peak_mb = 0.0
        self._peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval):
            children = list(_descendants(me))
            if children:
                total = (_pss_kb(me) if self.include_self else 0) + sum(_pss_kb(c) for c in children)
                self._peak_kb = max(self._peak_kb, total)

    def __enter__(self) -> PeakMemory:
        try:
            Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        except OSError:
            pass
        self.baseline_mb = _status_kb("self", "VmRSS") / 1024
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        own = _status_kb("self", "VmHWM") if self.include_self else 0
        self.peak_mb = max(self._peak_kb, own) / 1024
        if not self.include_self:
            self.baseline_mb = 0.0


def dir_size(path: Path) -> int:
    """Bytes in all files under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# -- engines ----------------------------------------------------------------------------


class TimtinEngine:
    """timtin itself: ``write_articles(procs=2)`` and the full search API (with highlighting).

    Given the corpus file (``source``), it builds end to end as a user would, with
    ``timtin index FILE --procs 2`` in a fresh process that reads the file itself; its
    memory is then that process tree's alone.
    """

    name = "timtin"

    def __init__(self, procs: int = 2, commit_every: int = 50_000, source: Path | None = None) -> None:
        self.procs = procs
        self.commit_every = commit_every
        self.source = source
        self.builds_in_subprocess = source is not None

    def build(self, index_dir: Path, articles: Sequence[Article]) -> None:
        if self.source is not None:
            subprocess.run([sys.executable, "-m", "indexer.cli", "index", str(self.source), "--index", str(index_dir),
                            "--procs", str(self.procs), "--commit-every", str(self.commit_every), "-q"],
                           check=True, cwd=Path(__file__).resolve().parents[1])
            return
        from indexer.store.index import write_articles

        write_articles(index_dir, articles, procs=self.procs, commit_every=self.commit_every)

    def ranker(self, index_dir: Path) -> Ranker:
        return timtin_ranker(index_dir)


def get_engine(name: str, tantivy_boosts: dict[str, float] | None = None, source: Path | None = None) -> Engine:
    """The engine called ``name``; timtin builds from ``source`` (the corpus file) when given."""
    return TimtinEngine(source=source) if name == "timtin" else make_engine(name, tantivy_boosts)


def parse_boosts(text: str) -> dict[str, float]:
    """``"title=4,lead=2"`` → ``{"title": 4.0, "lead": 2.0}``."""
    pairs = (item.split("=", 1) for item in text.split(",") if item.strip())
    return {k.strip(): float(v) for k, v in pairs}


def bench_engine(engine: Engine, articles: Sequence[Article], queries: list[dict], workdir: Path, *,
                 reuse: bool = False, queries_on: bool = True, index_dir: Path | None = None) -> dict:
    """Build (or reuse) one engine's index, then score it on ``queries``; a JSON-able result."""
    n = len(articles)
    fingerprint = {"docs": n, "first_id": articles[0].id if articles else "", "last_id": articles[-1].id if n else ""}
    given = index_dir is not None
    index_dir = index_dir or workdir / f"{engine.name}-{n}"
    sidecar = workdir / f"{engine.name}-{n}.build.json"
    result: dict = {"engine": engine.name, "index_dir": str(index_dir), "docs": n}
    saved = _read_json(sidecar) if sidecar.exists() else None
    if given or (reuse and index_dir.exists() and saved and saved.get("fingerprint") == fingerprint):
        result["build"] = (saved or {}).get("build") if not given else None
        result["reused"] = True
        print(f"[{engine.name}] reusing the index in {index_dir}", flush=True)
    else:
        shutil.rmtree(index_dir, ignore_errors=True)
        sidecar.unlink(missing_ok=True)
        print(f"[{engine.name}] indexing {n:,} articles into {index_dir} ...", flush=True)
        with PeakMemory(include_self=not getattr(engine, "builds_in_subprocess", False)) as mem:
            started = time.perf_counter()
            engine.build(index_dir, articles)
            seconds = time.perf_counter() - started
        result["build"] = {"seconds": seconds, "docs_per_s": n / seconds if seconds else 0.0,
                           "peak_rss_mb": mem.peak_mb, "baseline_rss_mb": mem.baseline_mb,
                           "build_mb": mem.peak_mb - mem.baseline_mb,
                           "load_avg_1m_after": os.getloadavg()[0]}
        result["reused"] = False
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        sidecar.write_text(json.dumps({"fingerprint": fingerprint, "build": result["build"]}, indent=1))
        print(f"[{engine.name}] built in {seconds:.1f} s ({n / seconds:,.0f} docs/s), "
              f"peak RSS {mem.peak_mb:,.0f} MB", flush=True)
    size = dir_size(index_dir)
    result["index_bytes"] = size
    result["index_mb"] = size / 2**20
    result["mb_per_1000_docs"] = size / 2**20 / n * 1000 if n else 0.0
    if queries_on and queries:
        ranker = engine.ranker(index_dir)
        ranker(WARMUP_QUERY)
        print(f"[{engine.name}] running {len(queries)} queries ...", flush=True)
        result["quality"] = run_queries(queries, ranker)
        result["quality"]["load_avg_1m_after"] = os.getloadavg()[0]
    return result


def run_isolated(fn: Callable[..., dict], *args: object, **kwargs: object) -> dict:
    """``fn(*args, **kwargs)`` in a forked child, so that one engine's memory and caches do not
    weigh on the next engine's figures; inline where fork is unavailable."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return fn(*args, **kwargs)
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send(fn(*args, **kwargs))
        except BaseException as exc:  # report, then let the parent raise
            send.send({"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})

    proc = ctx.Process(target=child)
    proc.start()
    send.close()
    try:
        result = recv.recv()
    except EOFError:
        result = {"error": "the benchmark child process died"}
    proc.join()
    if "error" in result:
        raise RuntimeError(f"{result['error']}\n{result.get('traceback', '')}")
    return result


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# -- report ------------------------------------------------------------------------------


def machine_info() -> dict:
    """CPU count and model, RAM, OS, library versions and the date."""
    cpu = ""
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), "")
    except OSError:
        pass
    ram_gb = _status_meminfo_kb("MemTotal") / 2**20
    versions = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for mod in ("tantivy", "whoosh", "numpy"):
        try:
            versions[mod] = str(getattr(__import__(mod), "__version__", "?"))
        except ImportError:
            continue
    return {"date": datetime.now().astimezone().isoformat(timespec="seconds"),
            "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu": cpu or platform.processor(), "ram_gb": round(ram_gb, 1), "os": platform.platform(),
            "versions": versions, "load_avg_1m": os.getloadavg()[0]}


def _status_meminfo_kb(key: str) -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _get(r: dict, *path: str) -> float | None:
    cur: object = r
    for key in path:
        if not isinstance(cur, dict) or cur.get(key) is None:
            return None
        cur = cur[key]
    return float(cur) if isinstance(cur, int | float) else None


ROWS: list[tuple[str, tuple[str, ...], str]] = [
    ("known-item accented MRR@10", ("quality", "kinds", "known-item-accented", "mrr"), "{:.3f}"),
    ("known-item unaccented MRR@10", ("quality", "kinds", "known-item-unaccented", "mrr"), "{:.3f}"),
    ("event nDCG@10", ("quality", "kinds", "event", "ndcg"), "{:.3f}"),
    ("R@10 known-item accented", ("quality", "kinds", "known-item-accented", "recall"), "{:.3f}"),
    ("R@10 known-item unaccented", ("quality", "kinds", "known-item-unaccented", "recall"), "{:.3f}"),
    ("R@10 event", ("quality", "kinds", "event", "recall"), "{:.3f}"),
    ("index time (s)", ("build", "seconds"), "{:,.1f}"),
    ("docs/s", ("build", "docs_per_s"), "{:,.0f}"),
    ("index size (MB)", ("index_mb",), "{:,.1f}"),
    ("MB per 1,000 docs", ("mb_per_1000_docs",), "{:.2f}"),
    ("peak RSS (MB)", ("build", "peak_rss_mb"), "{:,.0f}"),
    ("  RSS before build (MB)", ("build", "baseline_rss_mb"), "{:,.0f}"),
    ("  build memory (peak - before)", ("build", "build_mb"), "{:,.0f}"),
    ("query p50 (ms)", ("quality", "latency_ms", "p50"), "{:,.1f}"),
    ("query p95 (ms)", ("quality", "latency_ms", "p95"), "{:,.1f}"),
]
RATIOS: list[tuple[str, tuple[str, ...]]] = [
    ("index time / timtin", ("build", "seconds")),
    ("index size / timtin", ("index_mb",)),
    ("peak RSS / timtin", ("build", "peak_rss_mb")),
    ("build memory / timtin", ("build", "build_mb")),
    ("query p50 / timtin", ("quality", "latency_ms", "p50")),
    ("query p95 / timtin", ("quality", "latency_ms", "p95")),
]


def format_table(results: list[dict], machine: dict, corpus: dict) -> str:
    """Metrics as rows, engines side by side, then ratios to timtin."""
    names = [r["engine"] + ("*" if r.get("reused") else "") for r in results]
    width = max(12, *(len(n) + 2 for n in names))
    label_w = 30
    lines = [f"machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram_gb']} GB RAM, {machine['date']}, "
             f"load {machine['load_avg_1m']:.1f} at start",
             f"corpus: {corpus['docs']:,} articles; queries: "
             + ", ".join(f"{k} {v}" for k, v in corpus["queries_by_kind"].items()),
             "", f"{'':<{label_w}}" + "".join(f"{n:>{width}}" for n in names)]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"{label:<{label_w}}" + "".join(f"{v:>{width}}" for v in values))

    for label, path, fmt in ROWS:
        vals = [_get(r, *path) for r in results]
        if any(v is not None for v in vals):
            row(label, ["-" if v is None else fmt.format(v) for v in vals])
    base = next((r for r in results if r["engine"] == "timtin"), None)
    if base is not None:
        for label, path in RATIOS:
            b = _get(base, *path)
            vals = [_get(r, *path) for r in results]
            if b and any(v is not None for v in vals):
                row(label, ["-" if v is None else f"{v / b:.2f}" for v in vals])
        plain = next((r for r in results if r["engine"] == "whoosh-plain"), None)
        t, p = _get(base, "build", "seconds"), _get(plain or {}, "build", "seconds")
        if t and p:
            lines.append(f"\ntimtin index time = {t / p:.2f} x plain Whoosh (StandardAnalyzer, one process)")
    if any(r.get("reused") for r in results):
        lines.append("* index reused (--reuse / --timtin-index): build figures from the run that built it, if known")
    return "\n".join(lines)


# -- profile -----------------------------------------------------------------------------


GROUPS = ("pyvi", "analysis (excl. pyvi)", "whoosh writing (add_document, field indexing)",
          "commit / merge (add_postings)", "region detection", "other")


def profile_timtin(articles: Sequence[Article], workdir: Path, top: int = 30) -> dict:
    """Index ``articles`` in one process under cProfile; time shares of the main stages."""
    from indexer.analysis import analyze
    from indexer.store.index import write_articles

    index_dir = workdir / f"profile-timtin-{len(articles)}"
    shutil.rmtree(index_dir, ignore_errors=True)
    analyze("Khởi động pyvi trước khi đo.")  # load pyvi's model outside the profile
    prof = cProfile.Profile()
    started, cpu = time.perf_counter(), time.process_time()
    prof.enable()
    write_articles(index_dir, articles, procs=1, commit_every=10**9)
    prof.disable()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    stats = pstats.Stats(prof)
    total = stats.total_tt  # type: ignore[attr-defined]

    def cum(file_suffix: str, names: set[str], combine: Callable[[list[float]], float] = max) -> float:
        vals = [ct for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items()  # type: ignore
                if file.replace("\\", "/").endswith(file_suffix) and name in names]
        return combine(vals) if vals else 0.0

    pyvi = cum("indexer/analysis.py", {"_pyvi_compounds"}, sum)
    # VietnameseTokenizer and PairTokenizer, through Whoosh's tokens or our formats' direct path
    tokenizers = cum("indexer/analysis.py", {"__call__", "term_positions"}, sum)
    adding = cum("whoosh/writing.py", {"update_document", "add_document"})
    commit = cum("whoosh/writing.py", {"commit"})
    regions = cum("indexer/text/regions.py", {"detect_regions"})
    parts = {GROUPS[0]: pyvi, GROUPS[1]: max(tokenizers - pyvi, 0.0), GROUPS[2]: max(adding - tokenizers, 0.0),
             GROUPS[3]: commit, GROUPS[4]: regions}
    parts[GROUPS[5]] = max(total - sum(parts.values()), 0.0)
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(top)
    return {"docs": len(articles), "wall_seconds": wall, "cpu_seconds": cpu, "profiled_seconds": total,
            "docs_per_s": len(articles) / wall if wall else 0.0,
            "groups": {k: {"seconds": v, "share": v / total if total else 0.0} for k, v in parts.items()},
            "top_cumulative": out.getvalue()}


def format_profile(prof: dict) -> str:
    lines = [prof["top_cumulative"].rstrip(), "",
             f"timtin indexing under cProfile: {prof['docs']:,} articles, one process, {prof['wall_seconds']:.1f} s "
             f"wall, {prof['cpu_seconds']:.1f} s CPU ({prof['docs_per_s']:.0f} docs/s with profiler overhead)"]
    for name, g in prof["groups"].items():
        lines.append(f"  {name:<48}{g['seconds']:>9.1f} s {g['share']:>7.1%}")
    return "\n".join(lines)


# -- command line ------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=Path("../shared/data"), help="folder with the corpus and queries")
    p.add_argument("--limit", type=int, help="use only the first N articles (and queries judged within them)")
    p.add_argument("--include-judged", action="store_true",
                   help="with --limit: also load every judged article, so all queries are scored")
    p.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated subset of {','.join(ENGINES)}")
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="where indexes are built")
    p.add_argument("--reuse", action="store_true", help="reuse indexes this script built earlier in --workdir")
    p.add_argument("--timtin-index", type=Path, help="query this existing timtin index instead of building one")
    p.add_argument("--tantivy-boosts", type=parse_boosts, default=parse_boosts("title=4,lead=2"),
                   help="tantivy field boosts (default title=4,lead=2: reproduces the reference figures)")
    p.add_argument("--whoosh-queries", action="store_true", help="also run the queries on plain Whoosh (~1 s each)")
    p.add_argument("--merge", type=Path, nargs="*", default=[],
                   help="earlier --out JSON files: add their engines (same corpus size) to the table")
    p.add_argument("--profile-timtin", type=int, metavar="N",
                   help="only profile timtin indexing of N articles (one process, cProfile)")
    p.add_argument("--out", type=Path, help="JSON results (default benchmarks/out/compare-<date>.json)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data_file, queries_file = args.data / DATA_FILE, args.data / QUERIES_FILE
    for f in (data_file, queries_file):
        if not f.is_file():
            print(f"skipped: {f} not found (point --data at the shared data folder)")
            return 0
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        print(f"unknown engine(s): {', '.join(unknown)}; choose from {', '.join(ENGINES)}", file=sys.stderr)
        return 2
    machine = machine_info()
    if machine["load_avg_1m"] > 0.5 * (machine["nproc"] or 1):
        print(f"warning: the machine is busy (1-minute load {machine['load_avg_1m']:.1f} on {machine['nproc']} CPUs): "
              "timings will be contended", flush=True)
    out = args.out or Path(__file__).resolve().parent / "out" / f"compare-{datetime.now():%Y%m%d-%H%M%S}.json"
    all_queries = load_queries(queries_file)
    judged = {d for q in all_queries for d in q["relevant"]} if args.include_judged else None
    limit = args.profile_timtin if args.profile_timtin else args.limit
    started = time.perf_counter()
    articles, problems = load_articles(data_file, limit, judged)
    print(f"loaded {len(articles):,} articles in {time.perf_counter() - started:.1f} s"
          + (f" ({problems} unreadable records skipped)" if problems else ""), flush=True)
    args.workdir.mkdir(parents=True, exist_ok=True)

    if args.profile_timtin:
        prof = profile_timtin(articles, args.workdir)
        print(format_profile(prof))
        _write_out(out, {"machine": machine, "profile_timtin": prof})
        return 0

    queries = select_queries(all_queries, {a.id for a in articles}) if args.limit else all_queries
    if args.timtin_index and "timtin" in engines:
        from indexer.store.index import document_count

        if (count := document_count(args.timtin_index)) != len(articles):
            print(f"warning: {args.timtin_index} holds {count:,} articles, not the {len(articles):,} loaded")
    by_kind = {k: sum(1 for q in queries if q["kind"] == k) for k in KINDS}
    corpus = {"docs": len(articles), "limit": args.limit, "queries": len(queries), "queries_by_kind": by_kind}
    results: list[dict] = []
    for name in engines:
        try:
            engine = get_engine(name, args.tantivy_boosts, source=None if args.limit else data_file)
        except ImportError as exc:
            print(f"[{name}] skipped: {exc}", flush=True)
            continue
        results.append(run_isolated(
            bench_engine, engine, articles, queries, args.workdir, reuse=args.reuse,
            queries_on=name != "whoosh-plain" or args.whoosh_queries,
            index_dir=args.timtin_index if name == "timtin" else None))
    for path in args.merge:
        earlier = _read_json(path) or {}
        for r in earlier.get("engines", []):
            if r["engine"] in {x["engine"] for x in results}:
                continue
            if r.get("docs") != len(articles):
                print(f"--merge: {path}: {r['engine']} was measured on {r.get('docs')} docs, not {len(articles)}")
                continue
            results.append({**r, "merged_from": str(path)})
    print()
    print(format_table(results, machine, corpus))
    boosts = " ".join(f"{k}^{v:g}" for k, v in args.tantivy_boosts.items())
    notes = {"tantivy": f"simple tokenizer + lowercase + ascii_fold (folds đ→d too); {boosts}; 2 writer threads",
             "fts5": "unicode61 remove_diacritics 2 keeps đ, so đ/Đ→d/D is applied to indexed and query text; "
                     "OR of quoted words, bm25 weights title 4, lead 2, body 1",
             "whoosh-plain": "stock Whoosh (timtin's patches uninstalled), StandardAnalyzer() (no accent folding), "
                             "one process, limitmb=512",
             "timtin": ("`timtin index FILE --procs 2 --commit-every 50000` in a fresh process (with --limit: "
                        "write_articles in-process); full search API with highlighting"),
             "latency": f"after one untimed warm-up query ({WARMUP_QUERY!r})"}
    _write_out(out, {"machine": machine, "corpus": corpus, "args": {k: str(v) for k, v in vars(args).items()},
                     "notes": notes, "engines": results})
    return 0


def _write_out(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\nresults written to {path}")


if __name__ == "__main__":
    sys.exit(main())
