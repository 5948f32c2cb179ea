"""Story fingerprints: is this article the same story as that one?

An article's fingerprint (``fingerprint(title, lead, body)``) holds:

* ``exact``: a 64-bit hash of its normalised text (title, lead and body as the words of
  ``indexer.analysis.syllables``, exact forms: NFC, lower case, one tone placement), so that
  copies differing only in case, spacing, punctuation or Unicode form are equal;
* ``shingles``: the 32-bit hashes of every run of ``SHINGLE`` consecutive words of its lead
  and body (the headline is left out: a story republished under a new headline is the same story);
* ``numbers``: the numbers in its lead and body (dates, amounts, scores, codes), in one spelling;
* ``bands``: a MinHash of the shingles (``BANDS`` × ``ROWS`` hash functions), each band of
  ``ROWS`` minima hashed into one 64-bit value: two articles with shingle resemblance (Jaccard
  similarity) J share at least one band with probability 1 − (1 − J^ROWS)^BANDS, which is how
  candidates are found among many articles (locality-sensitive hashing, as in ``datasketch``'s
  ``MinHashLSH``, here in numpy so the values can be kept in index columns).

``same_story(a, b)`` decides on a candidate pair: the same exact text, or shingle resemblance
of at least ``THRESHOLD`` and no number of its own on either side (the numbers of one text all
occur in the other, whatever their spelling: 19.4, 19-4, 19/04).  Templates keep their wording
and change their figures: exam answers "mã đề 203" and "mã đề 210", recruitment notices with
new dates, daily price bulletins are different stories.  Texts of fewer than ``MIN_SHINGLES``
shingles only match exactly.  The values were chosen on the 100k corpus
(``benchmarks/story_groups.py``, results in ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from indexer.analysis import WORD_RE, normalize_word

SHINGLE = 5  # words per shingle
BANDS = 8  # LSH bands (index columns ``fp0`` … ``fp7``)
ROWS = 4  # MinHash values per band
THRESHOLD = 0.8  # shingle resemblance from which two texts are one story
MIN_SHINGLES = 20  # shorter texts are grouped only when identical

_PRIME = np.uint64(0x100000001B3)  # FNV-1a's 64-bit prime, to combine word hashes into a shingle hash
_SEEDS = np.array([int.from_bytes(hashlib.blake2b(f"minhash-{i}".encode(), digest_size=8).digest(), "big")
                   for i in range(BANDS * ROWS)], dtype=np.uint64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of 64-bit values that scatters their bits."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


@lru_cache(maxsize=300_000)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "big")


_NUMBER = re.compile(r"\d+(?:[.,/\-]\d+)*")  # in a word: "19.4", "12/2004", "5" of "ngày.5"
_NUMBER_PART = re.compile(r"[.,/\-]")


def _number(digits: str) -> str:
    """A number in one spelling: 19.4, 19-4 and 19/04 are all 19/4."""
    return "/".join(p.lstrip("0") or "0" for p in _NUMBER_PART.split(digits))


def text_hash(text: str) -> int:
    """A stable signed 64-bit hash of a string (never 0): group keys and exact-text keys."""
    value = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big", signed=True)
    return value or 1


@dataclass(frozen=True)
class Fingerprint:
    exact: int
    shingles: np.ndarray  # sorted, unique uint32
    numbers: np.ndarray  # sorted unique uint32 hashes of the numbers
    bands: tuple[int, ...]  # BANDS signed 64-bit values; all 0 when the text is too short for near matches

    @property
    def near(self) -> bool:
        """True when the text is long enough to be matched by resemblance (not only exactly)."""
        return any(self.bands)


def shingle_hashes(words: list[str]) -> np.ndarray:
    """Sorted unique 32-bit hashes of every run of ``SHINGLE`` consecutive words (the whole text if
    shorter): half the memory of 64 bits, and two texts of a thousand shingles each share a false
    one with a chance of about 1 in 4,000."""
    if not words:
        return np.zeros(0, dtype=np.uint32)
    hashes = np.fromiter(map(_word_hash, words), dtype=np.uint64, count=len(words))
    n = max(len(hashes) - SHINGLE + 1, 1)
    out = hashes[:n].copy()
    with np.errstate(over="ignore"):
        for j in range(1, min(SHINGLE, len(hashes))):
            out = out * _PRIME + hashes[j : j + n]
    return np.unique((_mix(out) >> np.uint64(32)).astype(np.uint32))


def minhash_bands(shingles: np.ndarray) -> tuple[int, ...]:
    """The ``BANDS`` LSH band values of a shingle set (signed 64-bit, never 0)."""
    if len(shingles) < MIN_SHINGLES:
        return (0,) * BANDS
    mins = _mix(shingles.astype(np.uint64)[:, None] ^ _SEEDS[None, :]).min(axis=0).reshape(BANDS, ROWS)
    combined: np.ndarray = np.zeros(BANDS, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(ROWS):
            combined = _mix(combined * _PRIME + mins[:, r])
        combined = combined + np.arange(1, BANDS + 1, dtype=np.uint64)  # a band matches only the same band
    values = _mix(combined).view(np.int64)
    return tuple(int(v) or 1 for v in values)


def fingerprint(title: str, lead: str, body: str) -> Fingerprint:
    """The fingerprint of an article's text (see the module docstring)."""
    # the exact words of ``indexer.analysis.exact_words``, by C-level ``map`` over its cached normaliser
    words = list(map(normalize_word, WORD_RE.findall(f"{lead}\n{body}")))
    text = " ".join(words)
    exact = text_hash(" ".join(map(normalize_word, WORD_RE.findall(title))) + "\n" + text)
    shingles = shingle_hashes(words)
    # a number never spans a space, so the numbers of the joined words are those of each word
    numbers = np.unique(np.array([_word_hash(_number(n)) >> 32 for n in set(_NUMBER.findall(text))],
                                 dtype=np.uint32))
    return Fingerprint(exact, shingles, numbers, minhash_bands(shingles))


def resemblance(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted unique hash arrays."""
    if not len(a) or not len(b):
        return 0.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common)


def same_story(a: Fingerprint, b: Fingerprint) -> float:
    """How surely ``a`` and ``b`` are one story: 0.0 when not, else their resemblance (1.0: same text)."""
    if a.exact == b.exact:
        return 1.0
    if not (a.near and b.near):
        return 0.0
    similar = resemblance(a.shingles, b.shingles)
    if similar < THRESHOLD:
        return 0.0
    common = len(np.intersect1d(a.numbers, b.numbers, assume_unique=True))
    if common < len(a.numbers) and common < len(b.numbers):  # each has a number of its own
        return 0.0
    return similar
