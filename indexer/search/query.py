"""The query language: free words, "quoted phrases", -exclusions and OR.

Parsing never fails: an unbalanced quote or a stray operator is read as plain text.
Words are analysed with the same module as the index (``indexer.analysis``).

Unquoted words are expanded with alternatives that find the same thing written
another way: acronyms both ways (UBND ↔ ủy ban nhân dân, ``indexer/data/acronyms.tsv``),
province names before and after the 2025 merger (``indexer.text.regions.region_alternatives``:
"Thái Nguyên" also finds "Bắc Kạn"; "Bắc Kạn" finds "Thái Nguyên" only in articles published
from 1 July 2025 on, ``Item.after``), and the parts of a code ("TP.HCM" ↔ "TP HCM").
Alternatives weigh less than the words typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.analysis import Term, syllables
from indexer.text.acronyms import concept_index, load_synonyms
from indexer.text.regions import MERGER_MINUTE, find_region_mentions, region_alternatives

MAX_WORDS = 32  # words beyond this are ignored (a 10,000-character query stays cheap)
EXPANSION_WEIGHT = 0.6  # weight of an acronym or province-name alternative
MAX_ALTERNATIVES = 6
TYPED_SPELLING_WEIGHT = 0.25  # weight of an acronym's spelling as typed, beside its concept token

_PIECE_RE = re.compile(r'(-?)"([^"]*)"|(\S+)')


@dataclass(frozen=True)
class Item:
    """One thing the query asks for: a word, or a phrase of adjacent words."""

    words: tuple[Term, ...]
    phrase: bool = False
    weight: float = 1.0
    expansion: bool = False  # an alternative added by timtin, not typed by the user
    after: int | None = None  # counts only in articles published from this minute on (a successor's name)
    place: bool = False  # a place name of several words, typed ("hòa bình" in "hòa bình mai châu")

    @property
    def accented(self) -> bool:
        return any(w.accented for w in self.words)


@dataclass
class ParsedQuery:
    """Positive groups (each a list of OR alternatives) and exclusions."""

    groups: list[list[Item]] = field(default_factory=list)
    excluded: list[Item] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups

    def words(self) -> list[Term]:
        """All positive words (alternatives included), in query order."""
        return [w for g in self.groups for item in g for w in item.words]

    def typed_words(self) -> list[Term]:
        """The words of each group's first (typed) item, in query order."""
        return [w for g in self.groups for w in g[0].words]

    def words_at(self, published: int) -> list[Term]:
        """``words()`` that count in an article published at minute ``published``."""
        return [w for g in self.groups for item in g if item.after is None or published >= item.after
                for w in item.words]

    def runs(self) -> list[list[Term]]:
        """Word sequences the query asks for in order: each item's words, and each word that ends
        an item followed by each that starts an item of the next group (for highlighting runs)."""
        out = [list(i.words) for g in self.groups for i in g]
        for g1, g2 in zip(self.groups, self.groups[1:]):
            out.extend([a.words[-1], b.words[0]] for a in g1 for b in g2)
        return out

    def beside_places(self) -> list[tuple[Term, ...]]:
        """Runs of two or more typed words beside a typed place name ("mai châu" in "hòa bình mai
        châu"): likely another name, so they count more when adjacent in an article."""
        if not any(g[0].place for g in self.groups):
            return []
        runs: list[list[Term]] = [[]]
        for g in self.groups:
            if g[0].place or g[0].phrase:
                runs.append([])
            else:
                runs[-1].extend(g[0].words)
        return [tuple(r) for r in runs if len(r) >= 2]

    def pair_breaks(self) -> frozenset[int]:
        """Indices into ``typed_words()`` before which no word pair is formed: between two place
        names typed one after the other ("hà nội hải phòng" never asks for "nội hải").  (Breaking
        at every end of a place name cost known items such as "phường ở sài gòn nguy cơ".)"""
        out: set[int] = set()
        i = 0
        prev_place = False
        for g in self.groups:
            if g[0].place and prev_place:
                out.add(i)
            prev_place = g[0].place
            i += len(g[0].words)
        return frozenset(out)


def required(group: list[Item]) -> bool:
    """Explicit OR groups and quoted phrases must match; expanded words need not."""
    return not any(i.expansion for i in group) and (len(group) > 1 or group[0].phrase)


def _groups(text: str, phrase: bool, budget: int = MAX_WORDS) -> list[list[Item]]:
    """Items for a chunk of query text (at most ``budget`` words); "TP.HCM" also matches "TP HCM"."""
    words = syllables(text)[:budget]
    if not words:
        return []
    if phrase and len(words) > 1:
        return [[Item(tuple(words), phrase=True)]]
    groups = []
    for w in words:
        group = [Item((w,))]
        parts = syllables(text[w.start : w.end].replace(".", " ").replace("&", " ")
                          .replace("/", " ").replace("-", " "))
        if len(parts) > 1:
            group.append(Item(tuple(parts), phrase=True, expansion=True))
        groups.append(group)
    return groups


def _alternative(text: str, after: int | None = None) -> Item | None:
    words = tuple(syllables(text))
    return Item(words, phrase=len(words) > 1, weight=EXPANSION_WEIGHT, expansion=True,
                after=after) if words else None


def _simple(group: list[Item]) -> bool:
    return not group[0].phrase and len(group[0].words) == 1 and all(i.expansion for i in group[1:])


def _expand(groups: list[list[Item]]) -> list[list[Item]]:
    """Acronym and province spans among consecutive typed words become one group each."""
    out: list[list[Item]] = []
    run: list[list[Item]] = []
    for group in [*groups, None]:
        if group is not None and _simple(group):
            run.append(group)
            continue
        if run:
            out.extend(_expand_run(run))
            run = []
        if group is not None:
            out.append(group)
    return out


def _expand_run(groups: list[list[Item]]) -> list[list[Item]]:
    words = [g[0].words[0] for g in groups]
    folded = [w.folded for w in words]
    spans: list[tuple[int, int, list[tuple[str, int | None]]]] = []
    tokens: dict[tuple[int, int], str] = {}  # acronym spans standing for their concept's token
    for span in concept_index().spans(folded):
        if span.two_way:
            tokens[(span.start, span.end)] = span.token
    for i, j, expansions in load_synonyms().expansions(folded):
        acronyms: list[tuple[str, int | None]] = [(" ".join(a), None) for a in expansions]
        spans.append((i, j, acronyms[:MAX_ALTERNATIVES]))
    for (i, j), token in tokens.items():
        if not any(s[0] == i and s[1] == j for s in spans):
            spans.append((i, j, [(token, None)]))
    places = set()
    for i, j, _ in find_region_mentions(folded):
        places.add((i, j))
        # a former province's successor counts only in articles published after the merger
        named = region_alternatives(" ".join(w.exact for w in words[i:j]), MAX_ALTERNATIVES)
        spans.append((i, j, [(text, MERGER_MINUTE if after else None) for text, after in named]))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[list[Item]] = []
    i = 0
    for start, end, alts in spans:
        if start < i or not alts:
            continue
        out.extend(groups[i:start])
        if (start, end) in tokens:
            token = tokens[(start, end)]
            # every spelling of the concept is indexed as its token (indexer.analysis.concepts):
            # one word, one phrase, whichever way the query and the article spell it
            # the spelling typed weighs a little more (and finds it in an index built before tokens)
            first, last = words[start], words[end - 1]
            concept = Item((Term(token, token, first.pos, first.start, last.end, "concept"),))
            typed_form = Item(tuple(words[start:end]), weight=TYPED_SPELLING_WEIGHT, expansion=True)
            out.append([concept] if folded[start:end] == [token] else [concept, typed_form])
            i = end
            continue
        typed = Item(tuple(words[start:end]), place=(start, end) in places) if end - start > 1 \
            else groups[start][0]
        extra = [a for a in (_alternative(t, after) for t, after in alts) if a]
        out.append([typed, *extra])
        i = end
    out.extend(groups[i:])
    return out


def parse_query(text: str) -> ParsedQuery:
    """Parse ``text`` into a ``ParsedQuery``; never raises."""
    if text.count('"') % 2:
        # an unbalanced quote: drop the last one and read the rest normally
        i = text.rfind('"')
        text = text[:i] + " " + text[i + 1 :]
    parsed = ParsedQuery()
    join_next = False
    count = 0
    for m in _PIECE_RE.finditer(text):
        negated, quoted, bare = m.group(1), m.group(2), m.group(3)
        if bare is not None and bare == "OR":
            join_next = bool(parsed.groups)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        chunk, phrase = (quoted, True) if quoted is not None else (bare, False)
        if count >= MAX_WORDS:
            break
        groups = _groups(chunk, phrase, MAX_WORDS - count)
        if not groups:
            continue
        count += sum(len(g[0].words) for g in groups)
        if negated:
            parsed.excluded.extend(g[0] for g in groups)
            join_next = False
            continue
        if join_next:
            parsed.groups[-1].extend(groups[0])
            groups = groups[1:]
            join_next = False
        parsed.groups.extend(groups)
    parsed.groups = _expand(_dedupe(parsed.groups))
    return parsed


def _dedupe(groups: list[list[Item]]) -> list[list[Item]]:
    """Drop repeated phrases, and repeated words in long queries (a short headline may say "hai" twice)."""
    seen: set = set()
    out = []
    for g in groups:
        key = tuple((tuple(w.exact for w in i.words), i.phrase) for i in g)
        if key not in seen or (len(groups) <= 8 and not g[0].phrase):
            seen.add(key)
            out.append(g)
    return out
