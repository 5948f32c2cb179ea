"""Where an index's bytes go: per field and per structure (postings, positions, terms, stored, columns).

    python benchmarks/index_size.py IDX [--sample N]

Reads the segment files through Whoosh (no writes).  Per field: term count, postings, the
bytes of its posting lists (split into document ids, frequencies, positions and overhead by
decoding one term in ``--sample``; every term by default) and of its term dictionary entries
(key plus term info).  Then stored fields, length columns and other columns, and the total
on disk.  Works for both posting formats (Whoosh's pickled blocks, where "overhead" is the
block headers and pickling, and ``indexer.store.codec``, where it is the chunk headers).
"""

from __future__ import annotations

import argparse
import io
import pickle
import sys
from array import array
from collections import defaultdict
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.reading import SegmentReader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.fastwrite import PackedValues  # noqa: E402
from indexer.store import codec, compact  # noqa: E402

PARTS = ("ids", "freqs", "positions", "overhead")


def _payload(part) -> int:
    """Bytes of a block part's data itself (array items, value bytes and their end offsets)."""
    if part is None:
        return 0
    if isinstance(part, float):
        return 8
    if isinstance(part, PackedValues):
        return len(part.blob) + 4 * len(part.ends)
    if isinstance(part, array):
        return len(part) * part.itemsize
    if isinstance(part, bytes):
        return len(part)
    return sum(len(v) for v in part) if part and isinstance(part[0], bytes) else 8 * len(part)


def _w3_parts(postfile, offset: int, length: int) -> dict[str, int]:
    """Bytes of one Whoosh W3 posting list by structure (pickled sizes of each block's parts)."""
    out = dict.fromkeys(PARTS, 0)
    pos, end = offset + 4, offset + length
    while pos < end:
        size = abs(postfile.get_int(pos))
        raw = postfile.get(pos + 4, size)
        buf = io.BytesIO(raw)
        pickle.load(buf)
        ids, weights, values = pickle.loads(raw[buf.tell():])
        sizes = {"ids": _payload(ids), "freqs": _payload(weights), "positions": _payload(values)}
        for k, v in sizes.items():
            out[k] += v
        out["overhead"] += 4 + size - sum(sizes.values())
        pos += 4 + size
    out["overhead"] += 4
    return out


def _info_size(info) -> int:
    """Bytes of a term info as stored (the fixed struct, then inlined postings or an extent)."""
    if info.is_inlined():
        return W3TermInfo._struct.size + len(pickle.dumps(info.inlined_postings(), 2))
    return W3TermInfo._struct.size + 12


def measure(index_dir: str, sample: int = 1) -> dict:
    ix = whoosh_index.open_dir(index_dir)
    fields: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    files: dict[str, int] = defaultdict(int)
    for seg in ix._segments():
        reader = SegmentReader(ix.storage, ix.schema, seg)
        storage = seg.open_compound_file(ix.storage) if seg.is_compound() else ix.storage
        for name in storage.list() if seg.is_compound() else ix.storage.list():
            if seg.is_compound() or name.startswith(seg.make_filename("")):
                files[name.split(".", 1)[-1] if "." in name else name] += storage.file_length(name)
        postfile = reader._terms._postfile
        sampled: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PARTS, 0))
        sampled_bytes: dict[str, int] = defaultdict(int)
        segment_bytes: dict[str, int] = defaultdict(int)  # this segment's posting bytes per field
        for i, ((fieldname, tbytes), raw) in enumerate(compact.iter_stats(reader)):
            f = fields[fieldname]
            f["terms"] += 1
            f["term_dict"] += len(tbytes) + 2 + len(raw)
            stats = compact.TermStats.from_bytes(raw)
            if stats is not None:
                f["postings"] += stats.df
                f["postings_bytes"] += stats.length
                segment_bytes[fieldname] += stats.length
                if i % sample == 0:
                    positions = fieldname in ix.schema and compact.has_positions(ix.schema[fieldname])
                    parts = codec.record_parts(postfile.get(stats.offset, stats.length), positions)
                    for k, v in parts.items():
                        sampled[fieldname][k] += v
                    sampled_bytes[fieldname] += stats.length
                continue
            info = W3TermInfo.from_bytes(raw)
            f["postings"] += info.doc_frequency()
            if info.is_inlined():
                continue
            offset, length = info.extent()
            length = length[0] if isinstance(length, tuple) else length  # Whoosh reads it as a 1-tuple
            f["postings_bytes"] += length
            segment_bytes[fieldname] += length
            if i % sample == 0 and postfile.get(offset, 4) == WHOOSH3_HEADER_MAGIC:
                for k, v in _w3_parts(postfile, offset, length).items():
                    sampled[fieldname][k] += v
                sampled_bytes[fieldname] += length
        for fieldname, parts in sampled.items():
            scale = segment_bytes[fieldname] / max(sampled_bytes[fieldname], 1)
            for k, v in parts.items():
                fields[fieldname][k] += v * scale
        reader.close()
    total = sum(p.stat().st_size for p in Path(index_dir).rglob("*") if p.is_file())
    return {"fields": fields, "files": dict(files), "total": total}


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f}"


def report(result: dict) -> str:
    rows = ["| field | terms | postings | postings MB | ids | freqs | positions | overhead | term dict MB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    sums: dict[str, float] = defaultdict(float)
    for name, f in sorted(result["fields"].items(), key=lambda kv: -kv[1].get("postings_bytes", 0)):
        rows.append(f"| {name} | {int(f['terms']):,} | {int(f['postings']):,} | {_mb(f['postings_bytes'])} | "
                    + " | ".join(_mb(f[k]) for k in PARTS) + f" | {_mb(f['term_dict'])} |")
        for k in ("terms", "postings", "postings_bytes", *PARTS, "term_dict"):
            sums[k] += f[k]
    rows.append(f"| **all fields** | {int(sums['terms']):,} | {int(sums['postings']):,} | "
                f"{_mb(sums['postings_bytes'])} | " + " | ".join(_mb(sums[k]) for k in PARTS)
                + f" | {_mb(sums['term_dict'])} |")
    rows += ["", "| file kind (all segments) | MB |", "| --- | ---: |"]
    for kind, size in sorted(result["files"].items(), key=lambda kv: -kv[1]):
        rows.append(f"| {kind} | {_mb(size)} |")
    rows.append(f"| **total on disk** | **{_mb(result['total'])}** |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index")
    ap.add_argument("--sample", type=int, default=1, help="split the postings of one term in N (default all)")
    args = ap.parse_args(argv)
    print(report(measure(args.index, args.sample)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
