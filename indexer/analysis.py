"""Vietnamese text analysis: the one place where text becomes searchable tokens.

Indexing and querying both use this module, so a query always meets the index in
the same form.  The pipeline for every word of the original text:

1. find it with a regex over the *original* string (offsets stay exact, even in NFD);
2. normalise it: NFC, Ð→Đ, lower case, one canonical tone-mark placement
   (hòa/hoà, thủy/thuỷ, quả/qủa), i/y variants made equal (kỹ/kĩ, lý/lí, quý/quí);
3. give it two forms: ``exact`` (diacritics kept) and ``folded`` (no marks, đ→d).

pyvi compounds (``tổ_chức``) are added as extra tokens at the position of their first
syllable; numbers and codes (``12/3/2024``, ``TP.HCM``, ``GD&ĐT``) stay whole, with
their parts as extra tokens at the same position.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from itertools import accumulate, compress, repeat
from operator import add, itemgetter, sub
from types import ModuleType
from typing import NamedTuple

from unidecode import unidecode
from whoosh.analysis import Token, Tokenizer

# -- characters ---------------------------------------------------------------

TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
SHAPE_MARKS = {"\u0302", "\u0306", "\u031b"}  # â ă ơ (circumflex, breve, horn)
VOWELS = set("aeiouy")
_COMBINING = "\u0300-\u036f"

# A word: letters/digits (with combining marks), joined by . & / - (or a comma between
# digits) into codes such as "TP.HCM", "GD&ĐT", "12/3/2024", "1.250", "1,5", "QL1A".
_RUN = rf"(?:[^\W_]|[{_COMBINING}])+"
WORD_RE = re.compile(rf"{_RUN}(?:(?:[.&/\-]|(?<=\d),(?=\d)){_RUN})*")
PART_RE = re.compile(_RUN)
# A gap between two words that breaks a phrase (so no word pair is formed across it).
CLAUSE_BREAK_RE = re.compile(r"[.,;:!?()\[\]{}\n\r\t|…]")


class Term(NamedTuple):
    """One token of analysed text: its forms, its place, and where it came from."""

    exact: str  # canonical, lower case, diacritics kept
    folded: str  # no diacritics, đ→d
    pos: int  # syllable position (extras share their first syllable's position)
    start: int  # character offsets into the original text
    end: int
    kind: str = "word"  # "word", "part" (of a code) or "compound"

    @property
    def accented(self) -> bool:
        return self.exact != self.folded


_EXACT, _FOLDED, _POS, _START, _END = map(itemgetter, range(5))  # fields of a Term


# -- normalisation of one word --------------------------------------------------


def _split_initial(letters: list[str]) -> int:
    """Index where the vowel nucleus starts, treating "qu" and "gi"+vowel as consonants."""
    i = 0
    while i < len(letters) and letters[i] not in VOWELS:
        i += 1
    if i < len(letters):
        head = "".join(letters[:i])
        if head == "q" and letters[i] == "u":
            i += 1
        elif head == "g" and letters[i] == "i" and i + 1 < len(letters) and letters[i + 1] in VOWELS:
            i += 1
    return i


def _canonical_syllable(word: str) -> str:
    """Canonical tone placement and i/y spelling of one lower-case NFC syllable.

    Words that are not plain Vietnamese syllables are returned unchanged.
    """
    decomposed = unicodedata.normalize("NFD", word)
    letters: list[str] = []  # base letters
    shapes: list[str] = []  # shape mark per letter ("" if none)
    tone = ""
    for ch in decomposed:
        if ch in TONE_MARKS:
            if tone:
                return word  # two tones: not a syllable we understand
            tone = ch
        elif ch in SHAPE_MARKS:
            if not letters:
                return word
            shapes[-1] += ch
        elif "a" <= ch <= "z" or ch == "đ":
            letters.append(ch)
            shapes.append("")
        else:
            return word  # digits, other scripts: leave alone
    start = _split_initial(letters)
    end = start
    while end < len(letters) and letters[end] in VOWELS:
        end += 1
    nucleus = range(start, end)
    if not nucleus or any(c in VOWELS for c in letters[end:]):
        return word
    # i/y variants: a lone "y" after a consonant and with no final consonant is "i".
    if start > 0 and end - start == 1 and end == len(letters) and letters[start] == "y":
        letters[start] = "i"
    if tone:
        shaped = [i for i in nucleus if shapes[i]]
        if shaped:
            target = shaped[-1]  # ươ → ơ, iê → ê
        elif len(nucleus) == 1:
            target = start
        elif end < len(letters):
            target = end - 1  # closed syllable: last vowel (hoàn, huỳnh)
        elif len(nucleus) == 2:
            target = start  # open syllable: first vowel (hòa, thủy, khỏe)
        else:
            target = start + 1  # three vowels: the middle one (ngoài, khuỷu)
        shapes[target] += tone
    return unicodedata.normalize("NFC", "".join(c + m for c, m in zip(letters, shapes)))


@lru_cache(maxsize=200_000)
def normalize_word(word: str) -> str:
    """Exact form of one word: NFC, Ð→Đ, lower case, canonical tones and i/y."""
    text = unicodedata.normalize("NFC", word).replace("\u00d0", "Đ").replace("\u00f0", "đ").lower()
    if "." in text or "&" in text or "/" in text or "-" in text or "," in text:
        return "".join(_canonical_syllable(p) if p.isalpha() else p for p in re.split(r"([.&/,\-])", text))
    return _canonical_syllable(text) if text.isalpha() else text


@lru_cache(maxsize=200_000)
def fold(exact: str) -> str:
    """Folded form: no diacritics, đ→d (other Latin letters via unidecode)."""
    stripped = "".join(c for c in unicodedata.normalize("NFD", exact) if not unicodedata.combining(c))
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    if not stripped.isascii() and all(ord(c) < 0x250 for c in stripped):
        stripped = unidecode(stripped).lower()
    return unicodedata.normalize("NFC", stripped)


def normalize_text(text: str) -> str:
    """Normalise free text word by word (for display-independent comparisons)."""
    return " ".join(t.exact for t in syllables(text))


def exact_words(text: str) -> list[str]:
    """The exact forms of the words of ``text``, in order (no offsets or positions: fast)."""
    forms = _forms
    return [forms(w)[0] for w in WORD_RE.findall(text)]


def fold_text(text: str) -> str:
    """Folded form of free text, words joined by single spaces."""
    return " ".join(t.folded for t in syllables(text))


def has_diacritics(text: str) -> bool:
    """True when any word of ``text`` carries Vietnamese marks or đ."""
    return any(t.accented for t in syllables(text))


# -- tokenisation -----------------------------------------------------------------


def syllables(text: str) -> list[Term]:
    """The words of ``text`` in order, with exact offsets: one Term per word.

    Positions count words; a clause break (``.,;:!?`` …) adds one, so that phrase
    queries do not match across it.
    """
    # One C-level split into gap, word, gap, word, …, gap; then only C-level maps per word
    # (forms, positions, offsets, Terms), three times faster than a loop over matches.
    pieces = _WORD_SPLIT_RE.split(text)
    words = pieces[1::2]
    n = len(words)
    if not n:
        return []
    forms = list(map(_forms, words))
    steps = [0]
    steps += map(_gap_step, pieces[2:-1:2])  # the gaps between consecutive words
    bounds = list(accumulate(map(len, pieces)))  # bounds[2k] = start of word k, bounds[2k + 1] its end
    return list(map(tuple.__new__, repeat(Term, n),
                    zip(map(itemgetter(0), forms), map(itemgetter(1), forms), accumulate(steps),
                        bounds[0::2], bounds[1::2], repeat("word"))))


_WORD_SPLIT_RE = re.compile(f"({WORD_RE.pattern})", WORD_RE.flags)
_recent: dict[str, list[Term]] = {}


def _recent_syllables(text: str) -> list[Term]:
    """``syllables`` of a text, kept for the next few calls (indexing analyses each part of an
    article for several fields, then the whole article for its word pairs: ``joined_syllables``)."""
    words = _recent.get(text)
    if words is None:
        if len(_recent) > 8:
            _recent.clear()
        words = _recent[text] = syllables(text)
    return words


def joined_syllables(text: str) -> list[Term]:
    """``syllables(text)`` for an article's parts joined by newlines (title, lead, body), from the
    syllables of each part when they were just analysed.

    No word spans a newline, and a newline is a clause break (two positions), so the words of
    the whole are those of each part, shifted by the part's offset and position.
    """
    parts = text.split("\n", 2)
    if len(parts) == 1:
        return list(_recent_syllables(text))  # a copy: the kept list is shared
    out: list[Term] = []
    start = 0
    for part in parts:
        words = _recent_syllables(part)
        if words:
            step = out[-1].pos + 2 if out else 0
            if step or start:
                words = list(map(tuple.__new__, repeat(Term, len(words)), zip(
                    map(_EXACT, words), map(_FOLDED, words), map(add, map(_POS, words), repeat(step)),
                    map(add, map(_START, words), repeat(start)), map(add, map(_END, words), repeat(start)),
                    repeat("word"))))
            out += words
        start += len(part) + 1
    return out


@lru_cache(maxsize=4096)
def _gap_step(gap: str) -> int:
    """Positions from one word to the next: 2 across a clause break (a gap in positions), else 1."""
    return 2 if gap != " " and CLAUSE_BREAK_RE.search(gap) else 1


@lru_cache(maxsize=300_000)
def _forms(word: str) -> tuple[str, str]:
    exact = normalize_word(word)
    return exact, fold(exact)


_JOINER_RE = re.compile(r"[.&/,\-]")


def code_parts(word: Term, text: str) -> list[Term]:
    """Parts of a code such as "TP.HCM" or "12/3/2024", as extra terms at its position."""
    if not _JOINER_RE.search(text, word.start, word.end):
        return []
    parts = []
    for m in PART_RE.finditer(text, word.start, word.end):
        exact, folded = _forms(m.group())
        parts.append(Term(exact, folded, word.pos, m.start(), m.end(), "part"))
    return parts


def split_codes(words: list[Term]) -> list[Term]:
    """``words`` with each code ("5.000", "TP.HCM", "8/1") replaced by its parts.

    For comparing word order: "8/1" in a headline then follows "8 1" typed in a query.  Parts
    keep the code's position and offsets.
    """
    out: list[Term] = []
    for w in words:
        if _JOINER_RE.search(w.exact):
            out.extend(Term(*_forms(m.group()), w.pos, w.start, w.end, "part") for m in PART_RE.finditer(w.exact))
        else:
            out.append(w)
    return out


@lru_cache(maxsize=1)
def _pyvi_tokenizer() -> ModuleType:
    """pyvi's ``ViTokenizer`` module, its CRF model loaded, and the model's temporary file removed.

    Unpickling pyvi's model writes a 0.6 MB copy of it to the temporary folder, deleted only
    when the model object is collected, which a worker process leaving with ``os._exit``
    (multiprocessing, gunicorn, Ray) never does: every process left one behind.  crfsuite
    reads the whole file into memory when its tagger opens, so the file can go at once.
    """
    from pyvi import ViTokenizer  # imported lazily: loading its model takes ~0.5 s

    model = ViTokenizer.ViTokenizer.model
    if model.tagger_ is not None:  # opens crfsuite's tagger: the file is read now
        model.modelfile.cleanup()
    return ViTokenizer


def _pyvi_compounds(text: str) -> list[list[str]]:
    """pyvi's multi-syllable words in ``text``, each as its list of normalised syllables."""
    tokenizer = _pyvi_tokenizer()
    try:
        segmented = tokenizer.tokenize(unicodedata.normalize("NFC", text))
    except Exception:  # pyvi can fail on odd input; compounds are only extra evidence
        return []
    return [[normalize_word(p) for p in tok.split("_")] for tok in segmented.split() if "_" in tok]


def compounds(words: list[Term], text: str) -> list[Term]:
    """pyvi compounds aligned to ``words``: extra terms at their first syllable's position."""
    out: list[Term] = []
    if not words:
        return out
    ptr = 0
    exacts = [w.exact for w in words]
    for parts in _pyvi_compounds(text):
        n = len(parts)
        for j in range(ptr, min(ptr + 40, len(words) - n + 1)):
            if exacts[j : j + n] == parts:
                first, last = words[j], words[j + n - 1]
                exact = "_".join(parts)
                out.append(Term(exact, "_".join(w.folded for w in words[j : j + n]), first.pos,
                                first.start, last.end, "compound"))
                ptr = j + n
                break
    return out


def _concept_spans(words: list[Term]) -> list:
    from indexer.text.acronyms import concept_index  # lazily: acronyms imports this module

    return concept_index().spans([w.folded for w in words])


def concepts(words: list[Term]) -> list[Term]:
    """One extra term per spelling of an acronym concept ("TP.HCM", "TP HCM", "thành phố Hồ Chí
    Minh" → ``tphcm``; ``indexer/data/acronyms.tsv``), at its first word's position, spanning it.

    A single word already equal to its concept's token ("TPHCM") gives no extra term.
    """
    out: list[Term] = []
    for span in _concept_spans(words):
        first, last = words[span.start], words[span.end - 1]
        if span.end - span.start == 1 and first.folded == span.token:
            continue
        out.append(Term(span.token, span.token, first.pos, first.start, last.end, "concept"))
    return out


def concept_words(words: list[Term], only: set[str] | frozenset[str] | None = None) -> list[Term]:
    """``words`` with each spelling of a concept replaced by one term, its token (for comparing
    word order: "TP HCM", "TP.HCM" and "thành phố Hồ Chí Minh" are then the same word); with
    ``only``, just the concepts whose token is in it."""
    spans = _concept_spans(words)
    if only is not None:
        spans = [sp for sp in spans if sp.token in only]
    if not spans:
        return words
    out: list[Term] = []
    i = 0
    for span in spans:
        out.extend(words[i : span.start])
        first, last = words[span.start], words[span.end - 1]
        if span.end - span.start == 1 and first.folded == span.token:
            out.append(first)  # "TPHCM" is already its concept's token
        else:
            out.append(Term(span.token, span.token, first.pos, first.start, last.end, "concept"))
        i = span.end
    out.extend(words[i:])
    return out


def analyze(text: str, with_compounds: bool = True) -> list[Term]:
    """All terms of ``text``: words, parts of codes, acronym concepts and (optionally) pyvi compounds.

    Sorted by position; extras follow the word whose position they share.
    """
    return _analyze(text, with_compounds)[0]


def _analyze(text: str, with_compounds: bool) -> tuple[list[Term], list[Term]]:
    """``analyze``, and the acronym concepts among its terms."""
    words = _recent_syllables(text)
    terms: list[Term] = []
    for w in words:
        terms.append(w)
        if _JOINER_RE.search(text, w.start, w.end):
            terms.extend(code_parts(w, text))
    found = concepts(words)
    extra = found + compounds(words, text) if with_compounds else found
    if extra:
        terms.extend(extra)
        terms.sort(key=lambda t: (t.pos, t.kind != "word"))
    return terms, found


def word_pairs(words: list[Term], text: str | None = None) -> Iterator[tuple[Term, Term]]:
    """Adjacent word pairs not separated by clause punctuation (when ``text`` is given).

    With ``text``, an acronym concept spelled in several words also pairs, by its token, with
    the words on either side ("TP HCM khởi" gives "tp hcm", "hcm khoi" and "tphcm khoi").
    """
    for a, b in zip(words, words[1:]):
        if text is not None and CLAUSE_BREAK_RE.search(text, a.end, b.start):
            continue
        yield a, b
    if text is None:
        return
    merged = concept_words(words)
    if merged is words:
        return
    for a, b in zip(merged, merged[1:]):
        if (a.kind == "concept" or b.kind == "concept") and not CLAUSE_BREAK_RE.search(text, a.end, b.start):
            yield a, b


def pair_key(a: str, b: str) -> str:
    """The indexed form of a word pair (folded forms joined by a space)."""
    return f"{a} {b}"


# -- Whoosh tokenizers ---------------------------------------------------------------

_cache: dict[tuple[str, bool], tuple[list[Term], list[Term]]] = {}


def cached_analyze(text: str, with_compounds: bool) -> list[Term]:
    """``analyze`` with a tiny cache: Whoosh analyses the same value for both forms."""
    return _cached(text, with_compounds)[0]


def _cached(text: str, with_compounds: bool) -> tuple[list[Term], list[Term]]:
    """``_analyze`` (terms, and the acronym concepts among them) through the tiny cache."""
    key = (text, with_compounds)
    hit = _cache.get(key)
    if hit is None:
        if len(_cache) > 8:
            _cache.clear()
        hit = _cache[key] = _analyze(text, with_compounds)
    return hit


# ON-DISK CONTRACT: every index's schema pickles indexer.analysis.VietnameseTokenizer with its
# attributes (form, with_compounds): keep the module path, class name and attribute names
# (listed in indexer.store.ondisk.ON_DISK_CONTRACT).
class VietnameseTokenizer(Tokenizer):
    """Whoosh tokenizer yielding the exact or folded forms of ``analyze``."""

    def __init__(self, form: str = "exact", with_compounds: bool = True):
        assert form in ("exact", "folded")
        self.form = form
        self.with_compounds = with_compounds

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, VietnameseTokenizer) and other.form == self.form
                and other.with_compounds == self.with_compounds)

    def __hash__(self) -> int:
        return hash((self.form, self.with_compounds))

    def term_positions(self, value: str) -> list[tuple[str, int]]:
        """(term, position) of every token, as ``__call__`` yields them but without Token objects."""
        terms = cached_analyze(value, self.with_compounds)
        if self.form == "folded":
            return [(term.folded, term.pos) for term in terms]
        return [(term.exact, term.pos) for term in terms]

    def term_counts(self, value: str) -> Counter[str]:
        """How often each term of ``term_positions`` occurs (counted in C: no positions gathered)."""
        return Counter(map(_FOLDED if self.form == "folded" else _EXACT, cached_analyze(value, self.with_compounds)))

    def overlaps(self, value: str) -> list[str]:
        """Terms of ``term_positions`` that stand for words already counted (acronym concepts):
        one entry per occurrence, left out of the field's length as Lucene's ``discountOverlaps``
        does, so adding concepts changed no article's length (nor its BM25 normalisation)."""
        found = _cached(value, self.with_compounds)[1]
        return list(map(_FOLDED if self.form == "folded" else _EXACT, found))

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        folded = self.form == "folded"
        for term in cached_analyze(value, self.with_compounds):
            t.text = term.folded if folded else term.exact
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[term.start : term.end]
            if positions:
                t.pos = start_pos + term.pos
            if chars:
                t.startchar = start_char + term.start
                t.endchar = start_char + term.end
            yield t


_last_pairs: tuple[str, list[tuple[Term, Term]]] = ("", [])
_last_pair_terms: tuple[str, tuple[list[str], list[str]]] = ("", ([], []))


def _pair_terms(value: str) -> tuple[list[str], list[str]]:
    """The pair keys of ``word_pairs(syllables(value), value)``: those of two words, and those with an
    acronym concept (kept for the next call on the same text, as ``_pairs``).

    Two consecutive words of ``syllables`` are one position apart exactly when no clause
    punctuation separates them (a break adds a position), so the words' pairs are found by
    C-level maps instead of a regex search per pair.
    """
    global _last_pair_terms
    last = _last_pair_terms
    if last[0] == value:
        return last[1]
    words = joined_syllables(value)
    folded = list(map(_FOLDED, words))
    pos = list(map(_POS, words))
    plain = list(compress(map(pair_key, folded, folded[1:]), map((1).__eq__, map(sub, pos[1:], pos))))
    merged = concept_words(words)
    with_concepts = [] if merged is words else [
        pair_key(a.folded, b.folded) for a, b in zip(merged, merged[1:])
        if (a.kind == "concept" or b.kind == "concept") and not CLAUSE_BREAK_RE.search(value, a.end, b.start)]
    _last_pair_terms = (value, (plain, with_concepts))
    return plain, with_concepts


def _pairs(value: str) -> list[tuple[Term, Term]]:
    """``word_pairs(syllables(value), value)``, kept for the next call on the same text: indexing
    asks a field for its pairs, then for their overlaps (one reference swap: thread-safe)."""
    global _last_pairs
    last = _last_pairs
    if last[0] == value:
        return last[1]
    pairs = list(word_pairs(syllables(value), value))
    _last_pairs = (value, pairs)
    return pairs


# ON-DISK CONTRACT: pickled in every index's schema as indexer.analysis.PairTokenizer
# (indexer.store.ondisk.ON_DISK_CONTRACT).
class PairTokenizer(Tokenizer):
    """Whoosh tokenizer yielding folded adjacent word pairs ("dai hoi"), for proximity."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PairTokenizer)

    def __hash__(self) -> int:
        return hash("PairTokenizer")

    def term_positions(self, value: str) -> list[tuple[str, int]]:
        """(pair, position of its first word), as ``__call__`` yields them but without Token objects."""
        return [(pair_key(a.folded, b.folded), a.pos) for a, b in _pairs(value)]

    def term_counts(self, value: str) -> Counter[str]:
        """How often each pair of ``term_positions`` occurs."""
        plain, with_concepts = _pair_terms(value)
        counts = Counter(plain)
        if with_concepts:
            counts.update(with_concepts)
        return counts

    def overlaps(self, value: str) -> list[str]:
        """Pairs with an acronym concept, which stand for pairs already counted (see
        ``VietnameseTokenizer.overlaps``)."""
        return _pair_terms(value)[1]

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        words = syllables(value)
        for a, b in word_pairs(words, value):
            t.text = pair_key(a.folded, b.folded)
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + a.pos
            if chars:
                t.startchar, t.endchar = start_char + a.start, start_char + b.end
            yield t
