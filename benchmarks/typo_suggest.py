"""Typo suggestions ("Có phải bạn muốn tìm …") on dev headlines with one random edit (issue 16).

The dev known-item headlines (500) are typed as readers type (lower case, 60% without diacritics)
with one random edit: a letter inserted, deleted, replaced or two swapped, where a space counts as a
letter (so syllables get joined or split).  The suggestion (``indexer.assist.spelling.did_you_mean``,
else the diacritic restoration the web app shows) must give back the headline, compared without
diacritics.  The same headlines typed right, with diacritics, must get no suggestion; folded
held-out headlines (``crc32(id) % 50 == 0``, as ``benchmarks/diacritics_eval.py``) must still get
their diacritics back, syllable by syllable.  The model learns from every other article.

Headlines are split by ``crc32(qid)`` into a "choose" and a "report" half: tune on one, report the other.

    python benchmarks/typo_suggest.py --data ../shared/data [--part report] [--seed 16]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.analysis import fold_text, syllables  # noqa: E402
from indexer.assist.diacritics import DiacriticModel, article_texts  # noqa: E402
from indexer.assist.spelling import SpellingCorrector, did_you_mean  # noqa: E402

CORPUS = "news-100k.jsonl.gz"
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def held_out(doc_id: str) -> bool:
    return zlib.crc32(doc_id.encode()) % 50 == 0


def part_of(qid: str) -> str:
    return "choose" if zlib.crc32(qid.encode()) % 2 == 0 else "report"


def one_edit(text: str, rng: random.Random) -> str:
    """``text`` with one random edit that changes its folded words (letters and spaces)."""
    for _ in range(100):
        op = rng.choice(["insert", "delete", "replace", "swap"])
        i = rng.randrange(len(text))
        if op == "insert":
            out = text[:i] + rng.choice(LETTERS + " ") + text[i:]
        elif op == "delete":
            out = text[:i] + text[i + 1 :]
        elif op == "replace":
            out = text[:i] + rng.choice(LETTERS) + text[i + 1 :]
        else:
            if i + 1 >= len(text):
                continue
            out = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if fold_text(out) != fold_text(text) and out.strip():
            return out
    return text


def typed(title: str, rng: random.Random, unaccented_share: float = 0.6) -> str:
    words = syllables(title)
    if rng.random() < unaccented_share:
        return " ".join(w.folded for w in words)
    return " ".join(w.exact for w in words)


def suggestion(model: DiacriticModel, corrector: SpellingCorrector, q: str) -> str | None:
    """What the web app suggests (``webapp.assist.Assist.suggestion``)."""
    fixed = did_you_mean(model, corrector, q)
    if fixed is not None:
        return fixed
    restored = model.restore(q)
    return restored if restored and restored != q else None


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--part", choices=["choose", "report", "all"], default="all")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--held-out", type=int, default=500, help="held-out headlines for restoration")
    ap.add_argument("--model", type=Path, help="a saved model (.npz) learned the same way, to skip learning")
    ap.add_argument("--save-model", type=Path)
    ap.add_argument("--errors", type=int, default=0)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)

    dev = json.loads((args.data / "dev-queries.json").read_text(encoding="utf-8"))["queries"]
    targets = {next(iter(q["relevant"])): q["qid"] for q in dev if q["kind"].startswith("known-item")}
    titles: dict[str, str] = {}
    held: list[str] = []
    train: list[dict] = []
    with gzip.open(args.data / CORPUS, "rt", encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            if held_out(a["id"]):
                if len(held) < args.held_out:
                    held.append(a["title"])
                continue
            if a["id"] in targets:
                titles[a["id"]] = a["title"]
            if args.model is None:
                train.append({"title": a["title"], "lead": a.get("lead", ""), "body": a.get("body", "")})
    if args.model is not None:
        model = DiacriticModel.load(args.model)
    else:
        model = DiacriticModel.build(article_texts(train))
        if args.save_model:
            model.save(args.save_model, generation=0)
    started = time.perf_counter()
    corrector = SpellingCorrector(model)
    build_s = time.perf_counter() - started

    rows = [(doc, t) for doc, t in titles.items() if args.part == "all" or part_of(targets[doc]) == args.part]
    fixed_ok = 0
    latencies: list[float] = []
    errors = []
    for _, title in rows:
        q = one_edit(typed(title, rng), rng)
        t0 = time.perf_counter()
        s = suggestion(model, corrector, q)
        latencies.append((time.perf_counter() - t0) * 1000)
        if fold_text(s or q) == fold_text(title):
            fixed_ok += 1
        elif len(errors) < args.errors:
            errors.append((title, q, s))
    false_pos = 0
    for _, title in rows:
        q = " ".join(w.exact for w in syllables(title))
        t0 = time.perf_counter()
        if suggestion(model, corrector, q) is not None:
            false_pos += 1
        latencies.append((time.perf_counter() - t0) * 1000)
    right = total = 0
    for title in held:
        expected = [w.exact for w in syllables(title)]
        q = fold_text(title)
        s = suggestion(model, corrector, q) or q
        got = [w.exact for w in syllables(s)]
        total += len(expected)
        right += sum(1 for a, b in zip(expected, got) if a == b) if len(got) == len(expected) else 0
    n = max(len(rows), 1)
    print(f"headlines: {len(rows)} ({args.part}); corrector built in {build_s:.2f} s, "
          f"{len(corrector.vocab):,} folded words")
    print(f"one edit, restored (compared without diacritics): {fixed_ok}/{len(rows)} = {fixed_ok / n:.1%}")
    print(f"typed right with diacritics, a suggestion shown: {false_pos}/{len(rows)} = {false_pos / n:.1%}")
    print(f"held-out folded headlines, syllables restored: {right}/{total} = {right / max(total, 1):.2%}")
    print(f"suggestion latency p50 {statistics.median(latencies):.2f} ms, p95 {pct(latencies, 0.95):.2f} ms")
    for title, q, s in errors:
        print(f"  {title}\n  typed: {q}\n  got:   {s}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
