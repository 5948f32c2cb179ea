"""Whether two built indexes hold the same contents, article by article (to prove a faster build changes nothing).

    python benchmarks/index_identity.py /tmp/ix-old /tmp/ix-new

Compares, keyed by article id (docnums and segments differ between builds: Whoosh's multi-process
writer deals batches to its processes in no fixed order): every stored field, every column value
(story groups, fingerprints, dates), every field length, and every posting of every term of every
field (document, frequency and positions; the compact codec's terms and Whoosh's own).  Prints what
differs; exit status 0 when identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.store.compact import iter_stats, read_term  # noqa: E402
from indexer.store.index import open_index  # noqa: E402

PARTS = ("stored", "columns", "lengths", "postings")


def contents(path: str | Path) -> dict:
    """Stored fields, columns, lengths (by id) and a digest of every field's postings (by id)."""
    ix = open_index(path, create=False)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        stored = {}
        ids: dict[int, str] = {}
        for docnum, fields in reader.iter_docs():
            ids[docnum] = fields["id"]
            stored[fields["id"]] = fields
        columns = {name: {ids[d]: col[d] for d in ids}
                   for name, ft in ix.schema.items()
                   if ft.column_type is not None and reader.has_column(name)
                   for col in [reader.column_reader(name)]}
        # an absent field has length None or 0 depending on whether its segment has the field
        lengths = {name: {ids[d]: reader.doc_field_length(d, name) or 0 for d in ids}
                   for name, ft in ix.schema.items() if ft.scorable}
        terms: dict[str, dict[bytes, list]] = defaultdict(lambda: defaultdict(list))
        count = 0
        for leaf, offset in reader.leaf_readers():
            for (field, tbytes), _ in iter_stats(leaf):
                for docnum, tf, pos in read_term(leaf, field, tbytes):
                    terms[field][tbytes].append((ids[docnum + offset], tf, pos))
                    count += 1
        postings = {field: hashlib.sha256(repr(sorted((t, sorted(p)) for t, p in by_term.items())).encode()).hexdigest()
                    for field, by_term in terms.items()}
    return {"stored": stored, "columns": columns, "lengths": lengths, "postings": postings,
            "terms": {f: len(t) for f, t in terms.items()}, "count": count}


def differences(a: dict, b: dict) -> dict[str, list[str]]:
    """Per part, the fields (or ids, for stored fields) that differ; empty when identical."""
    out: dict[str, list[str]] = {}
    for part in PARTS:
        keys = sorted(set(a[part]) | set(b[part]))
        bad = [k for k in keys if a[part].get(k) != b[part].get(k)]
        if bad:
            out[part] = bad
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    args = p.parse_args(argv)
    a, b = contents(args.old), contents(args.new)
    print(f"articles {len(a['stored'])} / {len(b['stored'])}, postings {a['count']:,} / {b['count']:,}, "
          f"terms {sum(a['terms'].values()):,} / {sum(b['terms'].values()):,}")
    diff = differences(a, b)
    for part in PARTS:
        print(f"{part}: " + (f"DIFFERENT ({', '.join(diff[part][:10])})" if part in diff else "identical"))
    print("identical" if not diff else "the indexes differ")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
