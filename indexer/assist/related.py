"""Related articles: the articles closest in content to a given one ("Tin liên quan").

The article's title, lead and the start of its body are reduced to its most distinctive words
(exact forms, so "bão" is not "báo"; weight in the article × IDF, title words counting most,
province names little) plus the adjacent word pairs of its title.  Other articles are scored by
BM25 over those terms, weighted by field as in search and by the word's weight in the article;
they must share two of the words and score a fifth of what the article itself scores.  Results
are cached per index generation and article.  On a sharded index the document frequencies,
document count and average field lengths are summed over the shards, and every shard is scored.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, defaultdict
from pathlib import Path

import numpy as np

from indexer.analysis import pair_key, syllables
from indexer.schema import EXACT, PAIRS, TEXT_PARTS
from indexer.search import CorpusStats, Ranking, bm25
from indexer.store.engine import Snapshot
from indexer.text.clean import display_title
from indexer.text.regions import find_region_mentions

WORDS = 12  # distinctive words taken from the article
BODY_CHARS = 500  # how much of the body is read
FIELD_WEIGHTS = {"title": 3.0, "lead": 1.5, "body": 1.0}  # of a word's occurrences in the article
COMMON_SHARE = 0.1  # words in more than this share of articles (on big indexes) say nothing of a topic
MAX_WEIGHT = 9.0  # a word's weight in the article is capped at three title occurrences
PAIR_WEIGHT = 1.0  # of a title word pair, as in search
PLACE_FACTOR = 0.3  # province names say where, not what: their words weigh less
MIN_SHARED = 2  # words an article must share to count as related
MIN_SCORE = 0.2  # ... and this share of the score the article itself gets
CACHE_SIZE = 4096

_cache: OrderedDict[tuple, list[dict]] = OrderedDict()
_lock = threading.Lock()


def related(index_dir: str | Path, article_id: str, limit: int = 5) -> list[dict]:
    """Up to ``limit`` articles related to ``article_id`` as ``{id, title, url, source, published}``
    dicts, most related first; [] for an unknown id."""
    from indexer.shard.view import open_view

    view = open_view(index_dir)  # one snapshot, or one per shard of a sharded index
    key = (str(Path(index_dir).resolve()), view.generation, article_id, limit)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
    if hit is None:
        found = view.locate(article_id)
        hit = [] if found is None else _related(view.snapshots, found[0], article_id, limit)
        with _lock:
            _cache[key] = hit
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return [dict(d) for d in hit]


def related_in(snap: Snapshot, article_id: str, limit: int = 5) -> list[dict]:
    """``related`` on one snapshot, without the cache."""
    return _related([snap], snap, article_id, limit)


def _related(snaps: list[Snapshot], home: Snapshot, article_id: str, limit: int) -> list[dict]:
    """Related articles over every snapshot of ``snaps`` (the shards); the article is in ``home``."""
    if limit <= 0 or not article_id:
        return []
    docnum = home.searcher.document_number(id=article_id)
    if docnum is None:
        return []
    stored = home.searcher.stored_fields(docnum)
    words, pairs = _query_terms(snaps, stored)
    if not words:
        return []
    rank = Ranking()
    terms = [(EXACT[part], word) for word, _ in words for part in TEXT_PARTS] + [(PAIRS, p) for p in pairs]
    stats = _corpus_stats(snaps, terms)
    scored = []
    for snap in snaps:
        score = np.zeros(snap.size, dtype=np.float32)
        shared = np.zeros(snap.size, dtype=np.int16)
        for word, weight in words:
            present = np.zeros(snap.size, dtype=bool)
            for part in TEXT_PARTS:
                bm25(snap, score, EXACT[part], word, getattr(rank, part) * weight, rank, present, stats)
            shared += present
        for pair in pairs:
            bm25(snap, score, PAIRS, pair, PAIR_WEIGHT, rank, stats=stats)
        scored.append((snap, score, shared))
    home_score = next(score for snap, score, _ in scored if snap is home)
    floor = max(MIN_SCORE * float(home_score[docnum]), 1e-6)  # the article against itself is the yardstick
    ranked: list[tuple[float, int, int]] = []  # (-score, shard, docnum)
    for i, (snap, score, shared) in enumerate(scored):
        ok = (shared >= min(MIN_SHARED, len(words))) & snap.live & (score >= floor)
        if snap is home:
            ok[docnum] = False
        candidates = np.flatnonzero(ok)
        k = min(len(candidates), limit * 4)  # room for dropping duplicates of the article
        if k == 0:
            continue
        top = candidates[np.argpartition(-score[candidates], k - 1)[:k]]
        top = top[np.lexsort((top, -score[top]))]
        ranked.extend((-float(score[d]), i, int(d)) for d in top)
    ranked.sort()
    seen = {_title_key(stored.get("title", ""))}
    stories = {stored.get("group") or article_id}  # story groups (indexer.store.groups) shown or the article's
    out: list[dict] = []
    for _, i, d in ranked[: limit * 4]:
        f = snaps[i].searcher.stored_fields(d)
        title_key = _title_key(f.get("title", ""))
        story = f.get("group") or f["id"]
        if title_key in seen or story in stories:  # the same story published twice
            continue
        seen.add(title_key)
        stories.add(story)
        out.append({"id": f["id"], "title": display_title(f.get("title", "")), "url": f.get("url", ""),
                    "source": f.get("source", ""), "published": f.get("published") or None})
        if len(out) == limit:
            break
    return out


def _corpus_stats(snaps: list[Snapshot], terms: list[tuple[str, str]]) -> CorpusStats | None:
    """Statistics summed over the shards; None for one snapshot (BM25 then reads its own)."""
    if len(snaps) == 1:
        return None
    from indexer.shard.scatter import base_stats, merge_stats

    parts = [base_stats(s) for s in snaps]
    merged = merge_stats(parts)
    df = {t: sum(len(s.postings(*t)[0]) for s in snaps) for t in terms}
    return CorpusStats(merged.doc_count, merged.avg_length, merged.newest, df)


def _title_key(title: str) -> str:
    return " ".join(t.folded for t in syllables(title))


def _query_terms(snaps: list[Snapshot], stored: dict) -> tuple[list[tuple[str, float]], list[str]]:
    """The article's most distinctive words (exact form, query weight), and the word pairs of its title."""
    weight: dict[str, float] = defaultdict(float)
    texts = {"title": stored.get("title", ""), "lead": stored.get("lead", ""),
             "body": stored.get("body", "")[:BODY_CHARS]}
    for part, text in texts.items():
        terms = [t for t in syllables(text) if t.kind == "word"]
        places = {k for i, j, _ in find_region_mentions([t.folded for t in terms]) for k in range(i, j)}
        for k, t in enumerate(terms):
            if len(t.folded) > 1 and not any(c.isdigit() for c in t.folded):
                weight[t.exact] += FIELD_WEIGHTS[part] * (PLACE_FACTOR if k in places else 1.0)
    n = max(sum(s.doc_count for s in snaps), 1)
    common = max(COMMON_SHARE * n, 50)
    scored = []
    for word, w in weight.items():
        df = max(_doc_frequency(snaps, EXACT[part], word) for part in TEXT_PARTS)
        if df <= 1 or df > common:  # only in this article, or in too many
            continue
        scored.append((w * math.log(1.0 + n / df), word, w))
    scored.sort(reverse=True)
    words = [(word, math.sqrt(min(w, MAX_WEIGHT) / FIELD_WEIGHTS["title"])) for _, word, w in scored[:WORDS]]
    title = [t.folded for t in syllables(texts["title"]) if t.kind == "word"]
    pairs = []
    for a, b in zip(title, title[1:]):
        key = pair_key(a, b)
        if _is_place(a, b):
            continue
        if 1 < _doc_frequency(snaps, PAIRS, key) <= common:
            pairs.append(key)
    return words, list(dict.fromkeys(pairs))


def _doc_frequency(snaps: list[Snapshot], fieldname: str, text: str) -> int:
    return sum(s.doc_frequency(fieldname, text) for s in snaps)


def _is_place(a: str, b: str) -> bool:
    return any(j - i == 2 for i, j, _ in find_region_mentions([a, b]))


def clear_cache() -> None:
    with _lock:
        _cache.clear()
