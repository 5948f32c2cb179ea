"""Tune ranking weights on judged queries by coordinate ascent (never on single queries).

    python benchmarks/tune.py --index var/index100k --queries ../shared/data/dev-queries.json \
        [--params title,lead,pairs] [--rounds 2] [--set exact=0.6 ...]

The objective is the progress towards each target (known-item MRR@10 0.90 accented and
unaccented, event nDCG@10 0.83), capped at the target, plus a tenth of their plain mean.
Highlighting is off while tuning (it does not change the ranking).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.evaluate import load_queries, run_queries, timtin_ranker  # noqa: E402
from indexer.search import Ranking  # noqa: E402

TARGETS = {("known-item-accented", "mrr"): 0.90, ("known-item-unaccented", "mrr"): 0.90, ("event", "ndcg"): 0.83}


def objective(report: dict) -> float:
    """Progress towards each target (capped at the target), plus a little of the plain mean."""
    k = report["kinds"]
    values = [(k[kind][metric], target) for (kind, metric), target in TARGETS.items() if kind in k]
    if not values:
        return 0.0
    return sum(min(1.0, v / t) for v, t in values) / len(values) + 0.1 * sum(v for v, _ in values) / len(values)


def summary(report: dict) -> str:
    k = report["kinds"]
    return (f"acc {k.get('known-item-accented', {}).get('mrr', 0):.3f} "
            f"unacc {k.get('known-item-unaccented', {}).get('mrr', 0):.3f} "
            f"event {k.get('event', {}).get('ndcg', 0):.3f} "
            f"p50 {report['latency_ms']['p50']:.1f} p95 {report['latency_ms']['p95']:.1f}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--params", default="")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--set", nargs="*", default=[])
    args = ap.parse_args()
    if not Path(args.queries).exists():
        print(f"skipped: {args.queries} not found")
        return 0
    queries = load_queries(args.queries)
    rank = Ranking()
    for kv in args.set:
        name, value = kv.split("=")
        rank = replace(rank, **{name: type(getattr(rank, name))(float(value))})

    def score(r: Ranking) -> tuple[float, dict]:
        rep = run_queries(queries, timtin_ranker(args.index, r, highlight=False))
        return objective(rep), rep

    run_queries(queries[:50], timtin_ranker(args.index, rank, highlight=False))  # warm caches
    best, rep = score(rank)
    print(f"start {best:.4f} {summary(rep)} {rank}", flush=True)
    names = [n for n in args.params.split(",") if n] or []
    valid = {f.name for f in fields(Ranking)}
    for _ in range(args.rounds):
        for name in names:
            assert name in valid, name
            cur = getattr(rank, name)
            for factor in (0.0, 0.5, 0.75, 1.33, 2.0):
                value = type(cur)(cur * factor if cur else factor * 4)
                cand = replace(rank, **{name: value})
                s, rep = score(cand)
                print(f"  {name}={value:.3g}: {s:.4f} {summary(rep)}", flush=True)
                if s > best + 1e-4:
                    best, rank = s, cand
            print(f"{name} -> {getattr(rank, name):.3g} ({best:.4f})", flush=True)
    print(f"best {best:.4f} {rank}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
