"""Latency and build cost of autocomplete (``indexer.assist.suggest``) on the 100k corpus.

Builds a Suggester from the corpus titles (the same ``Suggester.build`` the index uses) and
times ``complete`` on 1000 prefixes cut from dev queries and headlines (with and without
diacritics, partial last words).

    python benchmarks/suggest_bench.py --data ../shared/data [--prefixes 1000] [--index DIR]

With ``--index`` (an index of the corpus), the same prefixes are also sent as ``GET /suggest`` to the
web app (Flask's test client, in this process: the route's own cost, no network).
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.analysis import fold_text  # noqa: E402
from indexer.assist.suggest import Suggester  # noqa: E402

CORPUS = "news-100k.jsonl.gz"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else 0.0


def prefixes(queries: list[str], titles: list[str], n: int, rng: random.Random) -> list[str]:
    """Prefixes as typed: 1-6 words, often cut inside the last word, 40% without diacritics."""
    out: list[str] = []
    sources = [q for q in queries if q.strip()] + titles
    while len(out) < n and sources:
        text = rng.choice(sources)
        words = text.lower().split()
        if not words:
            continue
        k = rng.randint(1, min(6, len(words)))
        prefix = " ".join(words[:k])
        if rng.random() < 0.5:  # still typing the last word
            prefix = prefix[: rng.randint(max(1, len(prefix) - 3), len(prefix))]
        elif rng.random() < 0.3:
            prefix += " "
        if rng.random() < 0.4:
            prefix = fold_text(prefix) + (" " if prefix.endswith(" ") else "")
        out.append(prefix)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--prefixes", type=int, default=1000)
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--show", type=int, default=5, help="print completions of N sample prefixes")
    ap.add_argument("--index", help="also time GET /suggest of the web app on this index")
    args = ap.parse_args(argv)

    path = Path(args.data) / CORPUS
    if not path.exists():
        print(f"skipped: {path} not found")
        return 0
    items: list[tuple[str, str | None, str]] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            items.append((rec["title"], rec.get("published"), rec["id"]))
    queries: list[str] = []
    qpath = Path(args.data) / "dev-queries.json"
    if qpath.exists():
        queries = [q["query"] for q in json.loads(qpath.read_text(encoding="utf-8"))["queries"]]

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    sug = Suggester.build(items)
    build_s = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = len(pickle.dumps({"phrases": sug.phrases, "titles": sug.titles}, protocol=pickle.HIGHEST_PROTOCOL))
    t0 = time.perf_counter()
    Suggester(sug.phrases, sug.titles)
    load_s = time.perf_counter() - t0
    print(f"titles: {len(items):,}; phrases: {len(sug.phrases):,}; recent titles: {len(sug.titles):,}")
    print(f"build: {build_s:.1f} s (tables alone {load_s:.1f} s); max RSS {rss0 / 1024:.0f} → {rss / 1024:.0f} MiB; "
          f"saved size {size / 2**20:.1f} MiB")

    rng = random.Random(args.seed)
    sample = prefixes(queries, [t for t, _, _ in items], args.prefixes, rng)
    for p in sample[:50]:  # warm-up
        sug.complete(p, args.limit)
    times: list[float] = []
    empty = 0
    for p in sample:
        t = time.perf_counter()
        got = sug.complete(p, args.limit)
        times.append((time.perf_counter() - t) * 1000)
        empty += not got
    print(f"complete() over {len(sample)} prefixes: p50 {statistics.median(times):.2f} ms, "
          f"p95 {pct(times, 0.95):.2f} ms, max {max(times):.2f} ms; {empty} with no completion")
    for p in ["dai hoi d", "bao lu mien", "đại hội đ", "ha n", "thu tuong", "x" * 10_000]:
        t = time.perf_counter()
        got = sug.complete(p, args.limit)
        ms = (time.perf_counter() - t) * 1000
        print(f"  {p[:30]!r} ({ms:.2f} ms): " + " | ".join(f"{d['text'][:60]} [{d['kind']}]" for d in got[:6]))
    for p in sample[: args.show]:
        print(f"  {p!r}: " + " | ".join(d["text"][:60] for d in sug.complete(p, args.limit)[:5]))
    if args.index:
        web_latency(args.index, sample)
    return 0


def web_latency(index_dir: str, sample: list[str], ready_seconds: float = 300.0) -> None:
    """Time ``GET /suggest`` for every prefix of ``sample``, once the app's model is loaded."""
    from webapp import create_app

    client = create_app(index_dir).test_client()
    deadline = time.monotonic() + ready_seconds
    while client.get("/suggest", query_string={"q": "dai hoi d"}).get_json().get("suggestions") == []:
        if time.monotonic() > deadline:  # the model never loaded: say so rather than time the fallback
            print("GET /suggest: the suggestion model did not load")
            return
        time.sleep(1)
    times: list[float] = []
    for p in sample:
        t = time.perf_counter()
        status = client.get("/suggest", query_string={"q": p}).status_code
        times.append((time.perf_counter() - t) * 1000)
        if status != 200:
            print(f"GET /suggest?q={p!r}: HTTP {status}")
    print(f"GET /suggest over {len(sample)} prefixes: p50 {statistics.median(times):.2f} ms, "
          f"p95 {pct(times, 0.95):.2f} ms, max {max(times):.2f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
