"""Ranking quality on judged queries: MRR@10, nDCG@10 and Recall@10 per query kind."""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from indexer.search import Ranking, SearchRequest, search

K = 10


def load_queries(path: str | Path) -> list[dict]:
    """Queries as in dev-queries.json: ``{"queries": [{qid, kind, query, relevant}]}``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["queries"] if isinstance(data, dict) else data


def metrics(ranked: Sequence[str], relevant: dict[str, float], k: int = K) -> dict[str, float]:
    """Reciprocal rank, nDCG and recall at ``k`` for one query."""
    top = list(ranked[:k])
    rr = next((1.0 / (i + 1) for i, d in enumerate(top) if relevant.get(d, 0) > 0), 0.0)
    dcg = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(top))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    found = sum(1 for d in top if relevant.get(d, 0) > 0)
    return {"mrr": rr, "ndcg": dcg / idcg if idcg else 0.0,
            "recall": found / len([g for g in relevant.values() if g > 0]) if relevant else 0.0}


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def run_queries(queries: list[dict], ranker: Callable[[str], list[str]]) -> dict:
    """Score ``ranker`` (query text → ranked ids) on ``queries``; latency in milliseconds."""
    per_kind: dict[str, list[dict[str, float]]] = defaultdict(list)
    latencies: list[float] = []
    for q in queries:
        started = time.perf_counter()
        ranked = ranker(q["query"])
        latencies.append((time.perf_counter() - started) * 1000)
        per_kind[q["kind"]].append(metrics(ranked, q["relevant"]))
    report: dict = {"queries": len(queries), "kinds": {}}
    for kind, rows in sorted(per_kind.items()):
        report["kinds"][kind] = {m: sum(r[m] for r in rows) / len(rows) for m in ("mrr", "ndcg", "recall")}
        report["kinds"][kind]["n"] = len(rows)
    report["latency_ms"] = {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95),
                            "p99": _percentile(latencies, 99), "mean": sum(latencies) / max(len(latencies), 1)}
    return report


def timtin_ranker(index_dir: str | Path, rank: Ranking | None = None,
                  highlight: bool = True) -> Callable[[str], list[str]]:
    """Top-10 ids through the full search API (filters, facets and highlighting included)."""
    def rank_fn(text: str) -> list[str]:
        # every article as judged: collapsed, a judged article could be shown as its identical copy
        req = SearchRequest(q=text, per_page=K, highlight=highlight, collapse=False)
        return [h.id for h in search(req, index_dir, rank).hits]
    return rank_fn


def evaluate(queries_path: str | Path, index_dir: str | Path, limit: int | None = None,
             rank: Ranking | None = None, passes: int = 1) -> dict:
    """Metrics and latency; with ``passes`` > 1 the latency is that of the last (warm) pass."""
    queries = load_queries(queries_path)[:limit]
    report = {}
    for _ in range(max(1, passes)):
        report = run_queries(queries, timtin_ranker(index_dir, rank))
    report["passes"] = max(1, passes)
    return report


def format_report(report: dict) -> str:
    lines = [f"{'kind':<24}{'n':>5}{'MRR@10':>9}{'nDCG@10':>9}{'R@10':>8}"]
    for kind, m in report["kinds"].items():
        lines.append(f"{kind:<24}{m['n']:>5}{m['mrr']:>9.3f}{m['ndcg']:>9.3f}{m['recall']:>8.3f}")
    lat = report["latency_ms"]
    warm = f" (warm: last of {report['passes']} passes)" if report.get("passes", 1) > 1 else ""
    lines.append(f"latency: p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, p99 {lat['p99']:.1f} ms "
                 f"over {report['queries']} queries{warm}")
    return "\n".join(lines)
