"""Incremental updates on a big index: add batches of new articles, update, delete, query.

    python benchmarks/incremental.py --index /path/to/100k-index --data ../shared/data \
        [--batches 50] [--batch-size 1000] [--copy-to /tmp/timtin-incr]

Works on a copy of the index (``--copy-to``).  Each batch adds ``--batch-size`` new articles
(texts from the corpus under new ids), committed at once, then checks they are searchable
and measures dev-query latency.  As ``timtin index`` does, each batch then starts a background
merge of small segments when enough have piled up (unless one is still running); batches do
not wait for it.  At the end it re-indexes changed articles and deletes some.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.models import Article  # noqa: E402
from indexer.search import SearchRequest, search  # noqa: E402
from indexer.store.index import delete_articles, write_articles  # noqa: E402
from indexer.store.merge import merge_in_background  # noqa: E402


def corpus(path: Path, skip: int = 0):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in itertools.islice(f, skip, None):
            d = json.loads(line)
            yield d


def latency(index: Path, queries: list[str]) -> tuple[float, float]:
    times = []
    for q in queries:
        t = time.perf_counter()
        search(SearchRequest(q=q), index)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--batches", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--copy-to", default="/tmp/timtin-incr")
    ap.add_argument("--no-merge", action="store_true", help="never merge (to see what merging buys)")
    args = ap.parse_args()
    data = Path(args.data)
    if not (data / "news-100k.jsonl.gz").exists() or not Path(args.index).exists():
        print("skipped: data or index not found")
        return 0
    work = Path(args.copy_to)
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(args.index, work)
    queries = [q["query"] for q in json.loads((data / "dev-queries.json").read_text())["queries"]][: args.queries]
    latency(work, queries[:20])  # warm up
    p50, p95 = latency(work, queries)
    print(f"before: {p50:.1f} / {p95:.1f} ms p50/p95", flush=True)
    source = corpus(data / "news-100k.jsonl.gz")
    rows = []
    merging = None
    merges = 0
    for b in range(args.batches):
        batch = []
        for d in itertools.islice(source, args.batch_size):
            batch.append(Article(id=f"incr-{b}-{d['id']}", title=d["title"], body=d["body"], lead=d.get("lead", "")))
        t = time.perf_counter()
        stats = write_articles(work, batch, commit_every=10**9)
        took = time.perf_counter() - t
        if not args.no_merge and (merging is None or merging.poll() is not None):
            merging = merge_in_background(work)
            merges += merging is not None
        probe = batch[0]
        found = any(h.id == probe.id for h in search(SearchRequest(q=probe.title, per_page=20), work).hits)
        segments = len(list(work.glob("*.seg")))
        p50, p95 = latency(work, queries)
        busy = merging is not None and merging.poll() is None
        rows.append({"batch": b + 1, "seconds": took, "indexed": stats.indexed, "searchable": found,
                     "segments": segments, "merging": busy, "p50": p50, "p95": p95})
        print(f"batch {b + 1}: {stats.indexed} added in {took:.1f} s, searchable={found}, "
              f"segments={segments}{' (merging)' if busy else ''}, query p50/p95 {p50:.1f}/{p95:.1f} ms",
              flush=True)
    if merging is not None:
        merging.wait()
        p50, p95 = latency(work, queries)
        print(f"after the last merge ({merges} merges in all): segments={len(list(work.glob('*.seg')))}, "
              f"query p50/p95 {p50:.1f}/{p95:.1f} ms", flush=True)
    # re-index changed articles and delete some
    changed = [Article(id=f"incr-0-{i}", title=f"Bài sửa số {i} về giá lúa", body="Nội dung đã sửa.")
               for i in range(0)]
    first = next(iter(corpus(data / "news-100k.jsonl.gz")))
    changed.append(Article(id=first["id"], title="Tiêu đề đã sửa: giá lúa tăng kỷ lục", body=first["body"]))
    t = time.perf_counter()
    stats = write_articles(work, changed)
    hits = search(SearchRequest(q="gia lua tang ky luc"), work).hits
    print(f"update: {stats.updated} replaced in {time.perf_counter() - t:.2f} s, "
          f"first hit {hits[0].id if hits else None}")
    t = time.perf_counter()
    d = delete_articles(work, [first["id"]])
    gone = not any(h.id == first["id"] for h in search(SearchRequest(q="gia lua tang ky luc"), work).hits)
    print(f"delete: {d.deleted} deleted in {time.perf_counter() - t:.2f} s, gone={gone}")
    secs = [r["seconds"] for r in rows]
    if secs:
        print(f"batches: median {statistics.median(secs):.1f} s, max {max(secs):.1f} s; "
              f"final p50/p95 {rows[-1]['p50']:.1f}/{rows[-1]['p95']:.1f} ms")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "incremental.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
