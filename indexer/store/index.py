"""Creating, opening and writing the Whoosh index, with atomic commits and locking."""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeAlias

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.index import FileIndex, LockError
from whoosh.writing import SegmentWriter

from indexer.config import VN_TZ
from indexer.fields import STORED_FIELDS
from indexer.models import Article, Problem
from indexer.schema import (
    EXACT,
    FOLDED,
    FORMAT_VERSION,
    FP_BANDS,
    FP_EXACT,
    GROUP_JOINED,
    GROUP_KEY,
    NO_DATE,
    PAIRS,
    SCHEMA_VERSION,
    TEXT_PARTS,
    build_schema,
)
from indexer.store import patches
from indexer.store.groups import Story, StoryGroups, ensure_story_columns, single
from indexer.text.fingerprint import text_hash
from indexer.text.regions import tag_regions

META_FILE = "timtin.json"


class IndexBusyError(RuntimeError):
    """Another process holds the index's write lock."""


@dataclass
class IndexStats:
    """What an indexing run did."""

    indexed: int = 0  # new articles
    updated: int = 0  # articles whose id was already in the index
    deleted: int = 0
    skipped: int = 0  # problems reported
    problems: list[Problem] = field(default_factory=list)
    grouped: int = 0  # articles that joined the story group of an earlier article (indexer.store.groups)
    grouping_seconds: float = 0.0  # spent finding story groups

    def articles(self, records: Iterable[Article | Problem], on_problem: Callable[[Problem], None] | None = None,
                 on_record: Callable[[], None] | None = None) -> Iterator[Article]:
        """The articles of ``records``; each problem is counted, passed to ``on_problem`` and skipped
        (``on_record`` is called for every record, for a progress bar)."""
        for record in records:
            if on_record:
                on_record()
            if isinstance(record, Problem):
                self.skipped += 1
                self.problems.append(record)
                if on_problem:
                    on_problem(record)
                continue
            yield record

    def count(self, article_id: str, seen: set[str], indexed: bool) -> bool:
        """Count one article written as new or as an update (its id ``indexed`` already, or ``seen``
        earlier in the run, which it joins); True for an update."""
        replaces = article_id in seen or indexed
        if replaces:
            self.updated += 1
        else:
            self.indexed += 1
        seen.add(article_id)
        return replaces

    def summary(self) -> str:
        out = (f"{self.indexed} indexed, {self.updated} updated, {self.deleted} deleted, "
               f"{self.skipped} skipped")
        if self.grouped:
            out += f"; {self.grouped} joined a story told by an earlier article ({self.grouping_seconds:.1f} s)"
        return out


class IndexFormatError(RuntimeError):
    """The index was written in another on-disk format than this timtin reads."""


def format_version(path: Path) -> int | None:
    """The format version an index's meta file records (None if it records none)."""
    meta = read_meta(path)
    found = meta.get("format_version", meta.get("schema_version"))
    return found if isinstance(found, int) else None


def check_format(path: Path) -> None:
    """Stop with a message naming the rebuild command unless the index is in this timtin's format."""
    found = format_version(path)
    if found != FORMAT_VERSION:
        raise IndexFormatError(
            f"the index in {path} has format version {found if found is not None else 'unknown'}, "
            f"but this timtin reads format {FORMAT_VERSION} only. Rebuild it from the articles: "
            f"move or delete {path}, then run `timtin index PATH --index {path}`")


def open_index(index_dir: str | Path, create: bool = True) -> FileIndex:
    """Open the index in ``index_dir``, creating an empty one if allowed and missing.

    Every reader and writer of an index starts here, so this is where timtin's changes to
    Whoosh are installed (``indexer.store.patches``: faster segment writes, zero-copy
    reads), after checking that the installed Whoosh is the version they were tested with.
    """
    patches.install()
    path = Path(index_dir)
    if whoosh_index.exists_in(str(path)):
        check_format(path)
        return whoosh_index.open_dir(str(path))
    if not create:
        raise FileNotFoundError(f"no index in {path}: run `timtin index PATH --index {path}` first")
    path.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(path), build_schema())
    (path / META_FILE).write_text(json.dumps({"format_version": FORMAT_VERSION, "schema_version": SCHEMA_VERSION}))
    return ix


def read_meta(path: Path) -> dict:
    try:
        return json.loads((path / META_FILE).read_text())
    except (OSError, ValueError):
        return {}


def published_minutes(when: datetime | None) -> int:
    """Minutes since the epoch (UTC; naive times are taken as Vietnam time, UTC+7)."""
    if when is None:
        return NO_DATE
    if when.tzinfo is None:
        when = when.replace(tzinfo=VN_TZ)
    return int(when.timestamp() // 60)


def document_fields(article: Article, story: Story | None = None) -> dict:
    """The Whoosh document for one article (stored fields as in ``indexer.fields.STORED_FIELDS``).

    ``story`` is its story group (``indexer.store.groups``); without, a group of its own.
    """
    story = story or single(article)
    made = {  # stored values that are not an Article attribute of the same name
        "published": article.published.isoformat() if article.published else "",
        "region": ",".join(article.regions or tag_regions(article.title, article.lead, article.body,
                                                          article.published)),
        "group": story.group,
    }
    doc = {f.name: made[f.name] if f.name in made else getattr(article, f.name) for f in STORED_FIELDS}
    doc["published_min"] = published_minutes(article.published)
    doc[GROUP_KEY] = text_hash(story.group)
    doc[GROUP_JOINED] = int(story.joined)
    for name, value in zip(FP_BANDS, story.fingerprint.bands):
        doc[name] = value
    doc[FP_EXACT] = story.fingerprint.exact
    doc[PAIRS] = "\n".join((article.title, article.lead, article.body))
    for part in TEXT_PARTS:
        text = getattr(article, part)
        doc[EXACT[part]] = text
        doc[FOLDED[part]] = text
    return {k: v for k, v in doc.items() if v != ""}


# Posting blocks of 1,024 without zlib: search decodes whole posting lists into numpy
# arrays, and per-block unpickling and decompression were half of its cold-cache time.
CODEC_OPTIONS = {"blocklimit": 1024, "compression": 0}


IndexWriter: TypeAlias = SegmentWriter  # what open_writer returns (for type hints outside indexer.store)


def open_writer(ix: FileIndex, timeout: float, procs: int = 1) -> IndexWriter:
    """A writer with timtin's codec, waiting up to ``timeout`` seconds for the write lock."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            codec = W3Codec(**CODEC_OPTIONS)
            if procs > 1:
                return ix.writer(procs=procs, multisegment=True, limitmb=384, codec=codec)
            return ix.writer(limitmb=384, codec=codec)
        except LockError:
            if time.monotonic() >= deadline:
                raise IndexBusyError(
                    "the index is being written by another timtin process; "
                    "wait for it to finish or try again later") from None
            time.sleep(0.2)


def write_articles(
    index_dir: str | Path,
    records: Iterable[Article | Problem],
    *,
    commit_every: int = 20_000,
    lock_timeout: float = 30.0,
    procs: int = 1,
    on_problem: Callable[[Problem], None] | None = None,
    on_record: Callable[[], None] | None = None,
    stories: Mapping[str, Story] | None = None,
) -> IndexStats:
    """Add or replace articles (keyed by id), committing every ``commit_every`` articles.

    Each commit is atomic: a killed run leaves the last committed index readable, and
    running it again replaces what was written instead of duplicating it.  Story groups are
    found in this index (``indexer.store.groups``), unless ``stories`` gives them by id (found
    by the caller over a wider index: ``indexer.cluster.indexing``).
    """
    ix = open_index(index_dir)
    ensure_story_columns(ix, lambda: open_writer(ix, lock_timeout))
    stats = IndexStats()
    seen: set[str] = set()
    with paused_gc():
        writer = open_writer(ix, lock_timeout, procs)
        pending = 0
        current = ix.searcher()  # what story groups look up: the newest commit
        try:
            with ix.searcher() as searcher:
                known = searcher.reader()
                groups = StoryGroups([current.reader()])
                for record in stats.articles(records, on_problem, on_record):
                    replaces = stats.count(record.id, seen, bool(known.doc_frequency("id", record.id)))
                    given = stories.get(record.id) if stories else None
                    add_or_replace(writer, document_fields(record, given or groups.assign(record)), replaces)
                    pending += 1
                    if pending >= commit_every:
                        writer.commit(merge=False)
                        writer, pending = open_writer(ix, lock_timeout, procs), 0
                        current.close()
                        current = ix.searcher()
                        groups.refresh([current.reader()])
            writer.commit(merge=False)  # small segments are merged by indexer.store.merge, off the write lock
            stats.grouped, stats.grouping_seconds = groups.joined, groups.seconds
        except BaseException:
            writer.cancel()
            raise
        finally:
            current.close()
    return stats


def add_or_replace(writer: IndexWriter, fields: dict, replaces: bool) -> None:
    """Write an article, replacing its older version only when it may have one.

    ``update_document`` looks the id up in every committed segment (~40 µs each) before adding:
    a 300k build committing every 20k made 4 million such lookups for ids that cannot be there,
    a cost growing with the square of the build.  A new id (not in the index when the run began,
    not written earlier in the run) is simply added.
    """
    if replaces:
        writer.update_document(**fields)
    else:
        writer.add_document(**fields)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (writer processes forked meanwhile inherit it).

    While a segment is written, its pool holds millions of small arrays, and each collection
    walks all of them: that was ~25 % of indexing time.  Writing makes no reference cycles
    worth collecting (the same peak memory was measured with and without), so the collector
    is off until the run ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def delete_articles(index_dir: str | Path, ids: Iterable[str], lock_timeout: float = 30.0) -> IndexStats:
    """Remove articles by id; unknown ids are reported as problems."""
    ix = open_index(index_dir, create=False)
    stats = IndexStats()
    writer = open_writer(ix, lock_timeout)
    try:
        for doc_id in ids:
            if writer.delete_by_term("id", doc_id):
                stats.deleted += 1
            else:
                stats.skipped += 1
                stats.problems.append(Problem("<delete>", 0, f"no article with id {doc_id!r}"))
        writer.commit(merge=False)
    except BaseException:
        writer.cancel()
        raise
    return stats


def document_count(index_dir: str | Path) -> int:
    ix = open_index(index_dir, create=False)
    return ix.doc_count()


def eprint(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)
