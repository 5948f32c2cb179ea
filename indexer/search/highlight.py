"""Highlighting: escaped text with the query's words marked, and the best snippet.

Words are found with the same analysis as the index, so a word matched through
folding ("Đảng" for "dang"), in NFD or in old-style tone placement is marked in the
original text, diacritics intact.  Text is HTML-escaped before marks are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from html import escape
from typing import TYPE_CHECKING

from indexer.analysis import CLAUSE_BREAK_RE, Term, analyze, fold

if TYPE_CHECKING:
    from indexer.search.query import ParsedQuery

SNIPPET_CHARS = 260
SNIPPET_SCAN_CHARS = 20_000  # snippets are looked for in the first 20,000 characters


SHORT_SYLLABLE = 3  # a folded word this short, standing alone in a text, is mostly another word


@dataclass(frozen=True)
class Wanted:
    """The query words to mark.

    A word typed without diacritics marks every form ("dang" marks "Đảng", "đang");
    a word typed with them marks its exact form, or, in a text that lacks that form,
    the forms it matched through folding.

    Intent (``pairs``, ``runs_only``, ``alone``): a word of a query of several words typed without
    diacritics, standing alone in the text (no neighbour that follows it in the query), is marked
    only when the restored reading allows its exact form (``alone``: "bóng" but not "bỗng"); a word
    bound to its neighbour in the reading ("miền Trung", "Việt Nam"), or, without a reading, a short
    one ("da", "nam"), is marked only inside a run of query words ("bóng đá", not "đã").
    """

    exact: frozenset[str]
    folded: frozenset[str]
    fallback: frozenset[tuple[str, str]]  # (exact, folded) of words typed with diacritics
    pairs: frozenset[tuple[str, str]] = frozenset()  # folded query words typed one after the other
    runs_only: frozenset[str] = frozenset()  # folded words marked only inside a run of query words
    alone: frozenset[tuple[str, str]] = frozenset()  # (folded, exact) a word standing alone may be
    # a query with words that count only from a date on (a successor province's name): the
    # words to mark in articles published before ``since`` (or undated)
    earlier: Wanted | None = None
    since: int = 0

    @classmethod
    def of(cls, words: Iterable[Term], runs: Iterable[Sequence[Term]] = (), reading: str | None = None,
           added: Iterable[Term] = ()) -> Wanted:
        """The words to mark; ``runs``: the query's words in typed order (each alternative a run),
        for intent; ``reading``: the query with diacritics restored, bound words joined by ``_``
        (``indexer.assist.diacritics.DiacriticModel.reading``); ``added``: words of ``words`` that
        the user did not type (alternatives timtin added, "Bắc Cạn" for "thai nguyen"): marked in
        their exact form only, never through folding ("cán" is not "Cạn")."""
        words = list(words)
        added_exact = {w.exact for w in added if w.accented}
        typed = [w for w in words if w.accented and w.exact not in added_exact]
        base = cls(frozenset(w.exact for w in words if w.accented),
                   frozenset(w.folded for w in words if not w.accented),
                   frozenset((w.exact, w.folded) for w in typed))
        runs = [list(r) for r in runs]
        pairs = frozenset((a.folded, b.folded) for r in runs for a, b in zip(r, r[1:]))
        if not pairs or typed:
            return base  # one word, or a query typed with diacritics: marked wherever it is
        in_pair = {w for p in pairs for w in p}
        runs_only: set[str] = set()
        alone: set[tuple[str, str]] = set()
        if reading:
            for unit in reading.split():
                parts = [(fold(p), p) for p in unit.split("_")]
                if len(parts) > 1:
                    runs_only.update(f for f, _ in parts)
                else:
                    alone.update(parts)
            alone = {(f, e) for f, e in alone if f not in runs_only}
        else:
            runs_only = {f for f in base.folded if f in in_pair and len(f) <= SHORT_SYLLABLE}
        return cls(base.exact, base.folded, base.fallback, pairs, frozenset(runs_only & in_pair),
                   frozenset(alone))

    @classmethod
    def of_query(cls, parsed: ParsedQuery, reading: str | None = None) -> Wanted:
        """The words of a parsed query, each marked only in articles where it counts; ``reading``
        as in ``of``."""
        runs = parsed.runs()
        typed = {w.exact for g in parsed.groups for i in g if not i.expansion for w in i.words}
        added = [w for g in parsed.groups for i in g if i.expansion for w in i.words if w.exact not in typed]
        starts = sorted({i.after for g in parsed.groups for i in g if i.after is not None})
        if not starts:
            return cls.of(parsed.words(), runs, reading, added)
        wanted = cls.of(parsed.words_at(starts[0] - 1), runs, reading, added)  # before every date
        for since in starts:  # one date in practice (the 2025 merger); several nest, newest outermost
            wanted = replace(cls.of(parsed.words_at(since), runs, reading, added), earlier=wanted, since=since)
        return wanted

    def at(self, published: int) -> Wanted:
        """The words to mark in an article published at minute ``published`` (NO_DATE: undated)."""
        if self.earlier is not None and published < self.since:
            return self.earlier.at(published)
        return self

    def matcher(self, terms: list[Term]) -> _Match:
        present = {t.exact for t in terms}
        folded = set(self.folded) | {f for e, f in self.fallback if e not in present}
        return _Match(self.exact, folded)

    def marked(self, terms: list[Term]) -> list[bool]:
        """Which of ``terms`` (analysed text, in order) to mark."""
        match = self.matcher(terms)
        out = [match(t) for t in terms]
        if not self.pairs:
            return out
        alone_folds = {f for f, _ in self.alone}
        words = [i for i, t in enumerate(terms) if t.kind == "word"]
        for k, i in enumerate(words):
            t = terms[i]
            if not out[i] or t.exact in match.exact or t.folded not in self.folded:
                continue  # not marked, or marked for its exact form as typed
            prev = terms[words[k - 1]] if k else None
            nxt = terms[words[k + 1]] if k + 1 < len(words) else None
            in_run = (prev is not None and prev.pos + 1 == t.pos and (prev.folded, t.folded) in self.pairs) or \
                (nxt is not None and t.pos + 1 == nxt.pos and (t.folded, nxt.folded) in self.pairs)
            if in_run:
                continue
            if t.folded in self.runs_only or (t.folded in alone_folds and (t.folded, t.exact) not in self.alone):
                out[i] = False
        return out


@dataclass(frozen=True)
class _Match:
    exact: frozenset[str]
    folded: set[str]

    def __call__(self, t: Term) -> bool:
        return t.exact in self.exact or t.folded in self.folded


def _matched_spans(terms: list[Term], wanted: Wanted) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for t, marked in zip(terms, wanted.marked(terms)):
        if marked:
            if spans and t.start < spans[-1][1]:  # a part inside an already marked code, or a concept
                spans[-1] = (spans[-1][0], max(spans[-1][1], t.end))  # ("Việt Nam" for "vn") over it
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
    analysed = analyze(text, with_compounds=False)  # once: the passage is chosen and marked on it
    terms = [t for t in analysed if t.kind in ("word", "concept")]
    if not terms:
        return escape(text[:size])
    marked = wanted.marked(terms)
    hits = [i for i, m in enumerate(marked) if m]
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
            if marked[k]:
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
    spans = [(s, e) for s, e in _matched_spans(analysed, wanted) if s >= start and e <= end]
    html = mark(text, spans, start, end)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text.rstrip()) else ""
    return prefix + html + suffix
