"""A validation set of our own, built from the corpus and never from the dev queries (issue 16).

* known items: 3-6 words of a VietNews headline that no dev query targets, typed as the dev queries
  are (lower case, 60% without diacritics, about one query in four with a word or two left out of the
  run, codes split into their parts);
* events: VietnameseMDS articles that no dev query judges, grouped into events by the words their
  title and lead share; the query is the event's words common to its headlines, in headline order.

Each query carries ``part`` "choose" or "report" (by ``crc32(qid)``): tune on one, report the other.

    python benchmarks/validation_set.py --data ../shared/data --out /tmp/validation.json [--seed 16]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import zlib
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.analysis import split_codes, syllables  # noqa: E402

KNOWN_ITEMS = 500
UNACCENTED_SHARE = 0.6
GAPPED_SHARE = 0.26  # dev: 124 of 500 queries leave words out of the headline's run
MIN_SHARED = 0.30  # events: cosine of two articles' word weights to be one event


def part_of(qid: str) -> str:
    return "choose" if zlib.crc32(qid.encode()) % 2 == 0 else "report"


def known_item_query(title: str, rng: random.Random) -> tuple[str, bool] | None:
    words = split_codes(syllables(title))
    if len(words) < 4:
        return None
    k = rng.randint(3, min(6, len(words) - 1))
    gap = rng.choice([1, 1, 2]) if rng.random() < GAPPED_SHARE and len(words) >= k + 2 else 0
    start = rng.randint(0, len(words) - k - gap)
    run = words[start : start + k + gap]
    for _ in range(gap):  # leave out inner words, keeping the run's ends
        del run[rng.randint(1, len(run) - 2)]
    unaccented = rng.random() < UNACCENTED_SHARE
    text = " ".join(w.folded if unaccented else w.exact for w in run)
    return text, unaccented


def event_clusters(articles: list[dict]) -> list[list[dict]]:
    """Articles grouped by shared title+lead words (tf-idf cosine, single link)."""
    bags = [Counter(t.folded for t in syllables(a["title"] + " . " + a.get("lead", ""))) for a in articles]
    df = Counter(w for b in bags for w in b)
    n = len(articles)
    vecs = []
    for b in bags:
        v = {w: c * math.log(n / df[w]) for w, c in b.items() if df[w] > 1}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({w: x / norm for w, x in v.items()})
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if sum(x * vecs[j].get(w, 0.0) for w, x in vecs[i].items()) >= MIN_SHARED:
                parent[root(i)] = root(j)
    groups: dict[int, list[dict]] = defaultdict(list)
    for i, a in enumerate(articles):
        groups[root(i)].append(a)
    return [g for g in groups.values() if 2 <= len(g) <= 6]


def event_query(cluster: list[dict]) -> str | None:
    """The words most of the cluster's headlines share, in the order of its shortest headline."""
    titles = sorted((a["title"] for a in cluster), key=len)
    sets = [{t.folded for t in syllables(x)} for x in titles]
    need = max(2, math.ceil(len(titles) / 2))
    words = [t for t in syllables(titles[0]) if sum(t.folded in s for s in sets) >= need]
    if len(words) < 2:
        return None
    return " ".join(t.exact for t in words[:8])


def build(data: Path, seed: int) -> dict:
    rng = random.Random(seed)
    dev = json.loads((data / "dev-queries.json").read_text(encoding="utf-8"))["queries"]
    judged = {d for q in dev for d in q["relevant"]}
    vietnews: list[dict] = []
    vmds: list[dict] = []
    with gzip.open(data / "news-100k.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            if a["id"] in judged:
                continue
            if a["id"].startswith("vietnews-"):
                vietnews.append({"id": a["id"], "title": a["title"]})
            elif a["id"].startswith("vmds-"):
                vmds.append({"id": a["id"], "title": a["title"], "lead": a.get("lead", "")})
    queries = []
    for a in rng.sample(vietnews, KNOWN_ITEMS * 2):
        made = known_item_query(a["title"], rng)
        if made is None:
            continue
        text, unaccented = made
        qid = f"val-ki-{a['id']}"
        queries.append({"qid": qid, "kind": "known-item-unaccented" if unaccented else "known-item-accented",
                        "query": text, "relevant": {a["id"]: 1}, "part": part_of(qid)})
        if len(queries) == KNOWN_ITEMS:
            break
    for cluster in event_clusters(vmds):
        text = event_query(cluster)
        if text is None:
            continue
        qid = "val-ev-" + min(a["id"] for a in cluster)
        queries.append({"qid": qid, "kind": "event", "query": text,
                        "relevant": {a["id"]: 1 for a in cluster}, "part": part_of(qid)})
    about = ("Validation set built by benchmarks/validation_set.py from headlines and VietnameseMDS articles "
             f"no dev query uses (seed {seed}); part = choose | report.")
    return {"about": about, "queries": queries}


def split(path: Path, part: str, out: Path) -> None:
    """Write the queries of one part to ``out`` (for ``timtin eval --queries``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["queries"] = [q for q in data["queries"] if q["part"] == part]
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    data = build(args.data, args.seed)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=0), encoding="utf-8")
    for part in ("choose", "report"):
        split(args.out, part, args.out.with_name(f"{args.out.stem}-{part}.json"))
    kinds = Counter((q["kind"], q["part"]) for q in data["queries"])
    print("\n".join(f"{k:<24}{p:<8}{n:>5}" for (k, p), n in sorted(kinds.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
