"""One name per news source and per category, from the tables ``indexer/data/sources.tsv`` and
``indexer/data/categories.tsv`` (format in their headers).

Inputs name one publication in several ways ("VnExpress", "vnexpress.net",
"kinhdoanh.vnexpress.net") and give categories as codes ("ThoiSu", "DoiNoi-DoiNgoai").
:func:`source_name` and :func:`category_name` give the display name; a value in no line of the table
is kept as given.  :func:`name_forms` gives every form of a value's name, so a filter typed in any
form finds the articles of an index written before the names were unified.

    >>> source_name("thethao.vnexpress.net"), source_name("Tuoi Tre"), category_name("DoiNoi-DoiNgoai")
    ('VnExpress', 'Tuổi Trẻ', 'Đối nội - Đối ngoại')
    >>> category_name("Văn hoá"), source_name("baomoi.com")
    ('Văn hóa', 'baomoi.com')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from indexer.analysis import fold, has_diacritics, normalize_text

DATA = Path(__file__).parent.parent / "data"
SOURCES_PATH = DATA / "sources.tsv"
CATEGORIES_PATH = DATA / "categories.tsv"

__all__ = ["NameTable", "category_name", "display_name", "load_names", "name_forms", "source_name"]

_DOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
_NOT_ALNUM_RE = re.compile(r"[\W_]+")


class NameTableError(ValueError):
    """A malformed name table; the message lists every problem as ``FILE:LINE: reason``."""


def _domain(value: str) -> str | None:
    """The host name in ``value`` ("https://www.Tuoitre.vn/x" → "tuoitre.vn"), None if it is none."""
    text = value.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/", 1)[0].split("?", 1)[0].rstrip(".")
    text = text.removeprefix("www.")
    return text if _DOMAIN_RE.fullmatch(text) else None


def _exact_key(value: str) -> str:
    """Lower case, canonical tones, without spaces and punctuation."""
    return _NOT_ALNUM_RE.sub("", normalize_text(value))


def _folded_key(value: str) -> str:
    return fold(_exact_key(value))


@dataclass
class NameTable:
    """Display names and the forms that name them."""

    names: list[str] = field(default_factory=list)
    forms: dict[str, list[str]] = field(default_factory=dict)  # display name -> its forms, itself first
    by_domain: dict[str, str] = field(default_factory=dict)
    by_exact: dict[str, str] = field(default_factory=dict)
    by_folded: dict[str, str | None] = field(default_factory=dict)  # None: two names fold alike

    def add(self, name: str, forms: list[str]) -> list[str]:
        """Add a line; return the problems (a form already in another line)."""
        problems = []
        self.names.append(name)
        self.forms[name] = [name, *forms]
        for form in self.forms[name]:
            domain = _domain(form) if "." in form else None
            if domain:
                if self.by_domain.setdefault(domain, name) != name:
                    problems.append(f"{form!r} is already a form of {self.by_domain[domain]!r}")
                continue
            key = _exact_key(form)
            if not key:
                problems.append(f"{form!r} has no letters")
                continue
            if self.by_exact.setdefault(key, name) != name:
                problems.append(f"{form!r} is already a form of {self.by_exact[key]!r}")
            folded = fold(key)
            if self.by_folded.get(folded, name) != name:
                self.by_folded[folded] = None  # ambiguous without diacritics: only exact forms match
            else:
                self.by_folded[folded] = name
        return problems

    def lookup(self, value: str) -> str | None:
        """The display name of ``value``, or None when the table does not know it."""
        if not value.strip():
            return None
        domain = _domain(value) if "." in value else None
        if domain:
            labels = domain.split(".")
            for i in range(len(labels) - 1):  # the domain, then its parents: thethao.vnexpress.net
                found = self.by_domain.get(".".join(labels[i:]))
                if found:
                    return found
            return None
        key = _exact_key(value)
        found = self.by_exact.get(key)
        if found is None and key and not has_diacritics(value):
            found = self.by_folded.get(fold(key))
        return found

    def display(self, value: str) -> str:
        """The display name of ``value``; ``value`` itself when the table does not know it."""
        return self.lookup(value) or value

    def all_forms(self, value: str) -> list[str]:
        """``value`` and every form of its name (for filters over indexes that kept the given forms)."""
        name = self.lookup(value)
        if name is None:
            return [value]
        return list(dict.fromkeys([value, *self.forms[name]]))


def parse_names(text: str, origin: str = "<names>") -> NameTable:
    """Parse a table (format in the header of ``indexer/data/sources.tsv``)."""
    table = NameTable()
    problems: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, rest = raw.partition("\t")
        name = name.strip()
        forms = [f.strip() for f in rest.split("|") if f.strip()]
        if not name:
            problems.append(f"{origin}:{lineno}: no display name before the tab")
            continue
        problems.extend(f"{origin}:{lineno}: {p}" for p in table.add(name, forms))
    if problems:
        raise NameTableError("\n".join(problems))
    return table


@lru_cache(maxsize=8)
def load_names(path: str) -> NameTable:
    """The table in ``path``, cached."""
    return parse_names(Path(path).read_text(encoding="utf-8"), path)


def _table(kind: str) -> NameTable:
    return load_names(str(SOURCES_PATH if kind == "source" else CATEGORIES_PATH))


def source_name(value: str) -> str:
    """The display name of a source ("vnexpress.net" → "VnExpress"); unknown sources as given."""
    return _table("source").display(value)


def category_name(value: str) -> str:
    """The display name of a category ("ThoiSu" → "Thời sự"); unknown categories as given."""
    return _table("category").display(value)


def display_name(field_name: str, value: str) -> str:
    """The display name of ``value`` in the field ``source`` or ``category``; other fields as given."""
    return _table(field_name).display(value) if field_name in ("source", "category") else value


def name_forms(field_name: str, value: str) -> list[str]:
    """``value`` and the other forms of its name in the field ``source`` or ``category``."""
    return _table(field_name).all_forms(value) if field_name in ("source", "category") else [value]
