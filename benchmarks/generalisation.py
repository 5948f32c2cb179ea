"""Dev figures beside those of our own validation set, and the gap, for ranking variants (issue 16).

The validation set comes from ``benchmarks/validation_set.py`` (queries carry ``part`` "choose" or
"report").  Each variant is a set of ``Ranking`` overrides; choose on the "choose" part, report the
"report" part and the gap between it and dev (report − dev).

    python benchmarks/generalisation.py --index IDX --dev ../shared/data/dev-queries.json \
        --validation /tmp/validation.json [--variant title_shorter=0] [--variant beside_place=0 ...]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.evaluate import load_queries, run_queries, timtin_ranker  # noqa: E402
from indexer.search import Ranking  # noqa: E402

KINDS = (("known-item-accented", "mrr"), ("known-item-unaccented", "mrr"), ("event", "ndcg"))


def figures(report: dict) -> list[float]:
    return [report["kinds"].get(kind, {}).get(metric, 0.0) for kind, metric in KINDS]


def parse_variant(text: str) -> Ranking:
    rank = Ranking()
    for kv in filter(None, text.split(",")):
        name, value = kv.split("=")
        rank = replace(rank, **{name: type(getattr(rank, name))(float(value))})
    return rank


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--dev", required=True)
    ap.add_argument("--validation", required=True)
    ap.add_argument("--variant", action="append", default=[], help="NAME=VALUE[,NAME=VALUE]; '' = defaults")
    ap.add_argument("--parts", default="dev,choose,report")
    args = ap.parse_args()
    val = load_queries(args.validation)
    sets = {"dev": load_queries(args.dev), "choose": [q for q in val if q.get("part") == "choose"],
            "report": [q for q in val if q.get("part") == "report"]}
    parts = args.parts.split(",")
    run_queries(sets["dev"][:30], timtin_ranker(args.index, Ranking(), highlight=False))  # warm caches
    print(f"{'variant':<36}{'set':<8}{'acc MRR':>9}{'unacc MRR':>10}{'event nDCG':>11}{'p50':>7}{'p95':>7}")
    for variant in args.variant or [""]:
        rank = parse_variant(variant)
        got = {}
        for part in parts:
            rep = run_queries(sets[part], timtin_ranker(args.index, rank, highlight=False))
            got[part] = figures(rep)
            lat = rep["latency_ms"]
            print(f"{variant or 'defaults':<36}{part:<8}" + "".join(f"{v:>10.3f}" for v in got[part])
                  + f"{lat['p50']:>7.1f}{lat['p95']:>7.1f}", flush=True)
        if "dev" in got and "report" in got:
            print(f"{'':<36}{'gap':<8}" + "".join(f"{r - d:>+10.3f}" for d, r in zip(got["dev"], got["report"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
