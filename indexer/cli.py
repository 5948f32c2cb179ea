"""The ``timtin`` command line: index, merge, delete, search, eval, keys, serve."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from indexer.config import default_index_dir
from indexer.models import Article, Problem
from indexer.shard.dispatch import delete_ids, merge_in_background, merge_index, write_index
from indexer.shard.manifest import ShardLayoutError
from indexer.store.index import IndexBusyError


def _progress(total: int | None, enabled: bool):
    """A tqdm progress bar (count, rate, ETA) on a terminal; a no-op otherwise."""
    from tqdm import tqdm

    return tqdm(total=total, unit=" articles", disable=not enabled, dynamic_ncols=True, smoothing=0.1)


def _cores() -> int:
    """The cores this process may run on (indexing uses them all unless ``--procs`` says less)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def cmd_index(args: argparse.Namespace) -> int:
    from indexer.ingest.sources import count_records, read_articles

    if args.watch and args.cluster:
        print("timtin: --watch indexes in this process; it does not take --cluster", file=sys.stderr)
        return 2
    if args.watch:
        from indexer.ingest.watch import watch

        return watch(args.paths, args.index, interval=args.interval, procs=args.procs, merge=not args.no_merge,
                     shards=args.shards)
    tty = sys.stderr.isatty() and not args.quiet
    total = count_records(args.paths) if tty else None
    bar = _progress(total, tty)

    def report(p: Problem) -> None:
        bar.write(str(p), file=sys.stderr)

    def records() -> Iterator[Article | Problem]:
        yield from read_articles(args.paths)

    try:
        if args.cluster:
            stats = _index_on_cluster(args, records(), report, bar.update)
        else:
            stats = write_index(args.index, records(), shards=args.shards, procs=args.procs, on_problem=report,
                                on_record=bar.update, lock_timeout=args.lock_timeout,
                                commit_every=args.commit_every)
    except (IndexBusyError, ShardLayoutError) as e:
        bar.close()
        print(f"timtin: {e}", file=sys.stderr)
        return 3
    bar.close()
    print(f"timtin: {stats.summary()} into {args.index}", file=sys.stderr)
    if not args.no_merge and not args.cluster:  # on a cluster the writer actors merge their shards
        if merge_in_background(args.index):
            print("timtin: merging small segments in the background", file=sys.stderr)
    if stats.indexed + stats.updated == 0:
        return 1
    if args.strict and stats.skipped:
        return 1
    return 0


def _index_on_cluster(args: argparse.Namespace, records, report, tick):
    """``timtin index --cluster``: analysis as Ray tasks, one writer actor per shard."""
    from indexer.cluster.indexing import index_on_cluster
    from indexer.cluster.runtime import connect
    from indexer.shard.manifest import is_sharded

    if not args.shards and not is_sharded(args.index):
        raise ShardLayoutError("--cluster writes a sharded index: give --shards N for a new one")
    connect(args.cluster)
    return index_on_cluster(args.index, records, shards=args.shards, batch_size=args.batch, merge=not args.no_merge,
                            on_problem=report, on_record=tick)


def cmd_delete(args: argparse.Namespace) -> int:
    try:
        stats = delete_ids(args.index, args.ids, lock_timeout=args.lock_timeout)
    except (IndexBusyError, FileNotFoundError, ShardLayoutError) as e:
        print(f"timtin: {e}", file=sys.stderr)
        return 3
    for p in stats.problems:
        print(p, file=sys.stderr)
    print(f"timtin: {stats.deleted} deleted, {stats.skipped} not found", file=sys.stderr)
    return 0 if not stats.skipped else 1


def cmd_merge(args: argparse.Namespace) -> int:
    try:
        result = merge_index(args.index, everything=args.all)
    except (IndexBusyError, FileNotFoundError, ShardLayoutError) as e:
        print(f"timtin: {e}", file=sys.stderr)
        return 3
    if not args.quiet:
        if result is None:
            print("timtin: nothing to merge (or another merge is running)", file=sys.stderr)
        else:
            print(f"timtin: merged {result.merged} segments ({result.docs} articles) in {result.seconds:.1f} s; "
                  f"{result.segments_after} segments now", file=sys.stderr)
    return 0


def _plain(html: str) -> str:
    """Terminal rendering of highlight HTML: marks in bold, entities decoded."""
    from html import unescape

    bold = sys.stdout.isatty()
    html = html.replace("<mark>", "\033[1m" if bold else "[").replace("</mark>", "\033[0m" if bold else "]")
    return unescape(html)


def _search_request(args: argparse.Namespace):
    """The request of ``timtin search``, as the API validates it; a ValueError says what is wrong."""
    from indexer.search import MAX_HITS, SearchRequest
    from indexer.shard.view import open_view
    from indexer.text.regions import canonical_region

    if args.page * args.limit > MAX_HITS:
        raise ValueError(f"--page × --limit must be at most {MAX_HITS}")
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise ValueError("--from must not be later than --to")
    regions = []
    if args.region:
        indexed = set(open_view(args.index).field_values("region"))
        for value in args.region:
            name = value if value in indexed else canonical_region(value)
            if name is None:
                raise ValueError(f"unknown region {value!r}: give a province or city, e.g. 'Hà Nội'")
            regions.append(name)
    rows = args.format in ("csv", "jsonl")
    return SearchRequest(q=args.query, per_page=args.limit, page=args.page, sort=args.sort,
                         source=list(dict.fromkeys(args.source or [])),
                         category=list(dict.fromkeys(args.category or [])), region=list(dict.fromkeys(regions)),
                         date_from=args.date_from, date_to=args.date_to, facets=not rows, highlight=not rows)


def cmd_search(args: argparse.Namespace) -> int:
    from indexer.search import search
    from indexer.search.export import csv_lines, jsonl_lines

    if args.json:
        args.format = "json"
    try:
        req = _search_request(args)
        result = search(req, args.index)
    except FileNotFoundError as e:
        print(f"timtin: {e}", file=sys.stderr)
        return 3
    except ValueError as e:
        print(f"timtin search: {e}", file=sys.stderr)
        return 2
    if args.format == "json":
        json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    if args.format in ("csv", "jsonl"):
        lines = csv_lines(result.hits, bom=False) if args.format == "csv" else jsonl_lines(result.hits)
        for line in lines:
            sys.stdout.write(line)
        return 0
    print(f"{result.total} results ({result.took_ms:.1f} ms)")
    for i, hit in enumerate(result.hits, (result.page - 1) * result.per_page + 1):
        meta = " · ".join(x for x in (hit.source, hit.category, (hit.published or "")[:10]) if x)
        print(f"\n{i}. {_plain(hit.title_html)}  [{hit.id}]  score {hit.score:.2f}")
        if meta:
            print(f"   {meta}")
        print(f"   {_plain(hit.snippet_html)}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from indexer.evaluate import evaluate, format_report

    if not Path(args.queries).exists():
        print(f"timtin: no such file: {args.queries}", file=sys.stderr)
        return 2
    report = evaluate(args.queries, args.index, limit=args.max_queries, passes=args.passes)
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        print(format_report(report))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from webapp.server import serve

    serve(args.index, host=args.host, port=args.port, workers=args.workers, threads=args.threads,
          read_timeout=args.read_timeout, max_requests=args.max_requests, cluster=args.cluster,
          replicas=args.replicas)
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    """``timtin keys create|list|revoke``: API keys for the web app's write API (``indexer.keys``)."""
    from indexer.keys import KeyStoreError, create_key, keys_path, read_keys, revoke_key

    path = keys_path(args.index)
    try:
        if args.action == "create":
            print(create_key(path, args.name, args.scope))  # the key, once, alone on stdout
            print(f"timtin: key {args.name!r} ({args.scope}) stored in {path}; it is not shown again",
                  file=sys.stderr)
        elif args.action == "revoke":
            revoke_key(path, args.name)
            print(f"timtin: key {args.name!r} revoked", file=sys.stderr)
        else:
            keys = read_keys(path)
            if args.json:
                json.dump([{"name": k.name, "scope": k.scope, "created": k.created} for k in keys], sys.stdout,
                          ensure_ascii=False, indent=2)
                print()
            elif not keys:
                print(f"timtin: no keys in {path}", file=sys.stderr)
            for k in [] if args.json else keys:
                print(f"{k.name}\t{k.scope}\t{k.created}")
    except KeyStoreError as e:
        print(f"timtin: {e}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:
        print(f"timtin: keys file {path}: {e}", file=sys.stderr)
        return 3
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {text!r}")
    return value


def _bounded(low: int, high: int):
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, not {text!r}")
        return int(text)

    return parse


def _day(text: str):
    from datetime import date

    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="timtin", description="Full-text search for Vietnamese news.")
    sub = p.add_subparsers(dest="command", required=True)

    def with_index(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--index", default=default_index_dir(),
                        help="index folder (default: $TIMTIN_INDEX or %(default)s)")

    sp = sub.add_parser("index", help="index .txt/.jsonl/.jsonl.gz/.json/.csv files or folders")
    sp.add_argument("paths", nargs="+")
    with_index(sp)
    sp.add_argument("--strict", action="store_true", help="exit non-zero when any record was skipped")
    sp.add_argument("--procs", type=int, default=_cores(),
                    help="writer processes (default: every core, here %(default)s; per shard)")
    sp.add_argument("--shards", type=_positive, default=None, metavar="N",
                    help="write a sharded index of N shards (an existing sharded index keeps its count)")
    sp.add_argument("--cluster", metavar="ADDRESS",
                    help="analyse on the Ray cluster at ADDRESS (head host:port) and write a sharded index")
    sp.add_argument("--batch", type=_positive, default=1000, metavar="N",
                    help="with --cluster: articles per analysis task (one commit per batch and shard)")
    sp.add_argument("--commit-every", type=int, default=20_000, metavar="N",
                    help="commit after every N articles (each commit is atomic)")
    sp.add_argument("--watch", action="store_true", help="keep indexing new and changed files")
    sp.add_argument("--interval", type=float, default=2.0, help="seconds between --watch scans")
    sp.add_argument("--lock-timeout", type=float, default=30.0,
                    help="seconds to wait for another indexer to finish")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sp.add_argument("--no-merge", action="store_true",
                    help="do not merge small segments in the background afterwards")
    sp.set_defaults(func=cmd_index)

    sp = sub.add_parser("merge", help="merge small segments (searches and indexing carry on meanwhile)")
    with_index(sp)
    sp.add_argument("--all", action="store_true", help="merge every segment into one")
    sp.add_argument("-q", "--quiet", action="store_true")
    sp.set_defaults(func=cmd_merge)

    sp = sub.add_parser("delete", help="remove articles by id")
    sp.add_argument("ids", nargs="+")
    with_index(sp)
    sp.add_argument("--lock-timeout", type=float, default=30.0)
    sp.set_defaults(func=cmd_delete)

    sp = sub.add_parser("search", help="search from the shell")
    sp.add_argument("query")
    with_index(sp)
    sp.add_argument("--limit", type=_bounded(1, 10_000), default=10, metavar="N",
                    help="results per page (default: %(default)s; up to 10000, e.g. for --format csv)")
    sp.add_argument("--page", type=_bounded(1, 10_000), default=1, metavar="N")
    sp.add_argument("--sort", default="relevance", choices=("relevance", "newest", "oldest"))
    sp.add_argument("--source", action="append", metavar="NAME", help="only this source (repeat for several)")
    sp.add_argument("--category", action="append", metavar="NAME", help="only this category (repeat for several)")
    sp.add_argument("--region", action="append", metavar="NAME",
                    help="only this province or city, any spelling, former names too (repeat for several)")
    sp.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD",
                    help="published on or after this day (Vietnam time)")
    sp.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD",
                    help="published on or before this day (Vietnam time)")
    sp.add_argument("--format", default="text", choices=("text", "json", "csv", "jsonl"),
                    help="text (default), one JSON document, or rows: csv / jsonl (the columns of /search.csv)")
    sp.add_argument("--json", action="store_true", help="the same as --format json")
    sp.set_defaults(func=cmd_search)

    sp = sub.add_parser("eval", help="MRR@10, nDCG@10, Recall@10 and latency on judged queries")
    sp.add_argument("--queries", required=True, help="a dev-queries.json file")
    with_index(sp)
    sp.add_argument("--max-queries", type=int, default=None)
    sp.add_argument("--passes", type=int, default=1,
                    help="run the queries N times; latency is from the last (warm-cache) pass")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_eval)

    sp = sub.add_parser("keys", help="create, list or revoke API keys (for the write API)")
    keys = sp.add_subparsers(dest="action", required=True)
    kp = keys.add_parser("create", help="print a new key once on stdout and store its hash")
    kp.add_argument("name", help="who uses it, e.g. cms-hanoi (letters, digits, . _ -)")
    kp.add_argument("--scope", choices=("read", "write"), default="read",
                    help="read: search when TIMTIN_PUBLIC_SEARCH=0; write: also add, replace and delete articles "
                         "(default: %(default)s)")
    with_index(kp)
    kp.set_defaults(func=cmd_keys)
    kp = keys.add_parser("list", help="names, scopes and creation times (never the keys)")
    with_index(kp)
    kp.add_argument("--json", action="store_true")
    kp.set_defaults(func=cmd_keys)
    kp = keys.add_parser("revoke", help="delete a key: requests with it are refused at once")
    kp.add_argument("name")
    with_index(kp)
    kp.set_defaults(func=cmd_keys)

    sp = sub.add_parser("serve", help="serve the search page and JSON API with gunicorn")
    with_index(sp)
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--workers", type=int, default=2, help="processes (default: %(default)s)")
    sp.add_argument("--threads", type=int, default=8, help="search threads per worker (default: %(default)s)")
    sp.add_argument("--read-timeout", type=float, default=10.0, metavar="SECONDS",
                    help="close a connection whose request (line, headers, body) has not arrived whole "
                         "this long after its first byte (default: %(default)s)")
    sp.add_argument("--max-requests", type=int, default=10_000, metavar="N",
                    help="restart a worker after about N requests; 0: never (default: %(default)s)")
    sp.add_argument("--cluster", metavar="ADDRESS",
                    help="search through actors on the Ray cluster at ADDRESS (head host:port); one worker")
    sp.add_argument("--replicas", type=_positive, default=1, metavar="R",
                    help="with --cluster: searcher replicas per shard, on different nodes when possible")
    sp.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("timtin: interrupted", file=sys.stderr)
        return 130
    except RuntimeError as e:  # e.g. an index built by another schema version
        print(f"timtin: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
