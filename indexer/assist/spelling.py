"""Typo correction for "Có phải bạn muốn tìm …": one edit per word, joined or split syllables.

Learned from the diacritic model's counts (``indexer.assist.diacritics``), folded: how often each
word and each pair of adjacent words occurs in the index.  A query's words are folded; each word
gets as candidates itself and the known words one edit away (insertion, deletion, substitution or
transposition of a letter, found through a SymSpell-style index of one-letter deletions); a word
may also be split into two known words ("hanoi" → "ha noi") and two words joined into one ("gi a" →
"gia").  A Viterbi search over these candidates with an interpolated bigram model, each edit
costing ``EDIT_COST``, picks the most likely query; it is suggested only when it beats the query as
typed by ``MIN_GAIN`` (a query that is already right keeps its words).

    >>> corrector = SpellingCorrector(model)       # doctest: +SKIP
    >>> corrector.correct("gia vag hom nay")       # doctest: +SKIP
    ['gia', 'vang', 'hom', 'nay']
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from dataclasses import dataclass

import numpy as np

from indexer.analysis import fold, has_diacritics, syllables
from indexer.assist.diacritics import DiacriticModel
from indexer.assist.ngrams import BITS, MAX_ID, lookup_sorted

EDIT_COST = 7.0  # log-probability cost of one edit (chosen on the "choose" half, benchmarks/typo_suggest.py)
MIN_GAIN = 0.5  # a correction must be this much more likely than the query as typed (log)
MIN_COUNT = 3  # words seen fewer times are not offered as corrections
MAX_CANDIDATES = 24  # per word, the most frequent
MAX_WORDS = 24  # longer queries are not corrected
BEAM = 48  # states kept per position
LAMBDA = 0.8  # weight of the bigram estimate (the rest: unigram)
LAMBDA3 = 0.6  # weight of the trigram estimate (the rest: the bigram model)
UNKNOWN_FACTOR = math.exp(-6.0)  # a word the index never saw is this much less likely than one seen once
# splitting a word that cannot be one syllable ("hanoi": two vowel groups) costs this instead of
# EDIT_COST: such a word is mostly two syllables typed together, even when the index has it (URLs,
# English names)
JOINED_SPLIT_COST = 0.0
_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")
# a well-formed folded syllable: onset, one to three vowels, coda ("nguyen", "quoc", "bao"; not "vag")
_SYLLABLE_RE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?")
# below this many words of text, a well-formed syllable the index lacks is taken as meant, not as a
# typo: a model learned from a handful of articles (a new index of the seeds) lacks most words
MIN_TOKENS = 50_000


def several_syllables(word: str) -> bool:
    """True when the folded ``word`` has two vowel groups, so it cannot be one Vietnamese syllable
    (a syllable is onset, one run of vowels, coda: "nguyen", "quy" and "gia" are one)."""
    return len(_VOWEL_GROUP_RE.findall(word)) >= 2


def well_formed(word: str) -> bool:
    """True when the folded ``word`` is built as a Vietnamese syllable (it may still be a typo)."""
    return _SYLLABLE_RE.fullmatch(word) is not None


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _osa1(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one insertion, deletion, substitution or transposition."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


@dataclass(frozen=True)
class _Out:
    """One word of a correction: its folded form and the typed words (indices) it comes from."""

    word: str
    source: tuple[int, ...]
    changed: bool


class SpellingCorrector:
    """Folded unigram and bigram counts of an index, and the candidate index of its words."""

    def __init__(self, model: DiacriticModel):
        d = model.data
        folds = [fold(w) for w in model.words]
        self.vocab: list[str] = sorted(set(folds))
        self.fid: dict[str, int] = {w: i for i, w in enumerate(self.vocab)}
        ids = np.array([self.fid[f] for f in folds], dtype=np.int64)
        vf = len(self.vocab)
        self.count = np.bincount(ids, weights=d.uni, minlength=vf).astype(np.float64) if vf else np.zeros(0)
        self.total = max(float(self.count.sum()), 1.0)
        keys = ids[d.bi_keys >> BITS] * max(vf, 1) + ids[d.bi_keys & MAX_ID] if len(d.bi_keys) else ids[:0]
        uniq, inverse = np.unique(keys, return_inverse=True)
        self.bi_keys = uniq
        self.bi_counts = np.bincount(inverse, weights=d.bi_counts, minlength=len(uniq)).astype(np.float64)
        self.vf = max(vf, 1)
        if len(d.tri_keys):
            t = d.tri_keys
            tkeys = (ids[t >> (2 * BITS)] * self.vf + ids[(t >> BITS) & MAX_ID]) * self.vf + ids[t & MAX_ID]
            tuniq, tinv = np.unique(tkeys, return_inverse=True)
            self.tri_keys = tuniq
            self.tri_counts = np.bincount(tinv, weights=d.tri_counts, minlength=len(tuniq)).astype(np.float64)
        else:
            self.tri_keys, self.tri_counts = np.zeros(0, dtype=np.int64), np.zeros(0)
        self._p_floor = 0.5 / (self.total + self.vf)
        self._p_unknown = self._p_floor * UNKNOWN_FACTOR
        self.deletes: dict[str, list[int]] = {}
        for i, w in enumerate(self.vocab):
            if self.count[i] < MIN_COUNT or not w.isalpha():
                continue
            for key in _deletes(w) | {w}:
                self.deletes.setdefault(key, []).append(i)

    # -- model ----------------------------------------------------------------------------

    def known(self, word: str) -> bool:
        i = self.fid.get(word)
        return i is not None and self.count[i] >= MIN_COUNT

    def _uni(self, ids: np.ndarray) -> np.ndarray:
        c = np.where(ids >= 0, self.count[np.maximum(ids, 0)], 0.0)
        return np.where(c > 0, (c + 0.5) / (self.total + self.vf), self._p_unknown)

    def logp(self, prev: np.ndarray, cur: np.ndarray, prev2: np.ndarray | None = None) -> np.ndarray:
        """log P(cur | prev2 prev) for arrays of folded ids (-1: unknown word or no context)."""
        uni = self._uni(cur)
        known = (prev >= 0) & (cur >= 0)
        keys = np.where(known, np.maximum(prev, 0) * self.vf + np.maximum(cur, 0), -1)
        bi = lookup_sorted(self.bi_keys, self.bi_counts, keys).astype(np.float64) if len(self.bi_keys) else \
            np.zeros(keys.shape)
        hist = np.where(prev >= 0, self.count[np.maximum(prev, 0)], 0.0)
        p = np.where(hist > 0, LAMBDA * bi / np.maximum(hist, 1.0) + (1 - LAMBDA) * uni, uni)
        if prev2 is not None and len(self.tri_keys):
            ok = known & (prev2 >= 0)
            tkeys = np.where(ok, (np.maximum(prev2, 0) * self.vf + np.maximum(prev, 0)) * self.vf
                             + np.maximum(cur, 0), -1)
            tri = lookup_sorted(self.tri_keys, self.tri_counts, tkeys).astype(np.float64)
            h2 = self._bigram(prev2, prev)
            p = np.where(ok & (h2 > 0), LAMBDA3 * tri / np.maximum(h2, 1.0) + (1 - LAMBDA3) * p, p)
        return np.log(np.maximum(p, self._p_unknown))

    def _bigram(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        keys = np.where((a >= 0) & (b >= 0), np.maximum(a, 0) * self.vf + np.maximum(b, 0), -1)
        return lookup_sorted(self.bi_keys, self.bi_counts, keys).astype(np.float64) if len(self.bi_keys) else \
            np.zeros(keys.shape)

    def candidates(self, word: str) -> list[str]:
        """``word`` and the known words one edit away, most frequent first (only ``word`` when the
        model is too small to call a well-formed syllable it lacks a typo)."""
        if not word.isalpha() or (self.total < MIN_TOKENS and well_formed(word)):
            return [word]
        found: set[int] = set()
        for key in _deletes(word) | {word}:
            found.update(self.deletes.get(key, ()))
        near = [i for i in found if self.vocab[i] != word and _osa1(word, self.vocab[i])]
        near.sort(key=lambda i: -self.count[i])
        return [word] + [self.vocab[i] for i in near[:MAX_CANDIDATES]]

    def _id(self, word: str) -> int:
        return self.fid.get(word, -1)

    # -- search ---------------------------------------------------------------------------

    def _options(self, words: list[str], i: int) -> list[tuple[int, list[_Out], float]]:
        """Ways to read the typed words from ``i``: (words consumed, output words, cost)."""
        w = words[i]
        out: list[tuple[int, list[_Out], float]] = []
        for c in self.candidates(w):
            out.append((1, [_Out(c, (i,), c != w)], EDIT_COST * (c != w)))
        if w.isalpha() and len(w) >= 4:
            split_cost = JOINED_SPLIT_COST if several_syllables(w) else EDIT_COST
            for k in range(2, len(w) - 1):
                left, right = w[:k], w[k:]
                if self.known(left) and self.known(right):
                    out.append((1, [_Out(left, (i,), True), _Out(right, (i,), True)], split_cost))
            for k in range(2, len(w) - 2):  # a space typed as a letter: "trizbat" → "tri bat"
                left, right = w[:k], w[k + 1 :]
                if self.known(left) and self.known(right):
                    out.append((1, [_Out(left, (i,), True), _Out(right, (i,), True)], EDIT_COST))
        if i + 1 < len(words) and (w + words[i + 1]).isalpha():
            joined = w + words[i + 1]
            if self.known(joined):
                out.append((2, [_Out(joined, (i, i + 1), True)], EDIT_COST))
            for k in range(1, len(joined)):  # the space typed one letter off: "ha iphong" → "hai phong"
                if abs(k - len(w)) == 1 and self.known(joined[:k]) and self.known(joined[k:]):
                    out.append((2, [_Out(joined[:k], (i, i + 1), True), _Out(joined[k:], (i, i + 1), True)],
                                EDIT_COST))
        return out

    def _score(self, outs: list[_Out], prev: int) -> tuple[float, int]:
        total = 0.0
        prev2 = -1
        for o in outs:
            cur = self._id(o.word)
            total += float(self.logp(np.array([prev]), np.array([cur]), np.array([prev2]))[0])
            prev, prev2 = cur, prev
        return total, prev

    def correct(self, words: list[str]) -> list[_Out] | None:
        """The most likely reading of the folded ``words`` when it differs from them (else None)."""
        n = len(words)
        if not n or n > MAX_WORDS:
            return None
        # Viterbi: states[i] maps the last output word's id to (score, outputs) after i typed words;
        # an unknown last word gets a key of its own (below -2) and no context
        states: list[dict[int, tuple[float, list[_Out]]]] = [dict() for _ in range(n + 1)]
        states[0][-2] = (0.0, [])
        for i in range(n):
            if not states[i]:
                continue
            beam = sorted(states[i].items(), key=lambda kv: -kv[1][0])[:BEAM]
            lasts = np.array([last if last >= 0 else -1 for last, _ in beam], dtype=np.int64)
            befores = np.array([self._id(v[1][-2].word) if len(v[1]) > 1 else -1 for _, v in beam], dtype=np.int64)
            scores = np.array([v[0] for _, v in beam])
            options = self._options(words, i)
            first = np.array([self._id(outs[0].word) for _, outs, _ in options], dtype=np.int64)
            # (beam, options): the first output word of each option after each state
            gain = self.logp(lasts[:, None], first[None, :], befores[:, None]) + scores[:, None]
            best_state = gain.argmax(axis=0)
            best = gain[best_state, np.arange(len(options))]
            for k, (consumed, outs, cost) in enumerate(options):
                total = float(best[k]) - cost
                prev, prev2 = int(first[k]), int(lasts[best_state[k]])
                for o in outs[1:]:
                    cur = self._id(o.word)
                    total += float(self.logp(np.array([prev]), np.array([cur]), np.array([prev2]))[0])
                    prev, prev2 = cur, prev
                slot = states[i + consumed]
                key = prev if prev >= 0 else -3 - len(slot)
                if key not in slot or slot[key][0] < total:
                    slot[key] = (total, beam[int(best_state[k])][1][1] + outs)
        if not states[n]:
            return None
        best_score, path = max(states[n].values(), key=lambda v: v[0])
        if not any(o.changed for o in path):
            return None
        typed, _ = self._score([_Out(w, (i,), False) for i, w in enumerate(words)], -1)
        if best_score < typed + MIN_GAIN:
            return None
        return path


def did_you_mean(model: DiacriticModel, corrector: SpellingCorrector, query: str) -> str | None:
    """The suggestion for ``query``: its typos corrected (diacritics restored for the corrected words,
    and for the whole query when it was typed without them), or None when it has no typo."""
    terms = syllables(query)
    if not terms or len(terms) > MAX_WORDS:
        return None
    fixed = corrector.correct([t.folded for t in terms])
    if fixed is None:
        return None
    folded = [o.word for o in fixed]
    restored = model.restore_words(folded)
    accented = has_diacritics(query)
    pieces: list[str] = []
    for o, r in zip(fixed, restored):
        if not o.changed and accented:
            t = terms[o.source[0]]
            pieces.append(query[t.start : t.end])
        else:
            pieces.append(r)
    return " ".join(pieces)


_correctors: weakref.WeakKeyDictionary[DiacriticModel, SpellingCorrector] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def corrector_for(model: DiacriticModel) -> SpellingCorrector:
    """The corrector of a diacritic model (built once per model, ~1 s on 100k articles)."""
    with _lock:
        hit = _correctors.get(model)
        if hit is None:
            hit = _correctors[model] = SpellingCorrector(model)
        return hit


def log_prob_gap(corrector: SpellingCorrector, a: list[str], b: list[str]) -> float:
    """How much more likely (log) the folded words ``b`` are than ``a`` (for tuning and tests)."""
    sa, _ = corrector._score([_Out(w, (i,), False) for i, w in enumerate(a)], -1)
    sb, _ = corrector._score([_Out(w, (i,), False) for i, w in enumerate(b)], -1)
    return sb - sa if math.isfinite(sa) and math.isfinite(sb) else 0.0
