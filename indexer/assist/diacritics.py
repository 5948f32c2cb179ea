"""Restoring diacritics of queries typed without them ("Có phải bạn muốn tìm …").

The model is learned from the indexed articles themselves: counts of every exact
(accented, lower-case) word, and of exact word bigrams and trigrams inside clauses.  A
folded query word's candidates are the exact words that fold to it; a Viterbi search over
those candidates with a Witten-Bell interpolated trigram model picks the most likely
accented query.  The casing of proper nouns ("miền Trung", "Hà Nội") is learned too.

Counting is vectorised: words become integer ids in one pass over the text, and n-grams
are counted with numpy (``np.unique`` over packed int64 keys; see :mod:`indexer.assist.ngrams`).
The model is stored as one ``.npz`` file in the index folder, keyed by index generation (see
:class:`~indexer.assist.cache.IndexCache`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.analysis import has_diacritics, syllables
from indexer.assist.cache import IndexCache
from indexer.assist.ngrams import (
    BITS,
    LOWER,
    NOCASE,
    SEP_SENTENCE,
    TITLE,
    UPPER,
    WordEncoder,
    find_sorted,
    lookup_sorted,
)

MODEL_FILE = "diacritics.npz"
BODY_CHARS = 300  # how much of each body is learned from (titles and leads are used whole)
MAX_CANDIDATES = 8  # exact forms considered per folded word
CHUNK_TOKENS = 2_000_000  # n-grams are counted per chunk of this many tokens, then merged
MAX_READING_WORDS = 32
BOUND_MIN_COUNT = 3  # a word pair seen this often ...
BOUND_PMI = 3.0  # ... and this much more often than by chance (log) is one unit of a reading


def _is_syllable(exact: str) -> bool:
    """Plain words (no digits or code punctuation) get learned casing and candidates."""
    return exact.isalpha()


def _history_stats(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For n-gram keys (sorted): distinct histories, their total counts and continuation types."""
    hist = keys >> BITS
    uniq, start, types = np.unique(hist, return_index=True, return_counts=True)
    totals = np.add.reduceat(counts, start) if len(start) else np.zeros(0, dtype=np.int64)
    return uniq, totals.astype(np.int64), types.astype(np.int64)


def _merge(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Sum counted (keys, counts, ...) parts into one, keys sorted and unique."""
    if len(parts) == 1:
        return parts[0]
    keys = np.concatenate([p[0] for p in parts])
    uniq, inv = np.unique(keys, return_inverse=True)
    columns = [np.bincount(inv, weights=np.concatenate([p[i] for p in parts]), minlength=len(uniq)).astype(np.int64)
               for i in range(1, len(parts[0]))]
    return (uniq, *columns)


class _Counts:
    """Unigram, bigram and trigram counts of an encoded stream, accumulated chunk by chunk."""

    def __init__(self, trigrams: bool):
        self.trigrams = trigrams
        self.tokens = 0
        self.uni: list[np.ndarray] = []  # per chunk: bincount of ids, and of cased occurrences
        self.bi: list[tuple[np.ndarray, ...]] = []  # (keys, counts, capitalised counts)
        self.tri: list[tuple[np.ndarray, ...]] = []  # (keys, counts)

    def add(self, s: np.ndarray) -> None:
        if not len(s):
            return
        is_word = s >= 0
        ids = np.where(is_word, s >> 2, 0)
        style = (s & 3).astype(np.int8)
        self.tokens += int(is_word.sum())
        # casing: occurrences not at a sentence start and not in ALL-CAPS text
        initial = np.ones(len(s), dtype=bool)
        initial[1:] = s[:-1] == SEP_SENTENCE
        cased_ok = is_word & ~initial & (style != NOCASE)
        cid, cst = ids[cased_ok], style[cased_ok]
        self.uni.append(_stack_counts([ids[is_word], cid, cid[cst == TITLE], cid[cst == UPPER]]))
        ok2 = is_word[:-1] & is_word[1:]
        keys2 = (ids[:-1][ok2] << BITS) | ids[1:][ok2]
        cap = ((style[1:] == TITLE) | (style[1:] == UPPER))[ok2]
        k, c = np.unique(keys2, return_counts=True)
        kc, cc = np.unique(keys2[cap], return_counts=True)
        self.bi.append((k, c, lookup_sorted(kc, cc, k)))
        del keys2, cap
        if self.trigrams and len(s) > 2:
            ok3 = ok2[:-1] & is_word[2:]
            keys3 = (ids[:-2][ok3] << (2 * BITS)) | (ids[1:-1][ok3] << BITS) | ids[2:][ok3]
            self.tri.append(np.unique(keys3, return_counts=True))
        if len(self.bi) >= 4:  # keep few parts in memory
            self.bi = [_merge(self.bi)]
            if self.tri:
                self.tri = [_merge(self.tri)]

    def finish(self, words: list[str], min_count: int, spellings: list[str]) -> _Arrays:
        V = max(len(words), 1)
        uni = np.zeros((4, V), dtype=np.int64)
        for u in self.uni:
            uni[:, : u.shape[1]] += u
        empty = (np.zeros(0, dtype=np.int64),) * 3
        bi_keys, bi_counts, bi_cased = _merge(self.bi) if self.bi else empty
        self.bi = []
        hist, hcount, htypes = _history_stats(bi_keys, bi_counts)
        h1_count = np.zeros(V, dtype=np.int64)
        h1_types = np.zeros(V, dtype=np.int64)
        h1_count[hist] = hcount
        h1_types[hist] = htypes
        keep = bi_counts >= min_count
        bi_keys, bi_counts, bi_cased = bi_keys[keep], bi_counts[keep], bi_cased[keep]
        h2_count = np.zeros(len(bi_keys), dtype=np.int64)
        h2_types = np.zeros(len(bi_keys), dtype=np.int64)
        tri_keys, tri_counts = _merge(self.tri) if self.tri else empty[:2]
        self.tri = []
        if len(tri_keys):
            hist, hcount, htypes = _history_stats(tri_keys, tri_counts)
            idx, found = find_sorted(bi_keys, hist)
            h2_count[idx[found]] = hcount[found]
            h2_types[idx[found]] = htypes[found]
            keep = tri_counts >= min_count
            tri_keys, tri_counts = tri_keys[keep], tri_counts[keep]
        i32 = np.int32
        return _Arrays(words, spellings, uni[0], uni[1:].T.astype(i32).copy(), h1_count.astype(i32),
                       h1_types.astype(i32), bi_keys, bi_counts.astype(i32), bi_cased.astype(i32), h2_count.astype(i32),
                       h2_types.astype(i32), tri_keys, tri_counts.astype(i32))


def _stack_counts(arrays: list[np.ndarray]) -> np.ndarray:
    n = max((int(a.max()) + 1 for a in arrays if len(a)), default=0)
    return np.stack([np.bincount(a, minlength=n) for a in arrays], axis=0)


@dataclass
class _Arrays:
    """Everything the model stores (all numpy arrays, so it saves as one .npz)."""

    words: list[str]
    spellings: list[str]  # usual lower-case spelling per word id (same exact form)
    uni: np.ndarray  # count per word id
    uni_cased: np.ndarray  # (non-initial occurrences, Title, UPPER) per word id, shape (V, 3)
    h1_count: np.ndarray  # per word id as a bigram history: total count and distinct continuations
    h1_types: np.ndarray
    bi_keys: np.ndarray  # sorted a*V+b
    bi_counts: np.ndarray
    bi_cased: np.ndarray  # occurrences where b was capitalised (not sentence-initial)
    h2_count: np.ndarray  # per bigram (aligned with bi_keys) as a trigram history
    h2_types: np.ndarray
    tri_keys: np.ndarray  # sorted (a*V+b)*V+c
    tri_counts: np.ndarray


class DiacriticModel:
    """Folded → accented restoration learned from a corpus (see module docstring)."""

    def __init__(self, data: _Arrays, meta: dict | None = None):
        self.data = data
        self.meta = dict(meta or {})
        self.V = len(data.words)
        self.total = max(float(data.uni.sum()), 1.0)
        self.words = data.words
        self._p_uni = data.uni.astype(np.float64) / self.total
        self.candidates: dict[str, np.ndarray] = {}
        by_fold: dict[str, list[int]] = {}
        from indexer.analysis import fold

        for wid in np.flatnonzero(data.uni):
            w = data.words[wid]
            by_fold.setdefault(fold(w), []).append(int(wid))
        for f, ids in by_fold.items():
            ids.sort(key=lambda i: -data.uni[i])
            top = data.uni[ids[0]]
            kept = [i for i in ids[:MAX_CANDIDATES] if data.uni[i] >= 2 or data.uni[i] * 50 >= top]
            self.candidates[f] = np.array(kept, dtype=np.int64)

    # -- building -------------------------------------------------------------------

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 2, trigrams: bool = True) -> DiacriticModel:
        """Learn from ``texts`` (titles, leads, body beginnings); n-grams seen < ``min_count`` are dropped."""
        t0 = time.perf_counter()
        enc = WordEncoder()
        counts = _Counts(trigrams)
        for text in texts:
            if text:
                enc.add(text)
                if len(enc.stream) >= CHUNK_TOKENS:
                    counts.add(enc.take())
        counts.add(enc.take())
        data = counts.finish(enc.words(), min_count, enc.spellings())
        meta = {"tokens": counts.tokens, "build_seconds": round(time.perf_counter() - t0, 2)}
        return cls(data, meta)

    # -- persistence -----------------------------------------------------------------

    def save(self, path: str | Path, **meta: object) -> None:
        """Write the model to ``path`` (.npz) atomically, with ``meta`` (e.g. the generation)."""
        path = Path(path)
        d = self.data
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        words = np.frombuffer("\n".join(d.words).encode("utf-8"), dtype=np.uint8)
        spellings = np.frombuffer("\n".join(d.spellings).encode("utf-8"), dtype=np.uint8)
        with open(tmp, "wb") as fh:
            np.savez(fh, words=words, spellings=spellings, uni=d.uni, uni_cased=d.uni_cased, h1_count=d.h1_count,
                     h1_types=d.h1_types, bi_keys=d.bi_keys, bi_counts=d.bi_counts, bi_cased=d.bi_cased,
                     h2_count=d.h2_count, h2_types=d.h2_types, tri_keys=d.tri_keys, tri_counts=d.tri_counts,
                     meta=np.frombuffer(json.dumps({**self.meta, **meta}).encode(), dtype=np.uint8))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> DiacriticModel:
        with np.load(path) as z:
            words, spellings = (z[k].tobytes().decode("utf-8").split("\n") if len(z["uni"]) else []
                                for k in ("words", "spellings"))
            arrays = {k: z[k] for k in z.files if k not in ("words", "spellings", "meta")}
            meta = json.loads(z["meta"].tobytes().decode()) if "meta" in z.files else {}
        return cls(_Arrays(words=words, spellings=spellings, **arrays), meta)

    def nbytes(self) -> int:
        """Approximate size of the stored arrays."""
        d = self.data
        arrays = [d.uni, d.uni_cased, d.h1_count, d.h1_types, d.bi_keys, d.bi_counts, d.bi_cased,
                  d.h2_count, d.h2_types, d.tri_keys, d.tri_counts]
        return sum(a.nbytes for a in arrays) + sum(len(w) + 1 for w in d.words) * 2

    # -- scoring ------------------------------------------------------------------------

    def _p_bi(self, h1: np.ndarray, w: np.ndarray) -> np.ndarray:
        d = self.data
        pu = self._p_uni[w]
        c = lookup_sorted(d.bi_keys, d.bi_counts, (h1 << BITS) | w)
        ch, th = d.h1_count[h1], d.h1_types[h1]
        return np.where(ch > 0, (c + th * pu) / np.maximum(ch + th, 1), pu)

    def _p_tri(self, h2: np.ndarray, h1: np.ndarray, w: np.ndarray) -> np.ndarray:
        d = self.data
        pb = self._p_bi(h1, w)
        if len(d.tri_keys) == 0:
            return pb
        hk = (h2 << BITS) | h1
        idx, found = find_sorted(d.bi_keys, hk)
        ch = np.where(found, d.h2_count[idx], 0)
        th = np.where(found, d.h2_types[idx], 0)
        c = lookup_sorted(d.tri_keys, d.tri_counts, (hk << BITS) | w)
        return np.where(ch > 0, (c + th * pb) / np.maximum(ch + th, 1), pb)

    def _decode(self, cands: list[np.ndarray]) -> list[int]:
        """Viterbi over candidate word ids (trigram states: pairs of adjacent candidates)."""
        c0 = cands[0]
        first = np.log(self._p_uni[c0])
        if len(cands) == 1:
            return [int(c0[np.argmax(first)])]
        c1 = cands[1]
        delta = first[:, None] + np.log(self._p_bi(c0[:, None], c1[None, :]))  # (k0, k1)
        backs: list[np.ndarray] = []
        for i in range(2, len(cands)):
            a, b, c = cands[i - 2], cands[i - 1], cands[i]
            lp = np.log(self._p_tri(a[:, None, None], b[None, :, None], c[None, None, :]))
            total = delta[:, :, None] + lp  # (ka, kb, kc)
            backs.append(total.argmax(axis=0))
            delta = total.max(axis=0)
        best_j, best_k = np.unravel_index(int(delta.argmax()), delta.shape)
        j, k = int(best_j), int(best_k)
        path = [k, j]
        for back in reversed(backs):
            a_idx = int(back[j, k])
            path.append(a_idx)
            j, k = a_idx, j
        path.reverse()
        return [int(cands[i][p]) for i, p in enumerate(path)]

    def _casing(self, prev: int | None, wid: int) -> int:
        """LOWER, TITLE or UPPER: the usual casing of word ``wid`` after word ``prev``."""
        d = self.data
        word = self.words[wid]
        if not _is_syllable(word):
            return LOWER
        n, title, upper = (int(x) for x in d.uni_cased[wid])
        capital = n > 0 and (title + upper) * 2 > n
        if prev is not None:
            key = (np.int64(prev) << BITS) | wid
            idx, found = find_sorted(d.bi_keys, np.array([key]))
            if found[0] and d.bi_counts[idx[0]] >= 2:
                capital = int(d.bi_cased[idx[0]]) * 2 > int(d.bi_counts[idx[0]])
        if not capital:
            return LOWER
        return UPPER if upper > title else TITLE

    # -- public API ------------------------------------------------------------------------

    def restore_ids(self, folded_words: list[str]) -> list[int | None]:
        """Best word id per folded word (None for unknown words, which break the context)."""
        out: list[int | None] = [None] * len(folded_words)
        run: list[int] = []
        for i in range(len(folded_words) + 1):
            cand = self.candidates.get(folded_words[i].lower()) if i < len(folded_words) else None
            if cand is not None and len(cand):
                run.append(i)
                continue
            if run:
                for pos, wid in zip(run, self._decode([self.candidates[folded_words[p].lower()] for p in run])):
                    out[pos] = wid
                run = []
        return out

    def restore_words(self, folded_words: list[str]) -> list[str]:
        """Most likely accented form of each folded word (lower case, usual spelling); unknown words unchanged."""
        ids = self.restore_ids(folded_words)
        return [w if wid is None else self.data.spellings[wid] for w, wid in zip(folded_words, ids)]

    def reading(self, query: str) -> str | None:
        """The exact words the reader most likely meant by a query typed without diacritics, those
        bound to their neighbour (a frequent, strongly associated pair: "bóng đá", "việt nam") joined
        by "_": ``"bong da viet nam"`` → ``"bóng_đá việt_nam"``.  None when the query has diacritics,
        has a single word, or has a word the model does not know (the reading is not confident)."""
        if not query or not query.strip() or has_diacritics(query):
            return None
        terms = syllables(query)[:MAX_READING_WORDS]
        if len(terms) < 2:
            return None
        ids = self.restore_ids([t.folded for t in terms])
        if any(wid is None for wid in ids):
            return None
        d = self.data
        units: list[list[str]] = []
        prev: int | None = None
        for term, prev_term, wid in zip(terms, [None, *terms], ids):
            assert wid is not None
            word = self.words[wid]
            if prev is not None and prev_term is not None and prev_term.pos + 1 == term.pos:
                key = np.array([(np.int64(prev) << BITS) | wid])
                count = int(lookup_sorted(d.bi_keys, d.bi_counts, key)[0])
                if count >= BOUND_MIN_COUNT and \
                        np.log(count * self.total / (float(d.uni[prev]) * float(d.uni[wid]))) >= BOUND_PMI:
                    units[-1].append(word)
                    prev = wid
                    continue
            units.append([word])
            prev = wid
        return " ".join("_".join(u) for u in units)

    def restore(self, query: str, proper_case: bool = True) -> str | None:
        """The query with diacritics restored, or None (already accented, unknown or unchanged).

        The user's casing is mirrored when the query has capitals; an all lower-case query
        gets the learned casing of proper nouns when ``proper_case``.
        """
        if not query or not query.strip() or has_diacritics(query):
            return None
        terms = syllables(query)
        if not terms:
            return None
        folded = [t.folded for t in terms]
        # a clause break in the query breaks the context too
        ids: list[int | None] = []
        start = 0
        for i in range(1, len(terms) + 1):
            if i == len(terms) or terms[i].pos != terms[i - 1].pos + 1:
                ids.extend(self.restore_ids(folded[start:i]))
                start = i
        if all(wid is None for wid in ids):
            return None
        user_cased = any(c.isupper() for c in query)
        pieces: list[str] = []
        pos = 0
        changed = False
        prev: int | None = None
        for term, wid in zip(terms, ids):
            raw = query[term.start : term.end]
            pieces.append(query[pos : term.start])
            pos = term.end
            if wid is None or not _is_syllable(self.words[wid]):
                pieces.append(raw)
                prev = wid
                continue
            exact = self.data.spellings[wid]
            if self.words[wid] != term.folded:
                changed = True
            if user_cased:
                pieces.append(_mirror_case(raw, exact))
            elif proper_case:
                style = self._casing(prev, wid)
                pieces.append(exact.upper() if style == UPPER else exact[:1].upper() + exact[1:]
                              if style == TITLE else exact)
            else:
                pieces.append(exact)
            prev = wid
        pieces.append(query[pos:])
        return "".join(pieces) if changed else None


def _mirror_case(raw: str, exact: str) -> str:
    """``exact`` with the capitals of the typed word ``raw`` ("Ha" + "hà" → "Hà")."""
    if len(raw) != len(exact):
        return exact.upper() if raw.isupper() else exact[:1].upper() + exact[1:] if raw[:1].isupper() else exact
    return "".join(e.upper() if r.isupper() else e for r, e in zip(raw, exact))


# -- texts of an index ------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit]


def article_texts(fields: Iterable[dict], body_chars: int = BODY_CHARS) -> Iterator[str]:
    """Title, lead and the first ``body_chars`` characters of the body of each stored article."""
    for f in fields:
        yield f.get("title") or ""
        yield f.get("lead") or ""
        if body_chars:
            yield _clip(f.get("body") or "", body_chars)


def _model_from_snapshot(view) -> DiacriticModel:
    from indexer.shard.view import iter_stored

    # every shard of a sharded index, each through a private searcher (this scan runs beside requests)
    return DiacriticModel.build(article_texts(f for _, _, f in iter_stored(view)))


def _save_model(model: DiacriticModel, path: Path, generation: int) -> None:
    model.save(path, generation=generation)


def _load_model(path: Path) -> tuple[DiacriticModel, int]:
    model = DiacriticModel.load(path)
    return model, int(model.meta["generation"])


_models: IndexCache[DiacriticModel] = IndexCache(_model_from_snapshot, MODEL_FILE, _save_model, _load_model)


def model_for(index_dir: str | Path, wait: bool = False) -> DiacriticModel:
    """The diacritic model of an index: cached, persisted, rebuilt when the index changes."""
    return _models.get(index_dir, wait=wait)


def suggestion_for(index_dir: str | Path, query: str) -> str | None:
    """The "did you mean" text for an unaccented query on this index, or None."""
    return model_for(index_dir).restore(query)
