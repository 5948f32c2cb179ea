"""What a full `timtin index` build costs: wall time, CPU time, peak memory of all its processes, size.

    python benchmarks/build_cost.py --data ../shared/data --index /tmp/ix [--procs 2] [--copies 3]

Runs ``timtin index`` on ``news-100k.jsonl.gz`` (``--copies N``: the corpus N times over, each copy
with distinct ids, written to a temporary file first) into an empty ``--index`` folder, and samples
the proportional set size (PSS, /proc/PID/smaps_rollup: shared pages counted once) of the indexer
and every process below it every 0.2 s.  Peak memory is the highest sum of one sample.  Linux only.
Skips cleanly (exit 0) when the data is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = "news-100k.jsonl.gz"


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_mb(root: int) -> float:
    """PSS of ``root`` and all its descendants, in MB."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _pss_kb(pid)
        stack += _children(pid)
    return total / 1024


def copies_file(src: Path, copies: int, dest: Path) -> int:
    """Write ``src`` ``copies`` times into ``dest`` (gzip JSONL), ids suffixed ``~k`` from the second copy."""
    n = 0
    with gzip.open(dest, "wt", encoding="utf-8", compresslevel=1) as out:
        for k in range(copies):
            with gzip.open(src, "rt", encoding="utf-8") as fh:
                for line in fh:
                    if k:
                        rec = json.loads(line)
                        rec["id"] = f"{rec['id']}~{k}"
                        line = json.dumps(rec, ensure_ascii=False) + "\n"
                    out.write(line)
                    n += 1
    return n


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="folder with news-100k.jsonl.gz")
    p.add_argument("--index", type=Path, required=True, help="an empty or absent folder")
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--copies", type=int, default=1)
    p.add_argument("--json-out", type=Path)
    args = p.parse_args(argv)
    src = args.data / CORPUS
    if not src.exists():
        print(f"skip: {src} not found")
        return 0
    if args.index.exists() and any(args.index.iterdir()):
        p.error(f"{args.index} is not empty")
    tmp = None
    if args.copies > 1:
        tmp = Path(tempfile.mkdtemp(prefix="timtin-copies-"))
        started = time.perf_counter()
        count = copies_file(src, args.copies, tmp / f"news-{args.copies}x.jsonl.gz")
        print(f"wrote {count:,} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        src = tmp / f"news-{args.copies}x.jsonl.gz"
    cmd = [sys.executable, "-m", "indexer.cli", "index", str(src), "--index", str(args.index),
           "--procs", str(args.procs), "--quiet"]
    peak = 0.0
    done = threading.Event()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT)

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.2):
            peak = max(peak, tree_pss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    report = {"articles_copies": args.copies, "procs": args.procs, "exit": proc.returncode,
              "wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
              "peak_pss_mb": round(peak), "index_mb": round(dir_mb(args.index), 1),
              "load_avg_1min_at_end": os.getloadavg()[0]}
    print(json.dumps(report, indent=1))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=1) + "\n")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
