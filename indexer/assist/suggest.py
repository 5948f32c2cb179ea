"""Search-as-you-type completions from the index's headlines.

Two kinds of candidates:

* ``phrase``: n-grams of 2–5 words found in at least ``min_headlines`` headlines, inside one
  clause, not starting or ending with a function word ("của", "và", …), and not always
  part of a longer phrase ("hồ chí" is dropped when "hồ chí minh" has ≥ 90% of its count).
  Counted with numpy, Apriori style: an n-gram is looked at only when its (n-1)-prefix is
  frequent.  Shown with the casing most headlines give them ("miền Trung").
* ``title``: the newest ``recent`` headlines (by published date, else by document order),
  matched from any word that is not a function word.

Matching is diacritic-insensitive on folded keys held in sorted lists (``bisect``); a
trailing partial word is a prefix of the last syllable.  When the prefix is typed with
diacritics, candidates whose exact words agree with the typed accented ones come first.
"""

from __future__ import annotations

import os
import pickle
import threading
from bisect import bisect_left
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import numpy as np

from indexer.analysis import fold, syllables
from indexer.assist.cache import IndexCache
from indexer.assist.ngrams import BITS, MAX_ID, NOCASE, SEP_SENTENCE, TITLE, UPPER, WordEncoder, find_sorted
from indexer.text.clean import display_title

SUGGEST_FILE = "suggest.pkl"
MAX_PREFIX_CHARS = 400  # longer prefixes cannot match a candidate: answered with [] at once
TITLE_KEY_WORDS = 12  # title suffix keys are cut to this many words
RIGHT_CLOSURE, LEFT_CLOSURE = 6, 9  # tenths: see _frequent_phrases
POOL = 200  # candidates per kind re-ranked for diacritic agreement

FUNCTION_WORDS = frozenset(
    "của và là các những được cho với trong để thì mà có bị đã sẽ đang này đó khi từ tại về như một "
    "ở theo nhưng hay hoặc vì do nếu rằng cũng rất lại thế nào gì ai nên còn vẫn đều chỉ ra vào lên "
    "xuống qua sau trước trên dưới giữa bởi nhằm tới đến".split()
)


def _minutes(published: object) -> int | None:
    """Minutes since the epoch of an ISO string / datetime / int, else None."""
    if published is None or published == "":
        return None
    if isinstance(published, int | np.integer):
        return int(published) if published > -(2**31) else None
    if isinstance(published, str):
        try:
            published = datetime.fromisoformat(published)
        except ValueError:
            return None
    if isinstance(published, datetime):
        from indexer.store.index import published_minutes

        return published_minutes(published)
    return None


class _Table:
    """Candidates of one kind behind two sorted key lists (folded and exact)."""

    def __init__(self, folded: list[str], exact: list[str], item: list[int], score: np.ndarray):
        order = sorted(range(len(folded)), key=folded.__getitem__)
        self.fkeys = [folded[i] for i in order]
        self.fitem = np.array([item[i] for i in order], dtype=np.int64)
        self.fscore = score[self.fitem] if len(score) else np.zeros(0)
        order = sorted(range(len(exact)), key=exact.__getitem__)
        self.ekeys = [exact[i] for i in order]
        self.eitem = np.array([item[i] for i in order], dtype=np.int64)
        self.escore = score[self.eitem] if len(score) else np.zeros(0)
        self.max_len = max(map(len, folded), default=0)

    @staticmethod
    def _range(keys: list[str], q: str, partial: bool) -> tuple[int, int]:
        lo = bisect_left(keys, q)
        # complete last word: the key itself or the key followed by more words (" " < "!")
        hi = bisect_left(keys, q + ("\U0010ffff" if partial else "!"), lo)
        return lo, hi

    @staticmethod
    def _top(keys_pos: tuple[int, int], items: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
        """Positions [lo, hi) → the items of the ``k`` best scores (unordered)."""
        lo, hi = keys_pos
        if hi - lo <= k:
            return items[lo:hi]
        part = np.argpartition(-scores[lo:hi], k)[:k]
        return items[lo + part]

    def lookup(self, folded_q: str, exact_q: str | None, partial: bool, k: int = POOL) -> list[int]:
        """Items whose folded (or, when given, exact) key starts with the query."""
        found = self._top(self._range(self.fkeys, folded_q, partial), self.fitem, self.fscore, k)
        if exact_q is not None:
            extra = self._top(self._range(self.ekeys, exact_q, partial), self.eitem, self.escore, k)
            found = np.concatenate([found, extra])
        return list(dict.fromkeys(found.tolist()))


def _agrees(typed: list[tuple[str, bool]], words: list[str], partial: bool) -> bool:
    """Do the candidate's words carry the typed accented words' marks?"""
    for i, (exact, accented) in enumerate(typed):
        if not accented:
            continue
        if i >= len(words):
            return False
        last = partial and i == len(typed) - 1
        if not (words[i].startswith(exact) if last else words[i] == exact):
            return False
    return True


class Suggester:
    """Completions for a typed prefix: frequent headline phrases and recent titles."""

    def __init__(self, phrases: list[tuple[str, int]], titles: list[tuple[str, str]]):
        # phrases: (display text, headline count), titles: (title, id) newest first
        self.phrases = phrases
        self.titles = titles
        self._build_tables()

    def _build_tables(self) -> None:
        folded, exact, item = [], [], []
        for i, (text, _) in enumerate(self.phrases):
            words = [t.exact for t in syllables(text)]
            exact.append(" ".join(words))
            folded.append(" ".join(fold(w) for w in words))
            item.append(i)
        counts = np.array([c for _, c in self.phrases], dtype=np.float64)
        self._phrase_words = exact  # exact key per phrase
        self._ptable = _Table(folded, exact, item, counts)
        folded, exact, item = [], [], []
        self._title_words: list[list[str]] = []
        self._title_starts: list[int] = []  # per key: word offset in its title
        n = len(self.titles)
        t_item: list[int] = []
        for i, (title, _) in enumerate(self.titles):
            terms = syllables(title)
            words = [t.exact for t in terms]
            self._title_words.append(words)
            for j, w in enumerate(words):
                if j and (w in FUNCTION_WORDS or not w[:1].isalnum()):
                    continue
                cut = words[j : j + TITLE_KEY_WORDS]
                exact.append(" ".join(cut))
                folded.append(" ".join(fold(x) for x in cut))
                item.append(len(t_item))
                t_item.append(i)
                self._title_starts.append(j)
        # score per key: recency, and a match from the first word beats one inside
        scores = np.array([(n - t_item[k]) + (n if self._title_starts[k] == 0 else 0) for k in range(len(t_item))],
                          dtype=np.float64)
        self._title_of_key = t_item
        self._ttable = _Table(folded, exact, item, scores)
        self._tscores = scores

    # -- building --------------------------------------------------------------------------

    @classmethod
    def build(cls, items: Iterable[tuple[str, object, str]], min_headlines: int = 3, max_words: int = 5,
              recent: int = 2000) -> Suggester:
        """Build from ``(title, published, id)`` triples (published: minutes, ISO string, datetime or None)."""
        enc = WordEncoder()
        ends: list[int] = []
        dated: list[tuple[int, int]] = []  # (minutes, order)
        meta: list[tuple[str, str]] = []
        for order, (title, published, doc_id) in enumerate(items):
            title = (title or "").strip()
            meta.append((title, str(doc_id)))
            if title:
                enc.add(title)
            ends.append(len(enc.stream))
            minutes = _minutes(published)
            dated.append((minutes if minutes is not None else -(2**62), order))
        phrases = _frequent_phrases(np.array(enc.stream, dtype=np.int64), np.array(ends, dtype=np.int64),
                                    enc.words(), enc.spellings(), min_headlines, max_words)
        dated.sort(reverse=True)
        titles = [meta[o] for _, o in dated[:recent] if meta[o][0]]
        return cls(phrases, titles)

    # -- persistence --------------------------------------------------------------------

    def save(self, path: str | Path, generation: int = 0) -> None:
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump({"generation": generation, "phrases": self.phrases, "titles": self.titles}, fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> tuple[Suggester, int]:
        with open(path, "rb") as fh:
            d = pickle.load(fh)
        return cls(d["phrases"], d["titles"]), int(d["generation"])

    # -- completion ---------------------------------------------------------------------

    def complete(self, prefix: str, limit: int = 10) -> list[dict]:
        """Up to ``limit`` completions of ``prefix``: phrases by frequency, then recent titles."""
        if not prefix or limit <= 0 or len(prefix) > MAX_PREFIX_CHARS or not prefix.strip():
            return []
        terms = syllables(prefix)
        if not terms:
            return []
        partial = terms[-1].end == len(prefix)
        folded_q = " ".join(t.folded for t in terms)
        accented = any(t.accented for t in terms)
        exact_q = " ".join(t.exact for t in terms) if accented else None
        typed = [(t.exact, t.accented) for t in terms]

        phrases: list[tuple[tuple, dict]] = []
        if folded_q and len(folded_q) <= self._ptable.max_len:
            for i in self._ptable.lookup(folded_q, exact_q, partial):
                text, count = self.phrases[i]
                tier = 0 if not accented or _agrees(typed, self._phrase_words[i].split(" "), partial) else 1
                phrases.append(((tier, -count, i), {"text": text, "kind": "phrase"}))
        titles: list[tuple[tuple, dict]] = []
        if folded_q and len(folded_q) <= self._ttable.max_len:
            seen: set[int] = set()
            keys = sorted(self._ttable.lookup(folded_q, exact_q, partial),
                          key=lambda k: -self._tscores[k])
            for k in keys:
                t = self._title_of_key[k]
                if t in seen:
                    continue
                seen.add(t)
                start = self._title_starts[k]
                words = self._title_words[t][start:]
                tier = 0 if not accented or _agrees(typed, words, partial) else 1
                title, doc_id = self.titles[t]
                titles.append(((tier, start != 0, t), {"text": display_title(title), "kind": "title", "id": doc_id}))
        phrases.sort(key=lambda p: p[0])
        titles.sort(key=lambda p: p[0])
        n_titles = min(len(titles), max(1, limit // 3) if phrases else limit)
        chosen = [p for _, p in phrases[: limit - n_titles]]
        out: list[dict] = []
        seen_text: set[str] = set()
        for d in chosen + [t for _, t in titles]:
            key = d["text"].lower()
            if key in seen_text:
                continue
            seen_text.add(key)
            out.append(d)
            if len(out) >= limit:
                break
        if len(out) < limit:  # titles ran short: fill with more phrases
            for _, d in phrases[limit - n_titles :]:
                if d["text"].lower() not in seen_text:
                    seen_text.add(d["text"].lower())
                    out.append(d)
                    if len(out) >= limit:
                        break
        return out


def _distinct_counts(keys: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and the number of distinct groups (headlines) each occurs in."""
    order = np.lexsort((groups, keys))
    k, g = keys[order], groups[order]
    first = np.ones(len(k), dtype=bool)
    first[1:] = (k[1:] != k[:-1]) | (g[1:] != g[:-1])
    return np.unique(k[first], return_counts=True)


def _word_ids(tables: list[dict], level: int) -> np.ndarray:
    """Word ids (entries × n) of the n-grams of ``tables[level]``, walking prefix pointers."""
    t = tables[level]
    n = t["n"]
    out = np.zeros((len(t["keys"]), n), dtype=np.int64)
    k = t["keys"]
    for j in range(n - 1, 0, -1):
        out[:, j] = k & MAX_ID
        prefix = k >> BITS
        if j == 1:
            out[:, 0] = prefix
        else:
            k = tables[j - 2]["keys"][prefix]  # prefix indexes the table of (j)-grams
    return out


def _frequent_phrases(stream: np.ndarray, ends: np.ndarray, words: list[str], spellings: list[str],
                      min_headlines: int, max_words: int) -> list[tuple[str, int]]:
    """(display text, headline count) of the frequent phrases of an encoded title stream."""
    if not len(stream) or not words:
        return []
    is_word = stream >= 0
    ids = np.where(is_word, stream >> 2, 0)
    style = stream & 3
    initial = np.ones(len(stream), dtype=bool)
    initial[1:] = stream[:-1] == SEP_SENTENCE
    style = np.where(initial | ~is_word, NOCASE, style)  # a title's first word says nothing about casing
    title_of = np.searchsorted(ends, np.arange(len(stream)), side="right")
    function = np.array([w in FUNCTION_WORDS for w in words], dtype=bool)
    n_tok = len(stream)

    # level n: per position, the index of the n-gram starting there in the level's table (-1: none);
    # an n-gram key is (index of its (n-1)-prefix << BITS) | last word id
    tables: list[dict] = []
    pos_idx = np.where(is_word, ids, -1)  # level 1: the word id itself
    for n in range(2, max_words + 1):
        ok = np.zeros(n_tok, dtype=bool)
        ok[: n_tok - n + 1] = (pos_idx[: n_tok - n + 1] >= 0) & is_word[n - 1 :]
        starts = np.flatnonzero(ok)
        if not len(starts):
            break
        keys = (pos_idx[starts] << BITS) | ids[starts + n - 1]
        uniq, counts = _distinct_counts(keys, title_of[starts])
        keep = counts >= min_headlines
        uniq, counts = uniq[keep], counts[keep]
        if not len(uniq):
            break
        idx, found = find_sorted(uniq, keys)
        pos_idx = np.full(n_tok, -1, dtype=np.int64)
        pos_idx[starts[found]] = idx[found]
        tables.append({"n": n, "keys": uniq, "counts": counts, "starts": starts[found], "idx": idx[found]})
    if not tables:
        return []

    # whole phrases only: drop an n-gram usually continued by one word ("đại hội đại" → "đại biểu",
    # >= 60% of its count) or nearly always preceded by one ("chí minh" ← "hồ", >= 90%)
    for lower, upper in zip(tables, tables[1:]):
        right = np.zeros(len(lower["keys"]), dtype=np.int64)
        np.maximum.at(right, upper["keys"] >> BITS, upper["counts"])
        left = np.zeros(len(lower["keys"]), dtype=np.int64)
        later = np.full(n_tok, -1, dtype=np.int64)  # the n-gram one word later
        later[lower["starts"]] = lower["idx"]
        inner = later[np.minimum(upper["starts"] + 1, n_tok - 1)]
        ok = inner >= 0
        np.maximum.at(left, inner[ok], upper["counts"][upper["idx"][ok]])
        lower["closed"] = (right * 10 < lower["counts"] * RIGHT_CLOSURE) & (left * 10 < lower["counts"] * LEFT_CLOSURE)
    tables[-1]["closed"] = np.ones(len(tables[-1]["keys"]), dtype=bool)

    # casing: how often each word of a phrase was capitalised where its casing means something
    cap = ((style == TITLE) | (style == UPPER)).astype(np.float64)
    known = (style != NOCASE).astype(np.float64)
    known_word = np.bincount(ids, weights=known, minlength=len(words))
    upper_word = np.bincount(ids, weights=(style == UPPER), minlength=len(words))
    has_letter = np.array([any(c.isalpha() for c in w) for w in words], dtype=bool)
    out: list[tuple[str, int]] = []
    for level, t in enumerate(tables):
        n = t["n"]
        wid = _word_ids(tables, level)
        keep = t["closed"] & ~function[wid[:, 0]] & ~function[wid[:, -1]] & has_letter[wid[:, 0]]
        entries = np.flatnonzero(keep)
        if not len(entries):
            continue
        capped = np.stack([np.bincount(t["idx"], weights=cap[t["starts"] + j], minlength=len(keep))
                           for j in range(n)], axis=1)
        knowns = np.stack([np.bincount(t["idx"], weights=known[t["starts"] + j], minlength=len(keep))
                           for j in range(n)], axis=1)
        for e in entries.tolist():
            parts = []
            for j in range(n):
                w_id = int(wid[e, j])
                w = spellings[w_id]
                if capped[e, j] * 2 > knowns[e, j] > 0:
                    w = w.upper() if upper_word[w_id] * 2 > known_word[w_id] else w[:1].upper() + w[1:]
                parts.append(w)
            out.append((" ".join(parts), int(t["counts"][e])))
    return out


# -- per-index cache ------------------------------------------------------------------------


def _suggester_from_snapshot(view) -> Suggester:
    from indexer.shard.view import iter_stored

    # every shard of a sharded index, each through a private searcher (this scan runs beside requests)
    items = ((f.get("title") or "", int(snap.published[docnum]) if docnum < len(snap.published) else None,
              f.get("id", "")) for snap, docnum, f in iter_stored(view))
    return Suggester.build(items)


def _save(s: Suggester, path: Path, generation: int) -> None:
    s.save(path, generation)


_suggesters: IndexCache[Suggester] = IndexCache(_suggester_from_snapshot, SUGGEST_FILE, _save, Suggester.load)


def suggester_for(index_dir: str | Path, wait: bool = False) -> Suggester:
    """The Suggester of an index: cached, persisted, rebuilt when the index changes."""
    return _suggesters.get(index_dir, wait=wait)
