"""Precision and recall of ``indexer.text.regions.detect_regions`` on 100 hand-labelled articles.

Labels (``regions_labels.jsonl``, ids and current-province names only, no article text) were made by
reading title, lead and the start of the body of a seeded sample of the shared corpus: 65 VietNews
(40 of them drawn from articles saying "tỉnh"), 25 VNTC and 10 VietnameseMDS.  A region is labelled
when the article is about something happening there (not a passing mention such as a hometown).

    python benchmarks/regions_eval.py --data ../shared/data [--verbose]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.text.regions import detect_regions  # noqa: E402

LABELS = Path(__file__).with_name("regions_labels.jsonl")


def load_labels(path: Path = LABELS) -> dict[str, list[str]]:
    """id -> labelled current provinces."""
    with path.open(encoding="utf-8") as f:
        return {r["id"]: r["regions"] for r in map(json.loads, f) if r}


def load_articles(data_dir: Path, ids: set[str]) -> dict[str, dict]:
    """The labelled articles from ``news-100k.jsonl.gz`` (streamed; only the wanted ones kept)."""
    out: dict[str, dict] = {}
    with gzip.open(data_dir / "news-100k.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            if '"id"' in line:
                rec = json.loads(line)
                if rec["id"] in ids:
                    out[rec["id"]] = rec
    return out


def evaluate(labels: dict[str, list[str]], articles: dict[str, dict], verbose: bool = False) -> dict[str, float]:
    """Micro precision, recall and F1 over all (article, region) pairs."""
    tp = fp = fn = 0
    for aid, gold in labels.items():
        a = articles[aid]
        got = detect_regions(a.get("title", ""), a.get("lead", "") or "", a.get("body", ""))
        g, p = set(gold), set(got)
        tp += len(g & p)
        fp += len(p - g)
        fn += len(g - p)
        if verbose and g != p:
            print(f"{aid}: gold={sorted(g)} got={got}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"articles": len(labels), "gold": tp + fn, "predicted": tp + fp, "tp": tp,
            "precision": precision, "recall": recall, "f1": f1}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data", help="directory holding news-100k.jsonl.gz")
    ap.add_argument("--verbose", "-v", action="store_true", help="print each disagreement")
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not (data / "news-100k.jsonl.gz").is_file():
        print(f"skipped: {data / 'news-100k.jsonl.gz'} not found")
        return 0
    labels = load_labels()
    articles = load_articles(data, set(labels))
    missing = set(labels) - set(articles)
    if missing:
        print(f"skipped: {len(missing)} labelled ids not in the data (e.g. {sorted(missing)[0]})")
        return 0
    r = evaluate(labels, articles, args.verbose)
    print(f"articles {r['articles']}  gold regions {r['gold']}  predicted {r['predicted']}  correct {r['tp']}")
    print(f"precision {r['precision']:.3f}  recall {r['recall']:.3f}  F1 {r['f1']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
