"""Dev figures beside those of our own validation set, and the gap, for ranking variants (issue 16).

The validation set comes from ``benchmarks/validation_set.py`` (queries carry ``part`` "choose" or
"report").  Each variant is a set of ``Ranking`` overrides; choose on the "choose" part, report the
"report" part and the gap between it and dev (report − dev).  ``--extra FILE`` scores another query file
with ``part`` (e.g. ``benchmarks/validation-events.json``, hand-named event queries) beside them, as rows
``choose:STEM`` and ``report:STEM``; a kind a set lacks is printed as "-".

    python benchmarks/generalisation.py --index IDX --dev ../shared/data/dev-queries.json \
        --validation /tmp/validation.json [--extra benchmarks/validation-events.json] \
        [--variant title_shorter=0] [--variant beside_place=0 ...]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.evaluate import load_queries, run_queries, timtin_ranker  # noqa: E402
from indexer.search import Ranking  # noqa: E402

KINDS = (("known-item-accented", "mrr"), ("known-item-unaccented", "mrr"), ("event", "ndcg"), ("event", "mrr"))
SPLITS = ("choose", "report")


def figures(report: dict) -> list[float | None]:
    """The KINDS figures of a ``run_queries`` report; None for a kind the set has no query of."""
    return [report["kinds"][kind][metric] if kind in report["kinds"] else None for kind, metric in KINDS]


def query_sets(dev: str, validation: str, extra: list[str], parts: list[str]) -> dict[str, list[dict]]:
    """The query sets to score, by row name: dev, the validation parts, and PART:STEM for each extra file."""
    val = load_queries(validation)
    sets = {"dev": load_queries(dev), **{p: [q for q in val if q.get("part") == p] for p in SPLITS}}
    for path in extra:
        queries = load_queries(path)
        sets.update({f"{p}:{Path(path).stem}": [q for q in queries if q.get("part") == p] for p in SPLITS})
    return {name: qs for name, qs in sets.items() if name.split(":")[0] in parts}


def cells(values: list[float | None], fmt: str) -> str:
    return "".join(f"{'-':>10}" if v is None else f"{v:{fmt}}" for v in values)


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
    ap.add_argument("--extra", action="append", default=[], help="another query file with 'part', scored beside")
    ap.add_argument("--parts", default="dev,choose,report")
    args = ap.parse_args()
    sets = query_sets(args.dev, args.validation, args.extra, args.parts.split(","))
    run_queries(load_queries(args.dev)[:30], timtin_ranker(args.index, Ranking(), highlight=False))  # warm caches
    w = max([8, *(len(name) + 1 for name in sets)])
    print(f"{'variant':<36}{'set':<{w}}{'acc MRR':>10}{'unacc MRR':>10}{'ev nDCG':>10}{'ev MRR':>10}"
          f"{'p50':>7}{'p95':>7}")
    for variant in args.variant or [""]:
        rank = parse_variant(variant)
        got = {}
        for name, queries in sets.items():
            rep = run_queries(queries, timtin_ranker(args.index, rank, highlight=False))
            got[name] = figures(rep)
            lat = rep["latency_ms"]
            print(f"{variant or 'defaults':<36}{name:<{w}}" + cells(got[name], ">10.3f")
                  + f"{lat['p50']:>7.1f}{lat['p95']:>7.1f}", flush=True)
        if "dev" in got and "report" in got:
            gap = [None if d is None or r is None else r - d for d, r in zip(got["dev"], got["report"])]
            print(f"{'':<36}{'gap':<{w}}" + cells(gap, ">+10.3f"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
