"""Known items against the best any headline-reading engine can expect on our validation set.

``benchmarks/validation_set.py`` makes each known-item query from one headline by a known random
process: k of 3..min(6, L-1) words, a run starting anywhere, in one query of four (when the
headline is long enough) one or two inner words left out.  So for a query and any headline of the
corpus, P(query | headline) can be computed exactly, and with every headline equally likely a
priori, the posterior over headlines.  This script prints, per kind of known item:

* ``oracle``: the expected MRR@10 of ranking headlines by that posterior (the ceiling of an engine
  that reads only headlines; ``benchmarks/known_items.py`` counts every query not verbatim in its
  headline as 1.0, which is higher than this);
* for each ranking variant, timtin's *expected* MRR@10 under the posterior (the sum over its top 10
  of posterior / rank: the luck of which headline happened to be drawn is removed) and its realised
  MRR@10 against the one judged article.

    python benchmarks/known_item_oracle.py --index IDX --validation /tmp/relevance/validation.json \
        --data ../shared/data [--part choose] [--variant title_shorter=4 ...]

Dev queries can be given as ``--validation`` with ``--part all`` (they were made the same way, as
far as their shapes show); nothing here is tuned.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.compare import load_articles  # noqa: E402
from benchmarks.generalisation import parse_variant  # noqa: E402
from benchmarks.validation_set import GAPPED_SHARE  # noqa: E402
from indexer.analysis import split_codes, syllables  # noqa: E402
from indexer.evaluate import K, load_queries  # noqa: E402
from indexer.search import SearchRequest, search  # noqa: E402

KINDS = ("known-item-accented", "known-item-unaccented")


def words(text: str, folded: bool) -> list[str]:
    """The words as ``validation_set.known_item_query`` picks them."""
    return [w.folded if folded else w.exact for w in split_codes(syllables(text))]


def left_out(run: list[str], query: list[str]) -> float:
    """Chance that deleting len(run) − len(query) random inner words of ``run``, one after the
    other, leaves ``query``."""
    if len(run) == len(query):
        return 1.0 if run == query else 0.0
    if run[0] != query[0] or run[-1] != query[-1]:
        return 0.0
    inner = range(1, len(run) - 1)
    return sum(left_out(run[:j] + run[j + 1:], query) for j in inner) / len(inner)


def likelihood(title: list[str], query: list[str]) -> float:
    """P(query | headline) under ``validation_set.known_item_query``."""
    n, k = len(title), len(query)
    if n < 4 or not 3 <= k <= min(6, n - 1):
        return 0.0
    gapped = n >= k + 2
    runs = sum(1 for s in range(n - k + 1) if title[s : s + k] == query)
    p = (1 - GAPPED_SHARE if gapped else 1.0) * runs / (n - k + 1)
    if gapped:
        for gap, share in ((1, 2 / 3), (2, 1 / 3)):
            if n >= k + gap:
                starts = range(n - k - gap + 1)
                p += GAPPED_SHARE * share * sum(left_out(title[s : s + k + gap], query) for s in starts) / len(starts)
    return p / (min(6, n - 1) - 2)


def expected_rr(ranked: list[str], posterior: dict[str, float]) -> float:
    return sum(posterior.get(d, 0.0) / (r + 1) for r, d in enumerate(ranked[:K]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--validation", required=True, help="queries (validation set, or dev with --part all)")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--part", default="choose", help="choose, report or all")
    ap.add_argument("--variant", action="append", default=None, help="Ranking overrides, name=value,...")
    args = ap.parse_args(argv)
    variants = args.variant or [""]
    queries = [q for q in load_queries(args.validation)
               if q["kind"] in KINDS and (args.part == "all" or q.get("part") == args.part)]
    articles, _ = load_articles(Path(args.data) / "news-100k.jsonl.gz")
    heads = {folded: {a.id: words(a.title, folded) for a in articles} for folded in (False, True)}
    holding: dict[bool, dict[str, set[str]]] = {True: defaultdict(set), False: defaultdict(set)}
    for folded, by_id in heads.items():
        for i, ws in by_id.items():
            for w in ws:
                holding[folded][w].add(i)
    rows = []
    for q in queries:
        folded = q["kind"] == "known-item-unaccented"
        qw = words(q["query"], folded)
        fits = set.intersection(*(holding[folded].get(w, set()) for w in qw)) if qw else set()
        lik = {i: likelihood(heads[folded][i], qw) for i in fits}
        total = sum(lik.values())
        posterior = {i: v / total for i, v in lik.items() if v > 0} if total else {}
        best = sorted(posterior, key=posterior.__getitem__, reverse=True)
        rows.append((q, posterior, expected_rr(best, posterior)))
    print(f"{'variant':<32}{'kind':<24}{'n':>5}{'oracle':>9}{'expected':>10}{'realised':>10}")
    for text in variants:
        rank = parse_variant(text)
        sums: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
        for q, posterior, oracle in rows:
            req = SearchRequest(q=q["query"], per_page=K, highlight=False, collapse=False)
            ids = [h.id for h in search(req, args.index, rank).hits]
            s = sums[q["kind"]]
            s[0] += 1
            s[1] += oracle
            s[2] += expected_rr(ids, posterior)
            s[3] += next((1 / (r + 1) for r, d in enumerate(ids) if q["relevant"].get(d, 0) > 0), 0.0)
        for kind in KINDS:
            n, oracle, expected, realised = sums[kind]
            if n:
                print(f"{text or 'defaults':<32}{kind:<24}{n:>5}"
                      f"{oracle / n:>9.4f}{expected / n:>10.4f}{realised / n:>10.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
