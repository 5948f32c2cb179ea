"""Story groups found at indexing (indexer.store.groups) in a built index, and a sample to judge by reading.

    python benchmarks/build_cost.py --data ../shared/data --index /tmp/ix --procs 2   # the build, its cost
    python benchmarks/story_groups.py --data ../shared/data --index /tmp/ix --pairs /tmp/stories/pairs.txt

Reports the groups of two or more articles and how many articles they hold; the exact duplicates of the
corpus (the same normalised text, ``fp_exact``) and whether each set of them is in one group; the articles
merged as near duplicates (text not identical to their group's first article); the time ``fingerprint``
takes per article.  Writes ``--sample`` random near-duplicate pairs (member, group's first article: titles
and the first 200 characters of lead and body, shingle resemblance) to ``--pairs`` for judging by hand.
Skips cleanly (exit 0) when the data or the index is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.models import Article  # noqa: E402
from indexer.schema import FP_EXACT  # noqa: E402
from indexer.store.groups import StoryGroups  # noqa: E402
from indexer.store.index import open_index  # noqa: E402
from indexer.text.fingerprint import fingerprint, resemblance  # noqa: E402

CORPUS = "news-100k.jsonl.gz"


def _columns(reader, name: str) -> dict[int, int]:
    return dict(enumerate(reader.column_reader(name))) if reader.has_column(name) else {}


def _head(stored: dict) -> str:
    return " ".join(f"{stored.get('lead', '')} {stored.get('body', '')}".split())[:200]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--index", help="a built index (else the groups are found in memory, as indexing would)")
    ap.add_argument("--pairs", default="/tmp/stories/pairs.txt")
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--queries", type=int, default=200, help="dev queries timed with collapse on and off")
    args = ap.parse_args()
    corpus = Path(args.data) / CORPUS
    if not corpus.exists() or (args.index and not Path(args.index).exists()):
        print(f"skipped: {corpus} or {args.index} not found")
        return 0

    group_of: dict[str, str] = {}
    exact: dict[str, int] = {}
    if args.index:
        searcher = open_index(args.index, create=False).searcher()
        reader = searcher.reader()
        fp = _columns(reader, FP_EXACT)
        for docnum, fields in reader.iter_docs():
            group_of[fields["id"]] = fields.get("group") or fields["id"]
            exact[fields["id"]] = fp.get(docnum, 0)

        def document(article_id: str) -> dict:
            return searcher.document(id=article_id)
    else:  # the same StoryGroups.assign as indexing, all articles pending (no index written)
        articles: dict[str, dict] = {}
        found = StoryGroups([])
        started = time.perf_counter()
        with gzip.open(corpus, "rt", encoding="utf-8") as fh:
            for line in fh:
                obj = json.loads(line)
                doc = {k: obj.get(k) or "" for k in ("id", "title", "lead", "body", "source")}
                story = found.assign(Article(id=doc["id"], title=doc["title"], lead=doc["lead"], body=doc["body"]))
                group_of[doc["id"]], exact[doc["id"]] = story.group, story.fingerprint.exact
                articles[doc["id"]] = doc
        print(f"grouped in memory: {time.perf_counter() - started:.0f} s wall, {found.seconds:.0f} s in assign, "
              f"{found.compared:,} candidate pairs checked")

        def document(article_id: str) -> dict:
            return articles[article_id]
    groups: dict[str, list[str]] = defaultdict(list)
    for article_id, group in group_of.items():
        groups[group].append(article_id)
    multi = {g: m for g, m in groups.items() if len(m) > 1}
    print(f"articles: {len(group_of):,}")
    print(f"story groups of 2+ articles: {len(multi):,}, holding {sum(map(len, multi.values())):,} articles "
          f"(sizes: {dict(sorted(Counter(map(len, multi.values())).items()))})")

    by_text: dict[int, list[str]] = defaultdict(list)
    for article_id, h in exact.items():
        by_text[h].append(article_id)
    dup_sets = [ids for ids in by_text.values() if len(ids) > 1]
    whole = sum(1 for ids in dup_sets if len({group_of[i] for i in ids}) == 1)
    print(f"exact duplicates in the corpus (same normalised title, lead and body): {len(dup_sets):,} sets, "
          f"{sum(map(len, dup_sets)):,} articles; each set in one group: {whole:,}")

    near = [(m, g) for g, members in multi.items() for m in members
            if m != g and g in exact and exact[m] != exact[g]]
    only_near = [g for g, members in multi.items() if len({exact[m] for m in members}) > 1]
    print(f"near duplicates: {len(near):,} articles in a group whose first article's text differs; "
          f"{len(only_near):,} groups hold more than one text")

    # the cost of a fingerprint, on the first 3,000 articles of the corpus
    sample = []
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            sample.append((obj.get("title") or "", obj.get("lead") or "", obj.get("body") or ""))
            if len(sample) == 3000:
                break
    started = time.perf_counter()
    for title, lead, body in sample:
        fingerprint(title, lead, body)
    print(f"fingerprint: {(time.perf_counter() - started) / len(sample) * 1000:.2f} ms per article")
    tracemalloc.start()
    pending = StoryGroups([])
    for i, (title, lead, body) in enumerate(sample):
        pending.assign(Article(id=f"sample-{i}", title=title, lead=lead, body=body))
    before = tracemalloc.get_traced_memory()[0]
    pending.refresh([])  # as after a commit: what it frees is what the articles since the last commit hold
    held = (before - tracemalloc.get_traced_memory()[0]) / len(sample)
    tracemalloc.stop()
    print(f"memory while indexing: {held / 1024:.1f} KB per article written since the last commit "
          f"(x 20,000 = {held * 20_000 / 2**20:.0f} MB at the default --commit-every)")
    if args.index:
        started = time.perf_counter()
        table = StoryGroups([reader])
        print(f"lookup table of the committed index: {table.nbytes / 2**20:.1f} MB, read in "
              f"{time.perf_counter() - started:.2f} s")

    rng = random.Random(args.seed)
    picked = rng.sample(near, min(args.sample, len(near)))
    Path(args.pairs).parent.mkdir(parents=True, exist_ok=True)
    with open(args.pairs, "w", encoding="utf-8") as out:
        for n, (member, first) in enumerate(picked, 1):
            a, b = document(member), document(first)
            fa = fingerprint(a.get("title", ""), a.get("lead", ""), a.get("body", ""))
            fb = fingerprint(b.get("title", ""), b.get("lead", ""), b.get("body", ""))
            out.write(f"#{n} resemblance {resemblance(fa.shingles, fb.shingles):.2f}\n"
                      f"  A {member} [{a.get('source', '')}] {a.get('title', '')}\n    {_head(a)}\n"
                      f"  B {first} [{b.get('source', '')}] {b.get('title', '')}\n    {_head(b)}\n\n")
    print(f"{len(picked)} near-duplicate pairs written to {args.pairs}")
    if args.index:
        searcher.close()
        _queries(Path(args.data) / "dev-queries.json", args.index, args.queries)
    return 0


def _queries(path: Path, index: str, limit: int) -> None:
    """Latency with collapse on and off, and how many first pages showed one story twice without it."""
    from indexer.search import SearchRequest, search

    if not path.exists() or limit <= 0:
        return
    queries = [q["query"] for q in json.loads(path.read_text(encoding="utf-8"))["queries"][:limit]]
    times: dict[bool, list[float]] = {True: [], False: []}
    repeated = hidden = 0
    for _ in range(2):  # the first pass warms the postings cache
        times = {True: [], False: []}
        for q in queries:
            for collapse in (False, True):
                r = search(SearchRequest(q=q, collapse=collapse), index)
                times[collapse].append(r.took_ms)
    for q in queries:
        plain = search(SearchRequest(q=q, collapse=False), index)
        groups = [h.group for h in plain.hits]
        if len(set(groups)) < len(groups):
            repeated += 1
            hidden += len(groups) - len(set(groups))
    for collapse, ms in times.items():
        ms.sort()
        print(f"collapse={str(collapse).lower()}: p50 {ms[len(ms) // 2]:.1f} ms, p95 {ms[int(len(ms) * 0.95)]:.1f} ms "
              f"over {len(ms)} dev queries (warm)")
    print(f"first pages (10 results) showing one story twice or more without collapse: {repeated} of {len(queries)} "
          f"queries, {hidden} repeated results")


if __name__ == "__main__":
    raise SystemExit(main())
