"""Ranking: the weights, the one BM25 function, the scorer of query words and the title re-ranking.

Scores are BM25 sums over the folded title, lead and body fields (title and lead weigh more),
with part of a word's weight on its exact form when the query has diacritics, and word-pair
and compound evidence for words typed next to each other.  The top articles are then re-ranked
by their titles: the query's words in order, adjacent (or nearly adjacent) pairs and exact
forms, each share raised to a power so that near-complete titles gain.
Last, articles published near the first result rise (``near_in_time``): an event's other reports.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from functools import partial
from typing import Any, get_type_hints

import numpy as np

from indexer.analysis import Term, concept_words, pair_key, split_codes, syllables
from indexer.schema import EXACT, FOLDED, NO_DATE, PAIRS, TEXT_PARTS
from indexer.search.ties import IdsOf, article_ids, tie_order
from indexer.store.engine import Snapshot

ENV_PREFIX = "TIMTIN_RANK_"
# analysed titles kept per snapshot for the re-ranking (~1.9 KB each: ~37 MB per process at most);
# the top articles of frequent queries are re-ranked again and again
TITLE_WORDS_KEPT = int(os.environ.get("TIMTIN_TITLE_CACHE", "20000"))


@dataclass(frozen=True)
class Ranking:
    """Ranking weights; tuned on the dev queries (see benchmarks/RESULTS.md)."""

    title: float = 3.0
    lead: float = 1.4  # kept above body ("title and lead count more"); 0 would score +0.5 pt on the dev set
    body: float = 1.33
    exact: float = 0.3  # share of a word's weight given to its exact form, when the query has diacritics
    pairs: float = 1.0
    compounds: float = 0.5
    phrase: float = 2.0
    beside_place: float = 2.0  # per word of a run typed beside a place name, when adjacent in the article
    coverage: float = 16.0  # added per share of the query's words found anywhere (squared)
    title_coverage: float = 6.0  # added per share of the query's words found in the title
    recency: float = 0.5  # at most this much for the newest article, halving every recency_days
    recency_days: float = 365.0
    min_match: float = 0.6  # share of words an article must have (rounded up) to match
    title_order: float = 60.0  # re-ranking: share of the query's words found in order in the title
    title_pairs: float = 60.0  # re-ranking: share of the query's word pairs found adjacent in the title
    title_near_pairs: float = 0.67  # re-ranking: a pair with one word between counts this much of an adjacent one
    title_exact: float = 5.0  # re-ranking: share of the words found in exact form in the title
    title_length: float = 0.0  # re-ranking: penalty per log of the title's length in words
    title_shorter: float = 1.0  # re-ranking: penalty per log of the length of a title holding the query verbatim
    title_power: float = 6.0  # re-ranking: exponent on the shares (higher: only near-complete titles gain)
    rerank_depth: int = 50  # how many top articles the title re-ranking looks at
    # the title re-ranking also looks at the articles of the top this many (beyond ``rerank_depth``)
    # whose title holds every word of the query (a long body can bury the headline a query was typed from)
    rerank_titled: int = 100
    # re-ranking: an article published near the first result gains up to this much, halving every
    # ``event_days`` apart (both dated): an event's reports come out within days of one another
    event_time: float = 40.0
    event_days: float = 5.0
    k1: float = 2.4
    b: float = 0.56

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Ranking:
        """Defaults, overridden by TIMTIN_RANK_<NAME> variables, each read as its field's type.

        Raises ValueError naming the variable when a value is not a finite number (or, for an
        integer field such as ``rerank_depth``, not a whole number).
        """
        env = os.environ if environ is None else environ
        over: dict[str, Any] = {}
        for f in fields(cls):
            name = ENV_PREFIX + f.name.upper()
            raw = env.get(name)
            if raw is not None:
                over[f.name] = _parse(name, raw, _FIELD_TYPES[f.name])
        return replace(cls(), **over)


_FIELD_TYPES: dict[str, type] = get_type_hints(Ranking)


def _parse(name: str, raw: str, kind: type) -> float | int:
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"{name}={raw!r}: expected {what}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name}={raw!r}: expected a finite number")
    return value


@dataclass(frozen=True)
class CorpusStats:
    """Corpus-wide statistics for BM25 and the recency preference, when they are not the snapshot's.

    Each shard of a sharded index is scored with the sums over all shards (``indexer.shard``), so
    that every article gets the score one index holding all the articles would give it.
    """

    doc_count: int
    avg_length: dict[str, float]
    newest: int | None  # newest publication minute; None when no article is dated
    df: dict[tuple[str, str], int]  # document frequency of each (field, text) the query reads
    # sorted keys of the story groups with 2+ articles over all shards (indexer.search.collapse)
    grouped_keys: np.ndarray | None = None


def bm25(snap: Snapshot, score: np.ndarray, fieldname: str, text: str, weight: float, rank: Ranking,
         present: np.ndarray | None = None, stats: CorpusStats | None = None) -> None:
    """Add ``weight`` × the BM25 score of ``text`` in ``fieldname`` to ``score`` (one entry per
    document), using ``rank.k1`` and ``rank.b``; mark the documents holding it in ``present``.

    Document frequency, document count and average field length are the snapshot's, or
    ``stats``'s (corpus-wide, for one shard of a sharded index).
    """
    ids, tf = snap.postings(fieldname, text)
    if not len(ids):
        return
    if stats is None:
        df = len(ids)
        n = max(snap.doc_count, 1)
        avg_length = snap.avg_length
    else:
        df = stats.df.get((fieldname, text), len(ids))
        n = max(stats.doc_count, 1)
        avg_length = stats.avg_length
    idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    k1, b = rank.k1, rank.b
    avg = avg_length.get(fieldname, 1.0)
    # the length normalisation of every document, once per snapshot (elementwise: the same values)
    norm = snap.derived(("bm25 norm", fieldname, k1, b, avg),
                        lambda: k1 * (1.0 - b + b * snap.lengths(fieldname) / avg))[ids]
    score[ids] += (weight * idf * (k1 + 1.0)) * tf / (tf + norm)
    if present is not None:
        present[ids] = True


class Scorer:
    """Accumulates BM25 evidence for one query over one snapshot (statistics: see ``bm25``)."""

    def __init__(self, snap: Snapshot, rank: Ranking, stats: CorpusStats | None = None):
        self.snap = snap
        self.rank = rank
        self.stats = stats
        self.score = np.zeros(snap.size, dtype=np.float32)

    def bm25(self, fieldname: str, text: str, weight: float, present: np.ndarray | None = None) -> None:
        bm25(self.snap, self.score, fieldname, text, weight, self.rank, present, self.stats)

    def word(self, w: Term, weight: float = 1.0, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Add one word's evidence; return (present anywhere, present in the title).

        With ``exact`` (the query has diacritics) part of the word's weight goes to its exact
        form, so "bán" ranks articles with "bán" above those with only "bạn" or "ban".
        """
        size = self.snap.size
        anywhere = np.zeros(size, dtype=bool)
        in_title = np.zeros(size, dtype=bool)
        share = self.rank.exact if exact else 0.0
        for part in TEXT_PARTS:
            part_weight = getattr(self.rank, part) * weight
            self.bm25(FOLDED[part], w.folded, part_weight * (1.0 - share), anywhere)
            if share:
                self.bm25(EXACT[part], w.exact, part_weight * share)
        ids, _ = self.snap.postings(FOLDED["title"], w.folded)
        in_title[ids] = True
        return anywhere, in_title

    def adjacency(self, words: list[Term], weight: float = 1.0, exact: bool = False,
                  breaks: frozenset[int] = frozenset()) -> None:
        """Pair and compound evidence for words typed next to each other (no pair across ``breaks``,
        indices of ``words`` before which a new run starts)."""
        for i, (a, b) in enumerate(zip(words, words[1:])):
            if i + 1 not in breaks:
                self.bm25(PAIRS, pair_key(a.folded, b.folded), self.rank.pairs * weight)
        for n in (2, 3):
            for i in range(len(words) - n + 1):
                if any(k in breaks for k in range(i + 1, i + n)):
                    continue
                run = words[i : i + n]
                for part in ("title", "lead"):
                    part_weight = getattr(self.rank, part) * self.rank.compounds * weight
                    self.bm25(FOLDED[part], "_".join(w.folded for w in run), part_weight)
                    if exact:
                        self.bm25(EXACT[part], "_".join(w.exact for w in run), part_weight * self.rank.exact)


def _in_order(query: list[str], title: list[str]) -> int:
    """Length of the longest common subsequence of two word lists."""
    wanted = set(query)
    title = [t for t in title if t in wanted]  # other words cannot be in it: the same length, less work
    prev = [0] * (len(title) + 1)
    for q in query:
        cur = [0]
        for j, t in enumerate(title):
            cur.append(prev[j] + 1 if q == t else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def _pieces(words: list[Term], breaks: frozenset[int]) -> tuple[list[Term], set[int]]:
    """``words`` as the titles are compared (concepts merged, codes split), and the indices of the
    result before which no pair is formed."""
    out: list[Term] = []
    cut: set[int] = set()
    for i, w in enumerate(words):
        if i in breaks:
            cut.add(len(out))
        out.extend(split_codes(concept_words([w])))
    return out, cut


def _verbatim(query: list[str], title: list[str]) -> bool:
    """True when ``query`` runs, word after word, somewhere in ``title``."""
    n = len(query)
    return any(title[i : i + n] == query for i in range(len(title) - n + 1))


def title_bonuses(snap: Snapshot, docs: np.ndarray, words: list[Term], rank: Ranking,
                  breaks: frozenset[int] = frozenset()) -> np.ndarray:
    """The title re-ranking bonus of each article: how closely its title follows the query's words
    (no pair of words across ``breaks``, indices of ``words``: see ``ParsedQuery.pair_breaks``)."""
    words, cut = _pieces(words, breaks)
    tokens = {w.folded for w in words if w.kind == "concept"}  # only the query's concepts merge in titles
    # words typed with diacritics match only their exact form, the others any form; when at
    # least half the words carry marks, the plain ones mean their exact form too ("vi", not "vì")
    marked = [w.exact for w in words if w.accented]
    exact_words = {w.exact for w in words} if 2 * len(marked) >= len(words) else set(marked)
    qfold = [("=" + w.exact) if w.exact in exact_words else w.folded for w in words]
    qpairs = {(a, b) for i, (a, b) in enumerate(zip(qfold, qfold[1:])) if i + 1 not in cut}
    accented = {w.exact for w in words} if exact_words else set()
    out = np.zeros(len(docs), dtype=np.float64)
    titles = snap.memo("title words", TITLE_WORDS_KEPT)

    def title_words(docnum: int) -> list[Term]:
        return syllables(snap.searcher.stored_fields(docnum).get("title", ""))

    for i, d in enumerate(docs):
        docnum = int(d)
        terms = split_codes(concept_words(titles.get(docnum, partial(title_words, docnum)), tokens))
        tfold = [("=" + t.exact) if t.exact in exact_words else t.folded for t in terms]
        p = rank.title_power
        bonus = rank.title_order * (_in_order(qfold, tfold) / len(qfold)) ** p
        bonus -= rank.title_length * math.log(max(len(tfold), 1))
        if rank.title_shorter and _verbatim(qfold, tfold):
            bonus -= rank.title_shorter * math.log(len(tfold))
        if qpairs:
            adjacent = qpairs & set(zip(tfold, tfold[1:]))
            near = (qpairs & set(zip(tfold, tfold[2:]))) - adjacent  # one word between
            found = len(adjacent) + rank.title_near_pairs * len(near)
            bonus += rank.title_pairs * (found / len(qpairs)) ** p
        if accented:
            bonus += rank.title_exact * (len(accented & {t.exact for t in terms}) / len(accented)) ** p
        out[i] = bonus
    return out


def rerank_titles(snap: Snapshot, docs: np.ndarray, score: np.ndarray, words: list[Term],
                  rank: Ranking, breaks: frozenset[int] = frozenset()) -> tuple[np.ndarray, np.ndarray]:
    """Re-rank the top articles by how closely their titles follow the query's words."""
    if not len(docs) or not words:
        return docs, score[docs]
    new = score[docs].astype(np.float64) + title_bonuses(snap, docs, words, rank, breaks)
    order = tie_order(-new, lambda pos: article_ids(snap, docs[pos]))
    return docs[order], new[order].astype(np.float32)


def near_in_time(docs: np.ndarray, scores: np.ndarray, published: np.ndarray, rank: Ranking,
                 ids_of: IdsOf) -> tuple[np.ndarray, np.ndarray]:
    """The re-ranked ``docs`` (best first, float32 ``scores``) re-ordered after adding, to each article
    published near the first one, ``rank.event_time`` halving every ``rank.event_days`` between them.

    An event's reports come out within days of one another, often in words the query does not use
    ("rút khỏi Basel" for "bỏ giải Swiss Indoors"); among the articles matching the query, those of
    the first result's days are likelier its other reports than older ones on the same subject.
    The first result keeps its place (it gains the most); undated articles gain nothing, and nothing
    changes when the first is undated.  ``published``: minutes (``NO_DATE``) of each of ``docs``;
    ``ids_of``: positions → article ids, for ties.  One index and the merged shards both call it.
    """
    if not rank.event_time or not len(docs) or published[0] == NO_DATE:
        return docs, scores
    days = np.abs(published.astype(np.float64) - float(published[0])) / 1440.0
    bonus = np.where(published != NO_DATE, rank.event_time * np.exp2(-days / rank.event_days), 0.0)
    new = scores.astype(np.float64) + bonus
    order = tie_order(-new, ids_of)
    return docs[order], new[order].astype(np.float32)
