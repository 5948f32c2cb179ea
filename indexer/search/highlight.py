"""Highlighting: escaped text with the query's words marked, and the best snippet.

Words are found with the same analysis as the index, so a word matched through
folding ("Đảng" for "dang"), in NFD or in old-style tone placement is marked in the
original text, diacritics intact.  Text is HTML-escaped before marks are added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from indexer.analysis import CLAUSE_BREAK_RE, Term, analyze

SNIPPET_CHARS = 260
SNIPPET_SCAN_CHARS = 20_000  # snippets are looked for in the first 20,000 characters


@dataclass(frozen=True)
class Wanted:
    """The query words to mark.

    A word typed without diacritics marks every form ("dang" marks "Đảng", "đang");
    a word typed with them marks its exact form, or, in a text that lacks that form,
    the forms it matched through folding.
    """

    exact: frozenset[str]
    folded: frozenset[str]
    fallback: frozenset[tuple[str, str]]  # (exact, folded) of words typed with diacritics

    @classmethod
    def of(cls, words: Iterable[Term]) -> Wanted:
        words = list(words)
        return cls(frozenset(w.exact for w in words if w.accented),
                   frozenset(w.folded for w in words if not w.accented),
                   frozenset((w.exact, w.folded) for w in words if w.accented))

    def matcher(self, terms: list[Term]) -> _Match:
        present = {t.exact for t in terms}
        folded = set(self.folded) | {f for e, f in self.fallback if e not in present}
        return _Match(self.exact, folded)


@dataclass(frozen=True)
class _Match:
    exact: frozenset[str]
    folded: set[str]

    def __call__(self, t: Term) -> bool:
        return t.exact in self.exact or t.folded in self.folded


def _matched_spans(terms: list[Term], wanted: Wanted) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    match = wanted.matcher(terms)
    for t in terms:
        if match(t):
            if spans and t.start < spans[-1][1]:  # a part inside an already marked code
                continue
            spans.append((t.start, t.end))
    return spans


def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """Escaped ``text[start:end]`` with ``spans`` wrapped in <mark>; adjacent marks joined."""
    end = len(text) if end is None else end
    merged: list[list[int]] = []
    for s, e in spans:
        if e <= start or s >= end:
            continue
        if merged and text[merged[-1][1] : s].strip() == "":
            merged[-1][1] = e
        else:
            merged.append([s, e])
    out, pos = [], start
    for s, e in merged:
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def highlight(text: str, wanted: Wanted) -> str:
    """The whole of ``text``, escaped, with words whose exact or folded form is wanted marked."""
    return mark(text, _matched_spans(analyze(text, with_compounds=False), wanted))


def snippet(text: str, wanted: Wanted, size: int = SNIPPET_CHARS, require_hit: bool = False) -> str:
    """The passage of about ``size`` characters with the most distinct wanted words, marked.

    It starts at a word (preferably a sentence start) and never cuts inside a word.
    With ``require_hit``, a text without any wanted word gives "".
    """
    if not text:
        return ""
    if len(text) > SNIPPET_SCAN_CHARS:  # a huge body: look for the passage in its first part
        cut = text.rfind(" ", 0, SNIPPET_SCAN_CHARS)
        text = text[: cut if cut > 0 else SNIPPET_SCAN_CHARS]
    terms = [t for t in analyze(text, with_compounds=False) if t.kind in ("word", "concept")]
    if not terms:
        return escape(text[:size])
    match = wanted.matcher(terms)
    hits = [i for i, t in enumerate(terms) if match(t)]
    if require_hit and not hits:
        return ""
    best_i, best_score = 0, -1.0
    for i in hits or [0]:
        # start a little before the hit, at a clause boundary when one is near
        j = i
        while j > 0 and i - j < 8 and terms[i].start - terms[j - 1].start < size // 3:
            if CLAUSE_BREAK_RE.search(text, terms[j - 1].end, terms[j].start):
                break
            j -= 1
        limit = terms[j].start + size
        seen: set[str] = set()
        count = 0
        k = j
        while k < len(terms) and terms[k].end <= limit:
            if match(terms[k]):
                count += 1
                seen.add(terms[k].folded)
            k += 1
        score = len(seen) + 0.1 * count - 0.001 * j
        if score > best_score:
            best_i, best_score = j, score
    start = terms[best_i].start
    k = best_i
    while k + 1 < len(terms) and terms[k + 1].end <= start + size:
        k += 1
    end = terms[k].end
    # extend to the sentence's final punctuation when it is right there
    while end < len(text) and end < start + size + 2 and text[end] in ".!?…\"”)":
        end += 1
    spans = [(s, e) for s, e in _matched_spans(analyze(text, with_compounds=False), wanted)
             if s >= start and e <= end]
    html = mark(text, spans, start, end)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text.rstrip()) else ""
    return prefix + html + suffix
