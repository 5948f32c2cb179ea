"""A 4-shard index on a 2-node local Ray cluster against the single index, in one run.

    python benchmarks/cluster.py --data ../shared/data [--single /tmp/tb/base-100k] [--articles N]

1. starts a local cluster (``tests/ray_cluster.py``: a head and a worker node, 1 CPU each, in a
   private loopback-only network namespace);
2. builds a 4-shard index of the corpus with ``timtin index --cluster`` (build time; with
   ``--build-baseline`` also a single index of the same articles in one process, 2 writer
   processes, for the ratio);
3. in one driver process inside the cluster: the dev queries on the single index (in-process)
   and on the cluster (``ClusterSearch``, 1 replica per shard): agreement of the top 10 and
   MRR@10 / nDCG@10 (``benchmarks/shard_equality.compare``), p50/p95 per query, and throughput at
   concurrency 4 for both;
4. memory per node (PSS of every process of the node, the searcher actors included) after the queries.

Skips (exit 0) when the corpus or the single index is missing, or no cluster can be started here.
The machine is shared: read the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CORPUS = "news-100k.jsonl.gz"
QUERIES = "dev-queries.json"


def _pss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def node_memory(cluster) -> dict[str, float]:
    """PSS (MB) of every live process of each node: ``ray start``, raylet, agents, workers, actors."""
    from tests.ray_cluster import _descendants

    return {n.name: round(_pss_mb([n.proc.pid, *_descendants(n.proc.pid)]), 1) for n in cluster.nodes if n.alive}


def subset(corpus: Path, out: Path, articles: int | None) -> int:
    """The first ``articles`` lines of the corpus as a .jsonl file (all of them by default)."""
    n = 0
    with gzip.open(corpus, "rt", encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for line in src:
            if articles is not None and n >= articles:
                break
            dst.write(line)
            n += 1
    return n


INDEXER = r'''
import json, sys
sys.path.insert(0, {repo!r})
from indexer.cluster.indexing import index_on_cluster
from indexer.cluster.runtime import connect
from indexer.ingest.sources import read_articles

args = json.loads(sys.argv[1])
connect(args["address"])
stats = index_on_cluster(args["index"], read_articles([args["source"]]), shards=args["shards"], mode=args["mode"])
print("timtin: " + stats.summary(), file=sys.stderr)
'''

DRIVER = r'''
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, {repo!r})
from benchmarks.shard_equality import compare
from indexer.cluster.runtime import connect
from indexer.cluster.serving import ClusterSearch
from indexer.evaluate import K, load_queries, timtin_ranker
from indexer.search import SearchRequest

args = json.loads(sys.argv[1])
queries = load_queries(args["queries"])[: args["max_queries"]]
connect(args["address"])
started = time.perf_counter()
cs = ClusterSearch(args["sharded"], replicas=1)
cs.wait_ready()
ready_s = time.perf_counter() - started

def cluster_rank(text):
    return [h.id for h in cs.search(SearchRequest(q=text, per_page=K)).hits]

single_rank = timtin_ranker(args["single"])
for q in queries[:20]:  # warm both (first-touch of postings)
    single_rank(q["query"]); cluster_rank(q["query"])
res = compare(queries, single_rank, cluster_rank)

def throughput(rank, seconds):
    texts = [q["query"] for q in queries]
    done, start = 0, time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        while time.perf_counter() - start < seconds:
            list(pool.map(rank, texts[done % len(texts):][:40]))
            done += 40
    return done / (time.perf_counter() - start)

out = {{"actors_ready_s": round(ready_s, 1), "queries": res["queries"], "same_order": res["same_order"],
       "same_set": res["same_set"], "max_metric_diff": res["max_metric_diff"],
       "overall_single": res["overall_single"], "overall_cluster": res["overall_sharded"],
       "latency_single": res["single"]["latency_ms"], "latency_cluster": res["sharded"]["latency_ms"],
       "qps_single_c4": round(throughput(single_rank, args["seconds"]), 1),
       "qps_cluster_c4": round(throughput(cluster_rank, args["seconds"]), 1),
       "differ": res["differ"][:5]}}
print("RESULT " + json.dumps(out))
'''


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help=f"folder with {CORPUS} and {QUERIES}")
    p.add_argument("--single", default="/tmp/tb/base-100k", help="single index of the same corpus (read only)")
    p.add_argument("--articles", type=int, default=None, help="index only the first N articles (default: all)")
    p.add_argument("--shards", type=int, default=4)
    p.add_argument("--work", default="/tmp/timtin-cluster-bench", help="scratch folder (emptied first)")
    p.add_argument("--max-queries", type=int, default=None)
    p.add_argument("--seconds", type=float, default=20.0, help="throughput run length, each")
    p.add_argument("--build-baseline", action="store_true",
                   help="also build a single index of the same articles here (build-time ratio)")
    p.add_argument("--build-only", action="store_true", help="stop after the cluster build (no queries)")
    p.add_argument("--mode", default="segments", choices=("segments", "articles"),
                   help="what analysis tasks send the writer actors (see indexer.cluster.indexing)")
    args = p.parse_args(argv)

    data = Path(args.data)
    if not (data / CORPUS).exists() or not (data / QUERIES).exists():
        print(f"skipped: {data / CORPUS} or {data / QUERIES} not found")
        return 0
    if not Path(args.single).exists() and args.articles is None:
        print(f"skipped: no single index at {args.single}")
        return 0
    from tests.ray_cluster import LocalRayCluster, cluster_unavailable_reason

    reason = cluster_unavailable_reason()
    if reason:
        print(f"skipped: {reason}")
        return 0

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = work / "articles.jsonl"
    n = subset(data / CORPUS, source, args.articles)
    report: dict = {"articles": n, "shards": args.shards, "nodes": 2, "cpus_per_node": 1, "mode": args.mode}
    single = Path(args.single)
    if args.build_baseline or (args.articles is not None and not args.build_only):
        from indexer.ingest.sources import read_articles
        from indexer.store.index import write_articles

        single = work / "single"
        started = time.perf_counter()
        write_articles(single, read_articles([str(source)]), procs=2)
        report["build_single_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    with LocalRayCluster(workers=1, cpus=1, object_store_mb=200) as cluster:
        report["cluster_start_s"] = round(time.perf_counter() - started, 1)
        sharded = work / "sharded"
        index_cmd = [sys.executable, "-c", INDEXER.format(repo=str(REPO)), json.dumps(
            {"address": cluster.address, "index": str(sharded), "source": str(source), "shards": args.shards,
             "mode": args.mode})]
        started = time.perf_counter()
        done = cluster.run(index_cmd, timeout=3600, cwd=str(REPO))
        report["build_cluster_s"] = round(time.perf_counter() - started, 1)
        report["build_cluster_out"] = done.stderr.strip().splitlines()[-1:] if done.stderr else []
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        report["memory_after_build_mb"] = node_memory(cluster)
        if args.build_only:
            print(json.dumps(report, ensure_ascii=False, indent=2))
            return 0
        driver_args = {"address": cluster.address, "sharded": str(sharded), "single": str(single),
                       "queries": str(data / QUERIES), "max_queries": args.max_queries, "seconds": args.seconds}
        run = cluster.run([sys.executable, "-c", DRIVER.format(repo=str(REPO)), json.dumps(driver_args)],
                          timeout=3600, cwd=str(REPO))
        lines = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")]
        if not lines:
            print(run.stderr[-3000:], file=sys.stderr)
            return 1
        report.update(json.loads(lines[-1][len("RESULT "):]))
        report["memory_after_queries_mb"] = node_memory(cluster)
    report["disk_sharded_mb"] = round(sum(f.stat().st_size for f in sharded.rglob("*") if f.is_file()) / 2**20, 1)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
