"""Acronyms and synonyms of Vietnamese news (UBND ↔ ủy ban nhân dân), for query expansion.

The table lives in ``indexer/data/acronyms.tsv`` (format documented in its header).  Every form is
kept as a tuple of *folded* words, the same words ``indexer.analysis.syllables`` gives a query, so
"UBND", "ủy ban nhân dân", "uỷ ban nhân dân" and "uy ban nhan dan" all meet the same concept.

    >>> table = load_synonyms()
    >>> table.expansions(["ubnd", "tinh"])
    [(0, 1, [['uy', 'ban', 'nhan', 'dan']])]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress, count
from pathlib import Path

from indexer.analysis import PART_RE, syllables

DEFAULT_PATH = Path(__file__).parent.parent / "data" / "acronyms.tsv"

Form = tuple[str, ...]  # folded words
_CODE_PUNCT = re.compile(r"[.&/\-]")


class SynonymFormatError(ValueError):
    """A malformed synonym file; the message lists every problem as ``FILE:LINE: reason``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Concept:
    """One line of the table: its canonical expansion and all its forms."""

    canonical: str  # as written in the file (display form)
    forms: tuple[Form, ...]  # every form, canonical first, no duplicates
    one_way: frozenset[Form]  # forms that expand but are never offered as alternatives
    line: int

    def alternatives(self, typed: Form) -> list[list[str]]:
        """Forms to offer for ``typed`` (never ``typed`` itself, never a one-way form)."""
        return [list(f) for f in self.forms if f != typed and f not in self.one_way]


def form_variants(text: str) -> list[Form]:
    """Folded word tuples for one written form; a code also gives its parts and its joined form."""
    words = syllables(text)
    base = tuple(w.folded for w in words)
    out = [base] if base else []
    split: list[str] = []
    joined: list[str] = []
    coded = False
    for w in words:
        if _CODE_PUNCT.search(w.folded):
            parts = [m.group() for m in PART_RE.finditer(w.folded)]
            if len(parts) > 1:
                coded = True
                split.extend(parts)
                joined.append("".join(parts))
                continue
        split.append(w.folded)
        joined.append(w.folded)
    if coded:
        out += [tuple(split), tuple(joined)]
    return list(dict.fromkeys(out))


class SynonymTable:
    """Concepts indexed by their folded forms; see :meth:`expansions`."""

    def __init__(self, concepts: list[Concept]):
        self.concepts: list[Concept] = concepts
        self._by_form: dict[Form, Concept] = {f: c for c in concepts for f in c.forms}
        self._max_len = max((len(f) for f in self._by_form), default=0)

    def __len__(self) -> int:
        return len(self.concepts)

    def lookup(self, text: str) -> Concept | None:
        """The concept one written form belongs to (any case or diacritics), if any."""
        words = tuple(w.folded for w in syllables(text))
        return self._by_form.get(words)

    def expansions(self, words: list[str]) -> list[tuple[int, int, list[list[str]]]]:
        """Every span ``[i, j)`` of ``words`` (folded) that is a form, with its alternative forms.

        Spans may overlap ("tp hcm" also contains the one-way "hcm"); they are sorted by start,
        longest first, so a caller wanting one reading per word can keep the first that fits.
        """
        out: list[tuple[int, int, list[list[str]]]] = []
        for i in range(len(words)):
            for j in range(min(len(words), i + self._max_len), i, -1):
                span = tuple(words[i:j])
                concept = self._by_form.get(span)
                if concept is not None:
                    alts = concept.alternatives(span)
                    if alts:
                        out.append((i, j, alts))
        return out


def parse_synonyms(text: str, source: str = "<string>") -> SynonymTable:
    """Parse the TSV format; raise :class:`SynonymFormatError` listing every bad line."""
    problems: list[str] = []
    concepts: list[Concept] = []
    seen: dict[Form, int] = {}  # form -> line that defined it
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 2:
            problems.append(f"{source}:{lineno}: expected CANONICAL<TAB>FORM|FORM..., got {len(cols)} column(s)")
            continue
        canonical = cols[0].strip()
        written = [v.strip() for v in cols[1].split("|")]
        if not canonical or not syllables(canonical):
            problems.append(f"{source}:{lineno}: empty canonical expansion")
            continue
        if any(not v or not syllables(v.lstrip("~")) for v in written):
            problems.append(f"{source}:{lineno}: empty form")
            continue
        forms: list[Form] = []
        one_way: set[Form] = set()
        bad = False
        for entry, is_one_way in [(canonical, False)] + [(v.lstrip("~"), v.startswith("~")) for v in written]:
            for form in form_variants(entry):
                if form in forms:  # "HĐND|HDND": the same folded words, written twice
                    continue
                if form in seen:
                    problems.append(f"{source}:{lineno}: form {entry!r} ({' '.join(form)!r}) already defined "
                                    f"at line {seen[form]}")
                    bad = True
                    continue
                forms.append(form)
                if is_one_way:
                    one_way.add(form)
        if bad:
            continue
        if len(forms) < 2:
            problems.append(f"{source}:{lineno}: a concept needs two different forms (all fold to "
                            f"{' '.join(forms[0])!r}: it would map to itself)")
            continue
        for f in forms:
            seen[f] = lineno
        concepts.append(Concept(canonical, tuple(forms), frozenset(one_way), lineno))
    if problems:
        raise SynonymFormatError(problems)
    return SynonymTable(concepts)


@lru_cache(maxsize=8)
def _load(path: str) -> SynonymTable:
    return parse_synonyms(Path(path).read_text(encoding="utf-8"), path)


def load_synonyms(path: str | Path | None = None) -> SynonymTable:
    """The synonym table from ``path`` (default: the package's ``data/acronyms.tsv``), cached."""
    return _load(str(path if path is not None else DEFAULT_PATH))


# -- one token per concept, so that every spelling is one word ------------------------------------

_PLAIN_WORD = re.compile(r"^[a-z0-9]+$")


def concept_token(concept: Concept) -> str:
    """The one word every form of ``concept`` is also indexed as: its shortest plain single-word
    form ("tphcm" for TP.HCM / TP HCM / thành phố Hồ Chí Minh), two-way forms preferred."""
    singles = [f[0] for f in concept.forms if len(f) == 1 and _PLAIN_WORD.match(f[0])]
    two_way = [f[0] for f in concept.forms if len(f) == 1 and f not in concept.one_way
               and _PLAIN_WORD.match(f[0])]
    pool = two_way or singles
    if pool:
        return min(pool, key=lambda w: (len(w), w))
    return "_".join(concept.forms[0])


@dataclass(frozen=True, slots=True)
class ConceptSpan:
    """Words ``[start, end)`` of a word list that spell a concept, and the concept's token."""

    start: int
    end: int
    token: str
    two_way: bool  # the token is a two-way form: the query may stand for the concept by it


class ConceptIndex:
    """Finds the spellings of every concept in a list of folded words (longest first, no overlap)."""

    def __init__(self, table: SynonymTable):
        self._by_first: dict[str, list[tuple[Form, ConceptSpan]]] = {}
        for c in table.concepts:
            token = concept_token(c)
            two_way = (token,) in c.forms and (token,) not in c.one_way
            for f in c.forms:
                self._by_first.setdefault(f[0], []).append((f, ConceptSpan(0, len(f), token, two_way)))
        for forms in self._by_first.values():
            forms.sort(key=lambda x: -len(x[0]))

    def spans(self, words: list[str]) -> list[ConceptSpan]:
        """Non-overlapping concept spans of ``words`` (folded), left to right, longest first."""
        out: list[ConceptSpan] = []
        n, after = len(words), 0  # after: the first word not inside the last span
        by_first = self._by_first
        for i in compress(count(), map(by_first.__contains__, words)):  # words that begin a form (C-level scan)
            if i < after:
                continue
            for form, proto in by_first[words[i]]:
                k = len(form)
                if i + k <= n and (k == 1 or tuple(words[i : i + k]) == form):
                    out.append(ConceptSpan(i, i + k, proto.token, proto.two_way))
                    after = i + k
                    break
        return out


@lru_cache(maxsize=1)
def concept_index() -> ConceptIndex:
    """The concept spans finder of the package's table (the analyser indexes its tokens)."""
    return ConceptIndex(load_synonyms())
