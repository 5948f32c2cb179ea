"""Known-item queries that spell an acronym another way than the headline does (issue 16, class a).

From headlines no dev query targets that hold a form of a concept of ``indexer/data/acronyms.tsv``
("TP.HCM", "UBND", "thành phố Hồ Chí Minh", ...), a run of 3-6 headline words around it is taken and
the form replaced by another two-way form of the same concept ("tphcm", "tp hcm", "ủy ban nhân
dân", ...); 60% are typed without diacritics.  Written as a query file for ``timtin eval``.

    python benchmarks/spelling_variants.py --data ../shared/data --out /tmp/variants.json [--n 300]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.analysis import syllables  # noqa: E402
from indexer.text.acronyms import concept_index, load_synonyms  # noqa: E402

MAX_PER_CONCEPT = 25  # so that "Trung Quốc"/"TQ" does not make up half the set


def variant_query(title: str, rng: random.Random) -> tuple[str, str] | None:
    """(query, concept) for one headline, or None when it names no concept."""
    words = syllables(title)
    spans = [s for s in concept_index().spans([w.folded for w in words])]
    if not spans:
        return None
    span = rng.choice(spans)
    concept = load_synonyms().lookup(" ".join(w.folded for w in words[span.start : span.end]))
    if concept is None:
        return None
    typed = tuple(w.folded for w in words[span.start : span.end])
    others = [f for f in concept.forms if f != typed and f not in concept.one_way and "." not in "".join(f)
              and "&" not in "".join(f) and "-" not in "".join(f)]
    if not others:
        return None
    form = list(rng.choice(others))
    before = rng.randint(0, 2)
    after = rng.randint(1, 4)
    left = words[max(0, span.start - before) : span.start]
    right = words[span.end : span.end + after]
    if len(left) + len(right) < 2:
        return None
    unaccented = rng.random() < 0.6
    if not unaccented:  # the replacement form as written in the table (with its diacritics)
        written = concept.canonical if tuple(w.folded for w in syllables(concept.canonical)) == tuple(form) else None
        if written is not None:
            form = [w.exact for w in syllables(written)]
    pick = (lambda w: w.folded) if unaccented else (lambda w: w.exact)
    return " ".join([*map(pick, left), *form, *map(pick, right)]), concept.canonical


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    dev = json.loads((args.data / "dev-queries.json").read_text(encoding="utf-8"))["queries"]
    judged = {d for q in dev for d in q["relevant"]}
    pool = []
    with gzip.open(args.data / "news-100k.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            if a["id"] not in judged and a["id"].startswith("vietnews-"):
                pool.append((a["id"], a["title"]))
    rng.shuffle(pool)
    queries = []
    per_concept: dict[str, int] = {}
    for doc, title in pool:
        made = variant_query(title, rng)
        if made is None:
            continue
        q, concept = made
        if per_concept.get(concept, 0) < MAX_PER_CONCEPT:
            per_concept[concept] = per_concept.get(concept, 0) + 1
            queries.append({"qid": f"var-{doc}", "kind": "known-item-spelling", "query": q, "relevant": {doc: 1}})
            if len(queries) >= args.n:
                break
    args.out.write_text(json.dumps({"about": __doc__.split("\n")[0], "queries": queries}, ensure_ascii=False),
                        encoding="utf-8")
    print(f"{len(queries)} queries, e.g.: " + "; ".join(q["query"] for q in queries[:8]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
