"""The query language: free words, "quoted phrases", -exclusions and OR.

Parsing never fails: an unbalanced quote or a stray operator is read as plain text.
Words are analysed with the same module as the index (``indexer.analysis``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.analysis import Term, syllables

MAX_WORDS = 32  # words beyond this are ignored (a 10,000-character query stays cheap)

_PIECE_RE = re.compile(r'(-?)"([^"]*)"|(\S+)')


@dataclass(frozen=True)
class Item:
    """One thing the query asks for: a word, or a phrase of adjacent words."""

    words: tuple[Term, ...]
    phrase: bool = False

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
        """All positive words, in query order."""
        return [w for g in self.groups for item in g for w in item.words]


def _groups(text: str, phrase: bool) -> list[list[Item]]:
    """Items for a chunk of query text; a code such as "TP.HCM" also matches "TP HCM"."""
    words = syllables(text)
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
            group.append(Item(tuple(parts), phrase=True))
        groups.append(group)
    return groups


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
        groups = _groups(chunk, phrase)
        if not groups:
            continue
        if count >= MAX_WORDS:
            break
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
    return parsed
