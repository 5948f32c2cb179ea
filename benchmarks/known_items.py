"""How many headlines each known-item query fits, and the best MRR@10 that allows.

A known-item query is 3-6 words of one headline.  When those words appear, in that order and
adjacent, in several headlines, nothing in the query says which one the reader meant.  If the
words were picked as a random run of the headline, a headline of L words yields a given run of
k words with chance 1/(L-k+1), so the best any engine can do on such a query, in expectation,
is to put the shortest of those headlines first (ties in random order).  This script sorts the
queries into:

* ``unique``: the words run verbatim in the target's headline only;
* ``ambiguous``: verbatim in the target's headline and in others (the expected reciprocal rank
  of "shortest headline first" is their ceiling);
* ``not verbatim``: words left out or reordered (an engine can place these first).

and prints the expected ceiling of MRR@10 per kind; with ``--index`` also timtin's MRR@10 on each
group.  Words are compared as the analyser sees them (exact forms for queries typed with
diacritics, folded forms for the others).

    python benchmarks/known_items.py --data ../shared/data [--index DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.compare import load_articles  # noqa: E402
from indexer.analysis import syllables  # noqa: E402
from indexer.evaluate import K, load_queries, metrics, timtin_ranker  # noqa: E402

CORPUS = "news-100k.jsonl.gz"
QUERIES = "dev-queries.json"
GROUPS = ("unique", "ambiguous", "not verbatim")


def words(text: str, exact: bool) -> str:
    """The text's words as one space-padded string, for verbatim run tests."""
    return " " + " ".join(t.exact if exact else t.folded for t in syllables(text)) + " "


def shortest_first_rr(target_len: int, other_lens: list[int]) -> float:
    """Expected reciprocal rank (within the top K) when shorter headlines come first, ties at random."""
    shorter = sum(1 for n in other_lens if n < target_len)
    same = 1 + sum(1 for n in other_lens if n == target_len)
    return sum(1.0 / r for r in range(shorter + 1, shorter + same + 1) if r <= K) / same


def classify(queries: list[dict], titles: dict[str, str]) -> list[dict]:
    """Each known-item query with its group and expected ceiling of reciprocal rank."""
    forms = {exact: {i: words(t, exact) for i, t in titles.items()} for exact in (True, False)}
    lengths = {i: len(syllables(t)) for i, t in titles.items()}
    out = []
    for q in queries:
        if not q["kind"].startswith("known-item"):
            continue
        target = next(iter(q["relevant"]))
        exact = q["kind"] == "known-item-accented"
        run = words(q["query"], exact)
        heads = forms[exact]
        if target not in heads or run not in heads[target]:
            out.append({**q, "group": "not verbatim", "fits": 0, "ceiling": 1.0})
            continue
        others = [i for i, t in heads.items() if run in t and i != target]
        group = "ambiguous" if others else "unique"
        ceiling = shortest_first_rr(lengths[target], [lengths[i] for i in others])
        out.append({**q, "group": group, "fits": 1 + len(others), "ceiling": ceiling})
    return out


def report(rows: list[dict], rr: dict[str, float] | None) -> str:
    lines = [f"{'kind':<24}{'group':<14}{'n':>5}{'headlines':>10}{'ceiling':>9}" + ("   timtin" if rr else "")]
    by = defaultdict(list)
    for r in rows:
        by[(r["kind"], r["group"])].append(r)
        by[(r["kind"], "all")].append(r)
    for kind in sorted({r["kind"] for r in rows}):
        for group in (*GROUPS, "all"):
            g = by.get((kind, group), [])
            if not g:
                continue
            fits = sum(r["fits"] for r in g) / len(g) if group != "not verbatim" else 0
            line = (f"{kind:<24}{group:<14}{len(g):>5}{fits:>10.1f}"
                    f"{sum(r['ceiling'] for r in g) / len(g):>9.3f}")
            if rr:
                line += f"{sum(rr[r['qid']] for r in g) / len(g):>9.3f}"
            lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--index", help="a timtin index of the corpus: also print timtin's MRR@10 per group")
    ap.add_argument("--list", choices=GROUPS, help="print the queries of one group with timtin's rank")
    args = ap.parse_args(argv)
    corpus, qpath = Path(args.data) / CORPUS, Path(args.data) / QUERIES
    if not corpus.exists() or not qpath.exists():
        print(f"skipped: {corpus} or {qpath} not found")
        return 0
    queries = load_queries(qpath)
    articles, _ = load_articles(corpus)
    rows = classify(queries, {a.id: a.title for a in articles})
    rr = None
    if args.index:
        rank = timtin_ranker(args.index, highlight=False)
        got = {r["qid"]: rank(r["query"]) for r in rows}
        rr = {r["qid"]: metrics(got[r["qid"]], r["relevant"])["mrr"] for r in rows}
        if args.list:
            for r in rows:
                if r["group"] == args.list and rr[r["qid"]] < 1:
                    print(f"{r['kind']:<24} rr {rr[r['qid']]:.2f}  {r['query']}")
    print(report(rows, rr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
