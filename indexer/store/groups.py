"""Story groups at indexing: each article gets the group of an indexed article telling the same story.

Where a group lives
    Every article stores ``group``: the id of the first article of its story (its own id when it
    was the first, or alone), and four kinds of int64 columns (``indexer.schema.STORY_COLUMNS``):
    ``group_key`` (``text_hash`` of ``group``, what search collapses on), ``group_joined`` (1
    when the article joined an earlier article's group: the keys of joined articles are the
    groups of two or more articles), and its fingerprint (``indexer.text.fingerprint``): the
    ``BANDS`` MinHash band values ``fp0`` … and the hash of its normalised text ``fp_exact``.
    Nothing is kept outside the index: a group is written in the same atomic commit as its
    articles, and a reader of any commit sees consistent groups.

How an article finds its group (``StoryGroups.assign``)
    The fingerprint columns of every live article of the index (of every shard of a sharded
    index) are read into one sorted array when a writer starts (16 MB for 100k articles) and
    looked up by the new article's band values and text hash (``numpy.searchsorted``): the
    candidates are the articles sharing a band or the text.  Each candidate is checked on its
    stored text (``same_story``: identical normalised text, or shingle resemblance ≥ 0.8 with
    no numbers of its own; a candidate with the article's own text hash is an identical text,
    so only its id and group are read); the article joins the group of the most similar one, or
    starts its own group.  Articles written earlier in the same run and not yet committed are looked up
    in memory; after each commit the table is read again from the index.

Incremental indexing, re-indexing and deletes
    An article added later joins the group of an earlier duplicate whenever it is indexed, in
    the same or a later run.  Groups are never rewritten: re-indexing an article (same id)
    assigns its group anew from its new text (its old version is not a candidate), and the
    other members keep theirs; deleting the first article of a group leaves the others in it
    (the group id is a name, not a reference).  Near-duplication is not transitive, so a group
    is "the articles that resemble its first article or another member closely", decided in
    indexing order.  Indexes written before groups existed get the columns on their next
    write (``ensure_story_columns``); their older articles are singletons (no fingerprint)
    until they are indexed again: ``timtin index`` of the same files groups them.

On-disk format
    No new format version: the story fields are Whoosh's own types (``STORED``, ``NumericColumn``),
    so the pickled names of ``indexer.store.ondisk`` do not change, and a missing column reads as 0
    ("no group": every article alone), so indexes of format 2 built before groups open and search
    as before.

Sharded indexes
    ``indexer.shard.write`` looks up the columns of every shard, so a group spans shards (its
    articles live in the shards of their ids).  At search time each shard sends the keys of its
    joined articles in round 1, the coordinator passes their union back in round 2, and each shard
    collapses the groups of two or more articles over all shards (``indexer.shard.coordinator``).
    Indexing on a Ray cluster (``indexer.cluster.indexing``): the driver, which reads every
    article and routes it to its shard, finds the groups over all shards (its pending articles are
    never committed during the run: ~4 KB each in its memory) and sends them with the batches.
"""

from __future__ import annotations

import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from whoosh.fields import STORED, FieldType
from whoosh.index import FileIndex
from whoosh.writing import SegmentWriter

from indexer.models import Article
from indexer.schema import FP_BANDS, FP_EXACT, STORY_COLUMNS, story_columns
from indexer.store.internals import fixed_column_bytes
from indexer.text.fingerprint import Fingerprint, fingerprint, same_story

LOOKUP_COLUMNS = (*FP_BANDS, FP_EXACT)
MAX_CHECKED = 50  # candidates checked on their text per article


@dataclass(frozen=True)
class Story:
    """What an article stores about its story group (``indexer.store.index.document_fields``)."""

    group: str
    joined: bool
    fingerprint: Fingerprint

    def lookup_values(self) -> tuple[int, ...]:
        return (*self.fingerprint.bands, self.fingerprint.exact)

    def stored(self) -> Story:
        """What the index stores of it (no shingles or numbers: light to send to another process)."""
        empty = np.zeros(0, dtype=np.uint32)
        return Story(self.group, self.joined, Fingerprint(self.fingerprint.exact, empty, empty,
                                                          self.fingerprint.bands))


def single(article: Article) -> Story:
    """The story of an article in a group of its own."""
    return Story(article.id, False, fingerprint(article.title, article.lead, article.body))


def ensure_story_columns(ix: FileIndex, open_writer: Callable[[], SegmentWriter]) -> None:
    """Add the story columns to an index created before they existed (one commit without articles)."""
    missing = [name for name in (*STORY_COLUMNS, "group") if name not in ix.schema]
    if not missing:
        return
    writer = open_writer()
    try:
        fields: dict[str, FieldType] = {**story_columns(), "group": STORED()}
        for name in missing:
            writer.add_field(name, fields[name])
        writer.commit(merge=False)
    except BaseException:
        writer.cancel()
        raise


def _column(leaf, name: str, dtype: str) -> np.ndarray:
    n = leaf.doc_count_all()
    out = np.zeros(n, dtype=np.int64)
    if name in leaf.schema and leaf.has_column(name):
        values = np.frombuffer(fixed_column_bytes(leaf.column_reader(name, translate=False)), dtype=dtype)
        out[: len(values)] = values
    return out


@dataclass
class _Pending:
    id: str
    story: Story


class StoryGroups:
    """The lookup table of the committed articles of one or more indexes (the shards), plus this run's."""

    def __init__(self, readers: Sequence) -> None:
        self.readers = list(readers)
        self.replaced: set[str] = set()  # ids written since the table was read: their versions in it are outdated
        self._pending: dict[int, list[_Pending]] = defaultdict(list)
        self._latest: dict[str, _Pending] = {}
        self._checked: OrderedDict[tuple[int, int], tuple[str, str, Fingerprint]] = OrderedDict()
        self.compared = 0  # candidate pairs checked on their text
        self.joined = 0  # articles that joined an earlier article's group
        self.checked_now = 0  # candidates checked for the article being assigned
        self.seconds = 0.0  # spent finding groups (assign and reading the table), for benchmarks
        self._load()

    def _load(self) -> None:
        started = time.perf_counter()
        values, docs, shards, exacts = [], [], [], []
        for i, reader in enumerate(self.readers):
            for leaf, offset in reader.leaf_readers():
                n = leaf.doc_count_all()
                if not n:
                    continue
                live = np.ones(n, dtype=bool)
                if leaf.has_deletions():
                    live[[d for d in range(n) if leaf.is_deleted(d)]] = False
                exact = _column(leaf, FP_EXACT, ">i8")
                for name in LOOKUP_COLUMNS:
                    col = exact if name == FP_EXACT else _column(leaf, name, ">i8")
                    keep = live & (col != 0)
                    values.append(col[keep])
                    docs.append(np.flatnonzero(keep) + offset)
                    shards.append(np.full(int(keep.sum()), i, dtype=np.int32))
                    exacts.append(exact[keep])
        if values:
            v = np.concatenate(values)
            order = np.argsort(v, kind="stable")
            self._values = v[order]
            self._docs = np.concatenate(docs)[order]
            self._shards = np.concatenate(shards)[order]
            self._exacts = np.concatenate(exacts)[order]  # the text hash of each row's article
        else:
            self._values = np.zeros(0, dtype=np.int64)
            self._docs = np.zeros(0, dtype=np.int64)
            self._shards = np.zeros(0, dtype=np.int32)
            self._exacts = np.zeros(0, dtype=np.int64)
        self.seconds += time.perf_counter() - started

    @property
    def nbytes(self) -> int:
        """Memory held by the table of committed articles."""
        return self._values.nbytes + self._docs.nbytes + self._shards.nbytes + self._exacts.nbytes

    def refresh(self, readers: Sequence) -> None:
        """After a commit: read the table from the new readers, forget this run's pending articles."""
        self.readers = list(readers)
        self.replaced.clear()  # the committed versions are the latest now
        self._pending.clear()
        self._latest.clear()
        self._checked.clear()
        self._load()

    def _committed(self, shard: int, docnum: int) -> tuple[str, str, Fingerprint]:
        """(id, group, fingerprint) of a committed article, from its stored text (a few are cached)."""
        key = (shard, docnum)
        got = self._checked.get(key)
        if got is not None:
            self._checked.move_to_end(key)
            return got
        stored = self.readers[shard].stored_fields(docnum)
        got = (stored["id"], stored.get("group") or stored["id"],
               fingerprint(stored.get("title", ""), stored.get("lead", ""), stored.get("body", "")))
        self._checked[key] = got
        if len(self._checked) > 4096:
            self._checked.popitem(last=False)
        return got

    def _committed_copy(self, shard: int, docnum: int, fp: Fingerprint) -> tuple[str, str, Fingerprint]:
        """``_committed`` for an article whose text hash is that of ``fp``: the same text, so its
        fingerprint is ``fp``'s (only its id and group are read; a copy is never fingerprinted again)."""
        got = self._checked.get((shard, docnum))
        if got is not None:
            return got
        stored = self.readers[shard].stored_fields(docnum)
        return stored["id"], stored.get("group") or stored["id"], fp

    def assign(self, article: Article) -> Story:
        """The story group of ``article`` (indexed next), remembered for the rest of the run.

        The text's hash is looked up first: an identical text ends the search.  At most
        ``MAX_CHECKED`` candidates are checked on their text (a template shared by hundreds of
        articles costs no more than that).
        """
        started = time.perf_counter()
        mine = single(article)
        best: tuple[float, str] | None = None
        seen: set[tuple[int, int]] = set()
        for value in (mine.fingerprint.exact, *mine.fingerprint.bands):
            if not value or (best is not None and best[0] >= 1.0) or self.checked_now >= MAX_CHECKED:
                continue
            lo = int(np.searchsorted(self._values, value, side="left"))
            hi = int(np.searchsorted(self._values, value, side="right"))
            for shard, docnum, exact in zip(self._shards[lo:hi].tolist(), self._docs[lo:hi].tolist(),
                                            self._exacts[lo:hi].tolist()):
                if (shard, docnum) in seen or self.checked_now >= MAX_CHECKED:
                    continue
                seen.add((shard, docnum))
                if exact == mine.fingerprint.exact:
                    other = self._committed_copy(shard, docnum, mine.fingerprint)
                else:
                    other = self._committed(shard, docnum)
                if other[0] in self.replaced or other[0] == article.id:  # outdated, or this article's old version
                    continue
                best = self._better(best, mine.fingerprint, other[2], other[1])
                if best is not None and best[0] >= 1.0:
                    break
            for entry in self._pending.get(value, ()):
                if (best is not None and best[0] >= 1.0) or self.checked_now >= MAX_CHECKED:
                    break
                if entry.id == article.id or self._latest.get(entry.id) is not entry:
                    continue
                best = self._better(best, mine.fingerprint, entry.story.fingerprint, entry.story.group)
        self.checked_now = 0
        story = mine if best is None else Story(best[1], True, mine.fingerprint)
        self.joined += story.joined
        self.replaced.add(article.id)
        entry = _Pending(article.id, story)
        self._latest[article.id] = entry
        for value in story.lookup_values():
            if value:
                self._pending[value].append(entry)
        self.seconds += time.perf_counter() - started
        return story

    def _better(self, best: tuple[float, str] | None, mine: Fingerprint, other: Fingerprint,
                group: str) -> tuple[float, str] | None:
        self.compared += 1
        self.checked_now += 1
        score = same_story(mine, other)
        if score <= 0:
            return best
        if best is None or score > best[0] or (score == best[0] and group < best[1]):
            return (score, group)
        return best
