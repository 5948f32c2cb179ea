"""Word-id streams and packed n-gram keys, shared by the diacritic model and the suggester.

:class:`WordEncoder` turns texts into one int64 stream: ``id * 4 + style`` per word (the id of
the word's exact, lower-case form; the style says how it was capitalised) with negative
separators at sentence and clause breaks.  N-grams of word ids are packed into one int64 key,
``BITS`` bits per word (``(a << 2 * BITS) | (b << BITS) | c``), so they can be counted with
``np.unique`` and looked up in sorted key arrays with :func:`find_sorted` / :func:`lookup_sorted`.
"""

from __future__ import annotations

import array
import re
import unicodedata
from collections import Counter
from typing import Any

import numpy as np

from indexer.analysis import WORD_RE, normalize_word

BITS = 21  # n-gram keys pack word ids into one int64: (a << 42) | (b << 21) | c
MAX_VOCAB = 1 << BITS
MAX_ID = MAX_VOCAB - 1  # mask of the last word id in a key

# Sentence and clause breaks between words (punctuation inside codes such as "TP.HCM",
# "12/3/2024" or "1,5" has word characters on both sides and does not break).
_BREAK = r"[.,;:!?()\[\]{}\n\r\t|…\"“”]"
_SENTENCE_RE = re.compile(r"(?:[.!?:…\n]+)(?=\s|$|[\"“”'(\[])|\n")
_CLAUSE_RE = re.compile(rf"(?<!\w){_BREAK}|{_BREAK}(?!\w)")

SEP_CLAUSE = -1  # stream separators (word codes are >= 0)
SEP_SENTENCE = -2
LOWER, TITLE, UPPER, NOCASE = 0, 1, 2, 3  # word styles: the low two bits of a word code
OVERFLOW = "\x00"  # the word standing for all words beyond MAX_VOCAB


def _style(raw: str) -> int:
    if len(raw) > 1 and raw.isupper():
        return UPPER
    return TITLE if raw[:1].isupper() else LOWER


class WordEncoder:
    """Turns texts into one int64 stream: ``id * 4 + style`` per word, negative separators.

    Every sentence (so every text) starts with ``SEP_SENTENCE``, clauses inside it are separated by
    ``SEP_CLAUSE``; the words of an ALL-CAPS text get style ``NOCASE``.
    """

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}  # exact form -> id
        self._codes: dict[str, int] = {}  # raw surface form -> code
        self.stream = array.array("q")
        self.raw: Counter[str] = Counter()  # surface forms, for the usual spelling of each word

    def _code(self, raw: str) -> int:
        exact = normalize_word(raw)
        wid = self.vocab.get(exact)
        if wid is None:
            if len(self.vocab) >= MAX_VOCAB - 1:  # all further new words share the last id
                exact = OVERFLOW
            wid = self.vocab.setdefault(exact, len(self.vocab))
        code = self._codes[raw] = wid * 4 + _style(raw)
        return code

    def add(self, text: str) -> None:
        """Append the words of ``text`` to the stream."""
        stream, get = self.stream, self._codes.get
        nocase = text.isupper()  # ALL-CAPS headlines say nothing about casing
        for sentence in _SENTENCE_RE.split(text):
            stream.append(SEP_SENTENCE)
            first = True
            for clause in _CLAUSE_RE.split(sentence):
                words = WORD_RE.findall(clause)
                if not words:
                    continue
                if not first:
                    stream.append(SEP_CLAUSE)
                first = False
                self.raw.update(words)
                codes: list[Any] = list(map(get, words))  # None for a surface form not seen yet
                if None in codes:
                    codes = [self._code(w) if c is None else c for c, w in zip(codes, words)]
                if nocase:
                    codes = [c | NOCASE for c in codes]
                stream.extend(codes)

    def words(self) -> list[str]:
        """Exact form of each word id."""
        out = [""] * len(self.vocab)
        for w, i in self.vocab.items():
            out[i] = w
        return out

    def spellings(self) -> list[str]:
        """The most common lower-case spelling of each word id ("mỹ" for exact "mĩ", "hoà" or "hòa")."""
        best: dict[int, tuple[int, str]] = {}
        lower: Counter[str] = Counter()
        for raw, n in self.raw.items():
            lower[unicodedata.normalize("NFC", raw).replace("\u00d0", "Đ").lower()] += n
        for form, n in lower.items():
            code = self._codes.get(form)
            wid = code >> 2 if code is not None else self.vocab.get(normalize_word(form))
            if wid is not None and (wid not in best or n > best[wid][0]):
                best[wid] = (n, form)
        out = self.words()
        for wid, (_, form) in best.items():
            if normalize_word(form) == out[wid] and len(form) == len(out[wid]):
                out[wid] = form
        return out

    def take(self) -> np.ndarray:
        """The stream so far (as numpy), starting a new one."""
        out = np.array(self.stream, dtype=np.int64)
        self.stream = array.array("q")
        return out


def lookup_sorted(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """values[keys == query] for each query key (0 when absent); keys sorted."""
    if len(keys) == 0:
        return np.zeros(np.shape(query), dtype=values.dtype)
    idx = np.searchsorted(keys, query)
    idx = np.minimum(idx, len(keys) - 1)
    return np.where(keys[idx] == query, values[idx], 0)


def find_sorted(keys: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, found) of each query key in sorted ``keys``."""
    if len(keys) == 0:
        z = np.zeros(np.shape(query), dtype=np.int64)
        return z, z.astype(bool)
    idx = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return idx, keys[idx] == query
