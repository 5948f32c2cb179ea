"""Which articles match a parsed query, and their scores before the title re-ranking.

An article matches when it has the required words (all of them for one or two word groups,
``Ranking.min_match`` of them for more; most of them when none has all), its phrases and none
of the excluded words.  Its *strong* match (``Matched.strong``) is stricter: every group of the
query present (an acronym's expansion or a province's other name counts), each word typed with
diacritics in that exact form, and, for a query of several words, some of them side by side as
typed (two consecutive words, or a phrase, name or alternative of several): "giá vàng" and not
"giá" here and "vàng" (a gold medal) there.  The date sorts list and the facets count only those.

The score adds to the BM25 evidence (``indexer.search.ranking``) the phrase bonus, the coverage
of the query's words (in the title above all) and a mild preference for recent articles.
Acronym and province-name alternatives come from ``indexer.search.query`` and weigh less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from indexer.analysis import Term, pair_key
from indexer.schema import EXACT, FOLDED, NO_DATE, PAIRS, TEXT_PARTS
from indexer.search.phrase import phrase_docs
from indexer.search.query import Item, ParsedQuery, required
from indexer.search.ranking import CorpusStats, Ranking, Scorer
from indexer.store.engine import Snapshot

PHRASE_CHECK_LIMIT = 2000  # candidates checked against positions; beyond this, pair adjacency decides


def adjacent_mask(snap: Snapshot, words: tuple[Term, ...]) -> np.ndarray:
    """Documents with every consecutive pair of ``words`` adjacent (folded): a cheap phrase test."""
    mask = np.ones(snap.size, dtype=bool)
    for a, b in zip(words, words[1:]):
        mask &= snap.term_mask(PAIRS, pair_key(a.folded, b.folded))
    return mask


def phrase_mask(snap: Snapshot, item: Item) -> np.ndarray:
    """Documents where the item's words are adjacent (exact forms when typed with diacritics).

    Candidates come from the word-pair field (every consecutive pair adjacent, folded), with
    the exact words present when typed with diacritics; phrases of 3 to 8 words with at most
    2,000 candidates are confirmed with positions.  Otherwise the candidates are the answer:
    exact for two words typed without diacritics, very close for the rest.
    """
    words = item.words
    exact = item.accented
    candidates = adjacent_mask(snap, words) & snap.live
    if exact:
        for w in words:
            candidates &= word_mask(snap, w, exact=True)
    ids = np.flatnonzero(candidates)
    if len(words) == 2 or len(words) > 8 or not len(ids) or len(ids) > PHRASE_CHECK_LIMIT:
        return candidates  # two words: the pair field is the phrase; otherwise too costly to confirm
    confirmed = np.zeros(snap.size, dtype=bool)
    for part in TEXT_PARTS:
        if exact and part != "body":
            fieldname, terms = EXACT[part], [w.exact for w in words]
        else:  # the body keeps exact counts only: folded positions plus the exact words above
            fieldname, terms = FOLDED[part], [w.folded for w in words]
        try:
            confirmed[phrase_docs(snap, fieldname, terms, ids)] = True
        except Exception:  # a positions problem must not fail the search: keep the candidates
            return candidates
    return confirmed


def word_mask(snap: Snapshot, w: Term, exact: bool) -> np.ndarray:
    """Documents holding the word anywhere (its exact form, or any form)."""
    mask = np.zeros(snap.size, dtype=bool)
    for part in TEXT_PARTS:
        fieldname, text = (EXACT[part], w.exact) if exact else (FOLDED[part], w.folded)
        mask[snap.postings(fieldname, text)[0]] = True
    return mask


def recency_bonus(snap: Snapshot, rank: Ranking, stats: CorpusStats | None = None) -> np.ndarray | None:
    """Each article's preference for recent articles (None when there is none), computed once per
    snapshot and weights: at most ``rank.recency`` for the newest article (the corpus's newest with
    ``stats``), halving every ``rank.recency_days``; 0 for undated articles."""
    if not rank.recency or not snap.published.size:
        return None
    newest = None if stats is None else stats.newest
    return snap.derived(("recency", rank.recency, rank.recency_days, newest),
                        lambda: _recency_bonus(snap.published, rank, newest))


def _recency_bonus(published: np.ndarray, rank: Ranking, newest: int | None) -> np.ndarray | None:
    dated = published != NO_DATE
    if not dated.any():
        return None
    if newest is None:
        newest = published[dated].max()
    age_days = (newest - published) / 1440.0
    return np.where(dated, rank.recency * np.exp2(-age_days / rank.recency_days), 0.0)


@dataclass
class Matched:
    score: np.ndarray
    matched: np.ndarray  # before filters
    relaxed: bool  # no article had all the words, so articles with most of them match
    # before filters: articles with every group of the query (an alternative counts), each word
    # typed with diacritics in that exact form; what the date sorts list and the facets count
    strong: np.ndarray
    # articles whose title holds every group of the query (an alternative counts): also re-ranked
    # by their titles beyond the top ``Ranking.rerank_depth`` (``Ranking.rerank_titled``)
    titled: np.ndarray | None = None
    # articles holding some group of the query only through an alternative timtin added (a former
    # province's name, an acronym's other spelling): never lifted by the event-time re-ranking
    stand_in: np.ndarray | None = None


def match(snap: Snapshot, parsed: ParsedQuery, rank: Ranking, stats: CorpusStats | None = None) -> Matched:
    """The articles matching ``parsed`` and every article's score (before the title re-ranking).

    ``stats``: corpus-wide statistics for one shard of a sharded index (default: the snapshot's).
    """
    scorer = Scorer(snap, rank, stats)
    size = snap.size
    cover = np.zeros(size, dtype=np.float32)
    title_cover = np.zeros(size, dtype=np.float32)
    required_mask = np.ones(size, dtype=bool)
    strong = np.ones(size, dtype=bool)
    typed = parsed.typed_words()
    exact = any(w.accented for w in typed)  # the query was typed with diacritics
    # some of the query's words side by side: two words typed next to each other, or the words of
    # a phrase, a province's name or an alternative ("giá vàng", not "giá" and "vàng" apart)
    near = np.zeros(size, dtype=bool)
    for first, second in zip(typed, typed[1:]):
        near |= snap.term_mask(PAIRS, pair_key(first.folded, second.folded))
    stand_in = np.zeros(size, dtype=bool)
    for group in parsed.groups:
        anywhere = np.zeros(size, dtype=bool)
        # where the group's words are as typed, when it has alternatives (None: everywhere it is found)
        as_typed = np.zeros(size, dtype=bool) if any(item.expansion for item in group) else None
        in_title = np.zeros(size, dtype=bool)
        group_strong = np.zeros(size, dtype=bool)
        for item in group:
            if item.after is not None:  # counts only in articles published from then on
                kept_score = scorer.score.copy()
            item_any = np.ones(size, dtype=bool)
            item_title = np.ones(size, dtype=bool)
            for w in item.words:
                a, t = scorer.word(w, item.weight, exact and not item.expansion)
                item_any &= a
                item_title &= t
            if item.phrase:
                pm = adjacent_mask(snap, item.words) if item.expansion else phrase_mask(snap, item)
                scorer.score[pm] += rank.phrase * len(item.words) * item.weight
                item_any &= pm
            if item is not group[0] and len(item.words) > 1:
                scorer.adjacency(list(item.words), item.weight)
            if item.after is not None:
                in_time = snap.published >= item.after  # undated articles (NO_DATE) are not
                scorer.score = np.where(in_time, scorer.score, kept_score)
                item_any &= in_time
                item_title &= in_time
            item_strong = item_any.copy()
            if not item.expansion and not item.phrase:  # phrases typed with diacritics are exact already
                for w in item.words:
                    if w.accented:
                        item_strong &= word_mask(snap, w, exact=True)
            if len(item.words) > 1 and len(typed) > 1:
                near |= item_any if item.phrase else item_any & adjacent_mask(snap, item.words)
            anywhere |= item_any
            if as_typed is not None and not item.expansion:
                as_typed |= item_any
            in_title |= item_title
            group_strong |= item_strong
        cover += anywhere
        if as_typed is not None:
            stand_in |= anywhere & ~as_typed
        title_cover += in_title
        strong &= group_strong
        if required(group):
            required_mask &= anywhere
    scorer.adjacency(parsed.typed_words(), exact=exact, breaks=parsed.pair_breaks())
    for run in parsed.beside_places():
        scorer.score[adjacent_mask(snap, run)] += rank.beside_place * len(run)
    n = len(parsed.groups)
    share = cover / n
    score = scorer.score + rank.coverage * share * share + rank.title_coverage * (title_cover / n)
    bonus = recency_bonus(snap, rank, stats)
    if bonus is not None:
        score += bonus
    matched = required_mask & (cover >= (n if n <= 2 else math.ceil(rank.min_match * n)))
    relaxed = False
    if not matched.any() and n > 1:
        matched = required_mask & (cover >= 1)
        relaxed = True
    strong &= required_mask & snap.live
    if len(typed) > 1:
        strong &= near
    for item in parsed.excluded:
        if item.phrase:
            kept = ~phrase_mask(snap, item)
        else:
            kept = ~word_mask(snap, item.words[0], exact=item.accented)
        matched &= kept
        strong &= kept
    return Matched(score.astype(np.float32), matched, relaxed, strong, titled=title_cover >= n,
                   stand_in=stand_in)
