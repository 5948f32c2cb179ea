"""Accuracy of diacritic restoration on held-out headlines, ours vs pyvi's ``ViUtils.add_accents``.

Articles whose ``crc32(id) % 50 == 0`` are held out; the model learns from the rest (titles,
leads and the first ``--body-chars`` characters of bodies).  Each held-out headline is folded
(``fold_text``) and restored; a syllable counts as right when its ``exact`` form (analysis)
equals the original's, so tone-placement variants are not errors.

    python benchmarks/diacritics_eval.py --data ../shared/data [--train N] [--test 2000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.analysis import fold_text, syllables  # noqa: E402
from indexer.assist.diacritics import BODY_CHARS, DiacriticModel, article_texts  # noqa: E402

CORPUS = "news-100k.jsonl.gz"


def held_out(doc_id: str) -> bool:
    return zlib.crc32(doc_id.encode("utf-8")) % 50 == 0


def score(expected: list[str], got: list[str]) -> int:
    """Syllables restored exactly, position by position."""
    return sum(a == b for a, b in zip(expected, got))


def pct(p: list[float], q: float) -> float:
    if not p:
        return 0.0
    s = sorted(p)
    return s[min(len(s) - 1, int(q * len(s)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--train", type=int, default=0, help="at most N training articles (0: all)")
    ap.add_argument("--test", type=int, default=2000, help="at most N held-out headlines")
    ap.add_argument("--body-chars", type=int, default=BODY_CHARS, help="body characters learned per article")
    ap.add_argument("--no-trigrams", action="store_true")
    ap.add_argument("--no-pyvi", action="store_true")
    ap.add_argument("--errors", type=int, default=0, help="print N wrongly restored headlines")
    args = ap.parse_args(argv)

    path = Path(args.data) / CORPUS
    if not path.exists():
        print(f"skipped: {path} not found")
        return 0

    train: list[dict] = []
    test: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if held_out(rec["id"]):
                if len(test) < args.test:
                    test.append(rec["title"])
            elif not args.train or len(train) < args.train:
                body = (rec.get("body") or "")[: args.body_chars + 50]  # keep memory low: only what is learned
                train.append({"title": rec.get("title"), "lead": rec.get("lead"), "body": body})
    print(f"train articles: {len(train)}, test headlines: {len(test)}, body chars: {args.body_chars}")

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    model = DiacriticModel.build(article_texts(train, args.body_chars), trigrams=not args.no_trigrams)
    build_s = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del train
    d = model.data
    print(f"build: {build_s:.1f} s over {model.meta['tokens']:,} tokens, "
          f"max RSS {rss0 / 1024:.0f} → {rss / 1024:.0f} MiB")
    print(f"model: {model.V:,} words, {len(d.bi_keys):,} bigrams, {len(d.tri_keys):,} trigrams, "
          f"{model.nbytes() / 2**20:.1f} MiB")

    total = ours_ok = pyvi_ok = crashes = 0
    latencies: list[float] = []
    errors: list[tuple[str, str]] = []
    add_accents = None
    if not args.no_pyvi:
        from pyvi import ViUtils

        add_accents = ViUtils.add_accents
    for title in test:
        expected = [t.exact for t in syllables(title)]
        if not expected:
            continue
        folded = fold_text(title)
        total += len(expected)
        t = time.perf_counter()
        restored = model.restore_words(folded.split())
        latencies.append((time.perf_counter() - t) * 1000)
        got = [t.exact for t in syllables(" ".join(restored))]
        ok = score(expected, got)
        ours_ok += ok
        if ok < len(expected) and len(errors) < args.errors:
            errors.append((title, " ".join(restored)))
        if add_accents is not None:
            try:
                out = add_accents(folded)
                out = out.decode("utf-8") if isinstance(out, bytes) else str(out)
                pyvi_ok += score(expected, [t.exact for t in syllables(out)])
            except Exception:
                crashes += 1
    # full restore() latency, including analysis and casing, on the same headlines
    full: list[float] = []
    for title in test[:1000]:
        q = fold_text(title)
        t = time.perf_counter()
        model.restore(q)
        full.append((time.perf_counter() - t) * 1000)

    print(f"syllables: {total:,}")
    print(f"ours: {ours_ok / max(total, 1):.2%} restored exactly")
    if add_accents is not None:
        print(f"pyvi ViUtils.add_accents: {pyvi_ok / max(total, 1):.2%} restored exactly ({crashes} crashes)")
    print(f"restore_words latency p50 {statistics.median(latencies):.2f} ms, p95 {pct(latencies, 0.95):.2f} ms; "
          f"restore() p50 {statistics.median(full):.2f} ms, p95 {pct(full, 0.95):.2f} ms")
    for title, restored in errors:
        print(f"  {title}\n  {restored}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
