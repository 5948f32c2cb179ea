"""A sharded index against the single index of the same corpus, on the judged dev queries.

Prints the share of queries whose top-10 ids (and order) agree, the queries that differ, both
quality tables (MRR@10, nDCG@10, R@10 per kind) and their overall differences, and the latency of
each in this one run (the sharded index searched in one process, every shard in turn).

    python benchmarks/shard_equality.py --data ../shared/data --single IX --sharded IX4 [--max-queries N]

``compare(...)`` returns the figures as a dict (``benchmarks/cluster.py`` reuses it with its own
rankers).  Exit status 1 when agreement is below --min-agreement (default 0.99) or a metric differs
by more than --tolerance (default 0.002).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.evaluate import K, format_report, load_queries, run_queries, timtin_ranker  # noqa: E402

QUERIES = "dev-queries.json"
Ranker = Callable[[str], list[str]]


def _recording(ranker: Ranker, out: dict[str, list[str]]) -> Ranker:
    def rank_fn(text: str) -> list[str]:
        got = ranker(text)
        out[text] = list(got[:K])
        return got
    return rank_fn


def overall(report: dict) -> dict[str, float]:
    """Query-weighted MRR@10, nDCG@10 and R@10 over every kind."""
    n = sum(m["n"] for m in report["kinds"].values())
    return {k: sum(m[k] * m["n"] for m in report["kinds"].values()) / max(n, 1) for k in ("mrr", "ndcg", "recall")}


def compare(queries: list[dict], single: Ranker, sharded: Ranker) -> dict:
    """Agreement of top-10 ids and both quality reports (the single ranker runs first)."""
    got_single: dict[str, list[str]] = {}
    got_sharded: dict[str, list[str]] = {}
    rep_single = run_queries(queries, _recording(single, got_single))
    rep_sharded = run_queries(queries, _recording(sharded, got_sharded))
    texts = [q["query"] for q in queries]
    same = [t for t in texts if got_single[t] == got_sharded[t]]
    same_set = [t for t in texts if set(got_single[t]) == set(got_sharded[t])]
    differ = [{"query": t, "single": got_single[t], "sharded": got_sharded[t]} for t in texts
              if got_single[t] != got_sharded[t]]
    a, b = overall(rep_single), overall(rep_sharded)
    return {"queries": len(texts), "same_order": len(same) / max(len(texts), 1),
            "same_set": len(same_set) / max(len(texts), 1), "differ": differ,
            "single": rep_single, "sharded": rep_sharded, "overall_single": a, "overall_sharded": b,
            "max_metric_diff": max(abs(a[k] - b[k]) for k in ("mrr", "ndcg"))}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="folder with dev-queries.json")
    p.add_argument("--single", required=True, help="the single index")
    p.add_argument("--sharded", required=True, help="the sharded index of the same corpus")
    p.add_argument("--max-queries", type=int, default=None)
    p.add_argument("--min-agreement", type=float, default=0.99)
    p.add_argument("--tolerance", type=float, default=0.002)
    p.add_argument("--json", action="store_true", help="print the figures as JSON instead of tables")
    p.add_argument("--json-out", type=Path, default=None, help="also write the figures as JSON to this file")
    args = p.parse_args(argv)
    queries = load_queries(Path(args.data) / QUERIES)[: args.max_queries]
    res = compare(queries, timtin_ranker(args.single), timtin_ranker(args.sharded))
    if args.json_out:
        args.json_out.write_text(json.dumps(res, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.json:
        json.dump(res, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(f"{res['queries']} queries: same top-{K} ids in the same order {res['same_order']:.1%}, "
              f"same set {res['same_set']:.1%}")
        for d in res["differ"][:10]:
            print(f"  differs: {d['query']!r}\n    single  {d['single']}\n    sharded {d['sharded']}")
        print(f"\nsingle index ({args.single}):\n{format_report(res['single'])}")
        print(f"\nsharded index ({args.sharded}, one process):\n{format_report(res['sharded'])}")
        a, b = res["overall_single"], res["overall_sharded"]
        print("\noverall   " + "   ".join(f"{k} {a[k]:.4f} / {b[k]:.4f} (diff {b[k] - a[k]:+.4f})"
                                          for k in ("mrr", "ndcg", "recall")))
    ok = res["same_order"] >= args.min_agreement and res["max_metric_diff"] <= args.tolerance
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
