"""Rewrite a format 1 index in format 2, segment by segment, without analysing the text again.

    python benchmarks/convert_v1.py OLD_INDEX NEW_INDEX [--merge]

A measuring tool (timtin itself refuses format 1 and asks for a rebuild): it gives the
format 2 index that a build of the same articles would give, with the same segments (or,
with ``--merge``, all of them merged into one), in a fraction of a build's time.  Each
segment goes through ``indexer.store.merge``'s segment writer, which reads Whoosh's blocks
and writes the searched fields in the compact codec; stored fields and columns are copied.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import time
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.schema import FORMAT_VERSION, SCHEMA_VERSION  # noqa: E402
from indexer.store.index import META_FILE  # noqa: E402
from indexer.store.internals import index_segments, write_toc  # noqa: E402
from indexer.store.merge import _write_merged  # noqa: E402


def _convert_group(job: tuple[Path, Path, list]) -> object:
    old, scratch, group = job
    src = whoosh_index.open_dir(str(old))
    started = time.perf_counter()
    readers = [SegmentReader(src.storage, src.schema, seg) for seg in group]
    try:
        seg = _write_merged(scratch, src.schema, readers)
    finally:
        for r in readers:
            r.close()
    print(f"{seg.doc_count()} documents in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return seg


def convert(old: Path, new: Path, merge: bool = False, procs: int = 1) -> None:
    src = whoosh_index.open_dir(str(old))  # no format check: that is the point
    schema = src.schema
    segments = index_segments(src)
    new.mkdir(parents=True)
    out = whoosh_index.create_in(str(new), schema)
    groups = [segments] if merge else [[s] for s in segments]
    jobs = [(old, new / f".convert-{n}", group) for n, group in enumerate(groups)]
    if procs > 1:
        with multiprocessing.get_context("fork").Pool(procs) as pool:
            written = pool.map(_convert_group, jobs, chunksize=1)
    else:
        written = [_convert_group(job) for job in jobs]
    for (_, scratch, _), seg in zip(jobs, written):
        for f in scratch.iterdir():
            if f.name.startswith(seg.segment_id()):
                os.replace(f, new / f.name)
        shutil.rmtree(scratch)
    write_toc(out, schema, written, 1)
    (new / META_FILE).write_text(json.dumps({"format_version": FORMAT_VERSION, "schema_version": SCHEMA_VERSION}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--merge", action="store_true", help="merge every segment into one")
    ap.add_argument("--procs", type=int, default=1, help="segments converted at once")
    args = ap.parse_args(argv)
    convert(args.old, args.new, args.merge, args.procs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
