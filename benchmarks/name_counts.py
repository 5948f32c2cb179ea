"""Distinct sources and categories of a corpus, as given and after the name tables
(``indexer/data/sources.tsv``, ``categories.tsv``) that ingestion applies.

    python benchmarks/name_counts.py ../shared/data/news-100k.jsonl.gz [--list]

Prints the counts before and after (empty values not counted), the names that merge several given
values, and with ``--list`` every given value the tables do not know (kept as given).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.text.names import CATEGORIES_PATH, SOURCES_PATH, load_names  # noqa: E402

FIELDS = {"source": SOURCES_PATH, "category": CATEGORIES_PATH}


def records(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def count(path: Path) -> dict[str, Counter[str]]:
    """Articles per given value of each field (values NFC-normalised and stripped, as ingestion does)."""
    given: dict[str, Counter[str]] = {name: Counter() for name in FIELDS}
    for rec in records(path):
        for name in FIELDS:
            value = rec.get(name)
            if isinstance(value, str) and value.strip():
                given[name][unicodedata.normalize("NFC", value).strip()] += 1
    return given


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, help=".jsonl or .jsonl.gz")
    ap.add_argument("--list", action="store_true", help="also list the values the tables do not know")
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        print(f"{args.corpus}: no such file", file=sys.stderr)
        return 1
    given = count(args.corpus)
    for name, path in FIELDS.items():
        table = load_names(str(path))
        merged: dict[str, list[str]] = defaultdict(list)
        for value in given[name]:
            merged[table.display(value)].append(value)
        articles = sum(given[name].values())
        print(f"{name}: {len(given[name])} distinct as given, {len(merged)} after the table "
              f"({articles:,} articles with a {name})")
        for shown, values in sorted(merged.items(), key=lambda kv: -len(kv[1])):
            if len(values) > 1:
                print(f"  {shown}: {', '.join(sorted(values, key=lambda v: -given[name][v]))}")
        unknown = sorted((v for v in given[name] if table.lookup(v) is None), key=lambda v: -given[name][v])
        print(f"  not in the table (kept as given): {len(unknown)}")
        if args.list:
            for v in unknown:
                print(f"    {v}\t{given[name][v]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
