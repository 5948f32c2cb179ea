"""Vietnam's provinces before and after the 2025 merger (63 → 34): a gazetteer, article tagging,
filters and query aliases.

The data (``indexer/data/provinces.json``) lists the 34 current provinces and centrally-run cities
(Resolution 202/2025/QH15, in force since 1 July 2025), the 63 earlier provinces merged into each,
spelling variants, and a few unambiguous cities ("Đà Lạt", "Nha Trang") as extra evidence.

* :func:`tag_regions` tags an article with the provinces it is about *as they were when it was
  published*: one of the 63 before 1 July 2025, one of the 34 from then on, and for an undated
  article the province its names name.  A former province whose land is now part of a larger
  (or renamed) one is tagged "Quảng Bình (trước 7/2025)" (:func:`former_value`); one whose land is
  unchanged keeps its name ("Hà Nội").  :func:`detect_regions` gives the current provinces.
  Matching is on *exact* (accented, normalised) words and requires capitals in the original text,
  because folded or lower-case names are ordinary words ("hòa bình" peace, "bình định giá" to price).
* :func:`region_filter_value`, :func:`region_filter_values` and :func:`region_parent` serve the
  region filter and facet: a current province stands for itself and its former parts.
* :func:`region_alternatives`, :func:`region_aliases`, :func:`canonical_region` and
  :func:`find_region_mentions` serve queries, which are often typed lower-case without
  diacritics, so they match on *folded* words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from itertools import compress
from pathlib import Path
from typing import NamedTuple

from indexer.analysis import CLAUSE_BREAK_RE, PART_RE, normalize_word, syllables
from indexer.text.acronyms import form_variants

DATA_PATH = Path(__file__).parent.parent / "data" / "provinces.json"

MAX_REGIONS = 3
# The merger took effect on 1 July 2025, Vietnam time (UTC+7; naive times are read as Vietnam time).
MERGER = datetime(2025, 7, 1, tzinfo=timezone(timedelta(hours=7)))
MERGER_MINUTE = int(MERGER.timestamp() // 60)  # as the index's published_min column counts
FORMER_SUFFIX = " (trước 7/2025)"  # marks a former province in tags, filters and facets
RELATIVE_FLOOR = 0.25  # a region needs this share of the best region's evidence (unless in the title)

_FOLDED_SUFFIX = ("truoc", "7/2025")

# Words that, right before a name, say it is the province or its city: strong evidence.
_STRONG_PREFIXES: tuple[tuple[str, ...], ...] = (("tỉnh",), ("thành", "phố"), ("tp",), ("thủ", "đô"))
# Words that, right before a name, say it is something smaller or different: a district, street, river…
_PLACE_PREFIXES = frozenset(
    "huyện quận xã phường trấn thôn ấp xóm khóm bản làng đường phố lộ hẻm ngõ ngách kiệt sông đèo núi".split())
# A name right after one of these (capitalised) is part of a person's name: "Nguyễn Thái Bình", "Thị Huế".
_NAME_WORDS = frozenset(
    "nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đinh trịnh đoàn lương mai tạ "
    "cao lâm châu quách tôn thái văn thị đức hữu ngọc công xuân kim quốc thanh minh"
    .split())
# …and after these lower-case titles: "bà Huế", "anh Hà Giang".
_PERSON_TITLES = frozenset("ông bà anh chị cô chú bác cụ thầy bé sĩ sỹ văn".split())  # văn: "nhà văn"
# Sponsors of football clubs named after provinces ("Hoàng Anh Gia Lai", "Sông Lam Nghệ An").
_CLUB_WORDS = frozenset("anh lam than becamex xskt shb navibank sanna".split())
# Phrases that contain a province name but are not about it.
_BLOCKED = ("Thái Bình Dương",)


@dataclass(frozen=True, slots=True)
class FormerProvince:
    """One of the 63 provinces before 1 July 2025."""

    name: str
    aliases: tuple[str, ...]  # spelling variants
    places: tuple[str, ...]  # unambiguous cities and towns in it


@dataclass(frozen=True, slots=True)
class Province:
    """A current province or centrally-run city, with everything that names it."""

    name: str  # display name, e.g. "Thái Nguyên", "Thành phố Hồ Chí Minh"
    kind: str  # "tỉnh" or "thành phố"
    aliases: tuple[str, ...]  # other names of the current unit
    old_names: tuple[str, ...]  # the pre-2025 provinces merged into it
    old_aliases: tuple[str, ...]  # spelling variants of those
    places: tuple[str, ...]  # unambiguous cities and towns in it
    parts: tuple[FormerProvince, ...] = ()  # the pre-2025 provinces merged into it, in data order

    @property
    def names(self) -> list[str]:
        """All names for query expansion: current, aliases, old names and their variants (no places)."""
        return list(dict.fromkeys((self.name, *self.aliases, *self.old_names, *self.old_aliases)))

    @property
    def changed(self) -> bool:
        """Whether the merger changed its land or name (its former parts are tagged apart)."""
        return len(self.parts) != 1 or self.parts[0].name != self.name

    @property
    def core(self) -> int:
        """The index of the former part that gave the current province its name (else 0)."""
        return next((i for i, p in enumerate(self.parts) if p.name == self.name), 0)

    def former_value(self, part: int) -> str:
        """The tag of a former part: "Quảng Bình (trước 7/2025)"; the name itself when unchanged."""
        return self.parts[part].name + FORMER_SUFFIX if self.changed else self.name


class _Tok(NamedTuple):
    exact: str
    start: int
    end: int
    upper: bool  # starts with a capital (or a digit) in the original text


@dataclass
class Gazetteer:
    """The provinces and lookup tables built from them."""

    provinces: list[Province]
    exact: dict[tuple[str, ...], str] = field(default_factory=dict)  # exact words -> province (incl. places)
    folded: dict[tuple[str, ...], str] = field(default_factory=dict)  # folded words -> province (names only)
    folded_places: dict[tuple[str, ...], str] = field(default_factory=dict)
    blocked_exact: set[tuple[str, ...]] = field(default_factory=set)
    blocked_folded: set[tuple[str, ...]] = field(default_factory=set)
    exact_starts: set[str] = field(default_factory=set)  # first words of exact names (a quick filter)
    longest_exact: int = 0  # words in the longest exact name
    # which former part each exact or folded key names (a current name: the part that gave it)
    exact_part: dict[tuple[str, ...], int] = field(default_factory=dict)
    folded_part: dict[tuple[str, ...], int] = field(default_factory=dict)
    current_exact: set[tuple[str, ...]] = field(default_factory=set)  # current names and aliases
    current_folded: set[tuple[str, ...]] = field(default_factory=set)
    place_exact: set[tuple[str, ...]] = field(default_factory=set)  # keys that are places, not names
    former_values: dict[str, tuple[str, int]] = field(default_factory=dict)  # tag -> (province, part)
    by_province: dict[str, Province] = field(default_factory=dict)  # ``by_name``, built once

    @property
    def by_name(self) -> dict[str, Province]:
        return {p.name: p for p in self.provinces}


def _split_tokens(text: str) -> list[_Tok]:
    """Words of ``text`` with codes split into their parts ("TP.HCM" → "tp", "hcm")."""
    out = []
    for m in PART_RE.finditer(text):
        word = m.group()
        out.append(_Tok(normalize_word(word), m.start(), m.end(), word[0].isupper() or word[0].isdigit()))
    return out


def _exact_key(text: str) -> tuple[str, ...]:
    return tuple(t.exact for t in _split_tokens(text))


def _add(table: dict[tuple[str, ...], str], key: tuple[str, ...], name: str, what: str) -> None:
    other = table.get(key)
    if other is not None and other != name:
        raise ValueError(f"provinces.json: {what} {' '.join(key)!r} names both {other!r} and {name!r}")
    table[key] = name


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """Read ``provinces.json`` (default: the package's) and build the lookup tables."""
    raw = json.loads(Path(path or DATA_PATH).read_text(encoding="utf-8"))
    provinces = []
    for p in raw["provinces"]:
        merged = p["merged"]
        provinces.append(Province(
            name=p["name"], kind=p["kind"], aliases=tuple(p.get("aliases", ())),
            old_names=tuple(m["name"] for m in merged),
            old_aliases=tuple(a for m in merged for a in m.get("aliases", ())),
            places=tuple(x for m in merged for x in m.get("places", ())),
            parts=tuple(FormerProvince(m["name"], tuple(m.get("aliases", ())), tuple(m.get("places", ())))
                        for m in merged)))
    gz = Gazetteer(provinces)
    gz.by_province = gz.by_name
    for p in provinces:
        for text in p.names:
            _add(gz.exact, _exact_key(text), p.name, "name")
            for form in form_variants(text):
                _add(gz.folded, form, p.name, "name")
        for text in p.places:
            _add(gz.exact, _exact_key(text), p.name, "place")
            for form in form_variants(text):
                gz.folded_places.setdefault(form, p.name)
        # the part each key names: a former name its part, a current name the part that gave it
        for i, part in enumerate(p.parts):
            gz.former_values.setdefault(p.former_value(i), (p.name, i))
            for text in (part.name, *part.aliases):
                gz.exact_part.setdefault(_exact_key(text), i)
                for form in form_variants(text):
                    gz.folded_part.setdefault(form, i)
            for text in part.places:
                gz.exact_part.setdefault(_exact_key(text), i)
                gz.place_exact.add(_exact_key(text))
        for text in (p.name, *p.aliases):
            gz.exact_part.setdefault(_exact_key(text), p.core)
            gz.current_exact.add(_exact_key(text))
            for form in form_variants(text):
                gz.folded_part.setdefault(form, p.core)
                gz.current_folded.add(form)
    for text in _BLOCKED:
        gz.blocked_exact.add(_exact_key(text))
        gz.blocked_folded.update(form_variants(text))
    gz.exact_starts = {k[0] for k in (*gz.exact, *gz.blocked_exact)}
    gz.longest_exact = max(len(k) for k in gz.exact)
    return gz


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The package gazetteer (cached)."""
    return load_gazetteer()


def provinces() -> list[Province]:
    """The 34 current provinces and centrally-run cities, in data-file order."""
    return gazetteer().provinces


# -- names -------------------------------------------------------------------------


def canonical_region(name: str, places: bool = False) -> str | None:
    """The current province a name denotes (current, old or alias; any case or diacritics), else None.

    With ``places=True`` city names such as "Đà Lạt" resolve too.
    """
    gz = gazetteer()
    key = _exact_key(name)
    hit = gz.exact.get(key)
    if hit is not None and (places or _is_name(hit, key)):
        return hit
    for form in form_variants(name):
        hit = gz.folded.get(form) or (gz.folded_places.get(form) if places else None)
        if hit is not None:
            return hit
    return None


@lru_cache(maxsize=1)
def _name_keys() -> frozenset[tuple[str, tuple[str, ...]]]:
    return frozenset((p.name, _exact_key(n)) for p in provinces() for n in p.names)


def _is_name(province: str, key: tuple[str, ...]) -> bool:
    return (province, key) in _name_keys()


def region_aliases(name_or_old_name: str) -> list[str]:
    """Every name of the current province that ``name_or_old_name`` maps to ([] if unknown).

    "Bắc Kạn", "bac kan" and "Thái Nguyên" all give ["Thái Nguyên", "Bắc Kạn", "Bắc Cạn"], so a query
    naming an old province also finds articles using the current name, and the other way round.
    """
    hit = canonical_region(name_or_old_name)
    return gazetteer().by_name[hit].names if hit else []


def find_region_mentions(words_folded: list[str], places: bool = False) -> list[tuple[int, int, str]]:
    """Spans ``[i, j)`` of a query's folded words that name a province: ``(i, j, current name)``.

    Longest match first, no overlaps; "thai binh duong" (the Pacific) is not a mention.  Folded
    words are ambiguous ("hoa binh" is also "peace"): use the result to *add* alternatives.
    """
    gz = gazetteer()
    tables = [gz.folded, gz.folded_places] if places else [gz.folded]
    longest = max(len(k) for t in tables for k in t)
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words_folded):
        for j in range(min(len(words_folded), i + longest), i, -1):
            span = tuple(words_folded[i:j])
            if span in gz.blocked_folded:
                i = j
                break
            hit = next((t[span] for t in tables if span in t), None)
            if hit is not None:
                out.append((i, j, hit))
                i = j
                break
        else:
            i += 1
    return out


# -- detection in articles -------------------------------------------------------------


@dataclass
class _Evidence:
    title: float = 0.0
    lead: float = 0.0
    body: float = 0.0
    strong: int = 0
    first: int = 1 << 30  # order of first mention (ties)

    @property
    def score(self) -> float:
        return 3 * self.title + 2 * self.lead + self.body + 0.5 * self.strong


@dataclass(frozen=True, slots=True)
class _Mention:
    province: str
    i: int  # token span
    j: int
    strong: bool  # after "tỉnh"/"TP"/"thành phố", or closing an address ("huyện X, Hà Nam")
    listed: bool = False  # one of a list or route of provinces ("Hà Nội, Hải Phòng và Đồng Nai")
    key: tuple[str, ...] = ()  # the exact words of the name (or place) mentioned


_LIST_GAP_RE = re.compile(r"^\s*(?:[,;/\-–—]|và|hoặc|\s)\s*$")
_ADMIN_WORDS = frozenset("huyện quận xã phường trấn thôn ấp tp thị".split())


def _ends_with(words: list[str], tail: tuple[str, ...]) -> bool:
    return len(words) >= len(tail) and tuple(words[-len(tail) :]) == tail


class _Words:
    """The words of a text (``PART_RE``: codes split into their parts, "TP.HCM" → "TP", "HCM") and
    the text between them, split once in C; exact forms are normalised only where a name may start."""

    __slots__ = ("pieces", "words")

    def __init__(self, text: str) -> None:
        self.pieces = _PART_SPLIT_RE.split(text)  # gap, word, gap, word, …, gap
        self.words = self.pieces[1::2]

    def exact(self, k: int) -> str:
        return normalize_word(self.words[k])

    def upper(self, k: int) -> bool:
        """Starts with a capital (or a digit) in the original text."""
        first = self.words[k][0]
        return first.isupper() or first.isdigit()

    def gap(self, a: int, b: int) -> str:
        """The text from the end of word ``a - 1`` to the start of word ``b`` (``a <= b``)."""
        return "".join(self.pieces[2 * a : 2 * b + 1])


_PART_SPLIT_RE = re.compile(f"({PART_RE.pattern})", PART_RE.flags)


@lru_cache(maxsize=200_000)
def _may_start(word: str) -> bool:
    """Whether a name of the gazetteer may start at this word (capitalised, a known first word)."""
    return (word[0].isupper() or word[0].isdigit()) and normalize_word(word) in gazetteer().exact_starts


def _mentions(text: str) -> list[_Mention]:
    """Credible mentions of provinces in ``text``, in order."""
    gz = gazetteer()
    toks = _Words(text)
    words = toks.words
    n = len(words)
    longest = gz.longest_exact
    out: list[_Mention] = []
    i = 0  # the first word not yet part of a match
    for c in compress(range(n), map(_may_start, words)):
        if c < i:
            continue
        i = c
        span = tuple(map(normalize_word, words[i : min(n, i + longest)]))
        match: tuple[int, str | None] | None = None
        for j in range(i + len(span), i, -1):
            key = span[: j - i]
            if key in gz.blocked_exact:
                match = (j, None)
                break
            if key in gz.exact:
                match = (j, gz.exact[key])
                break
        if match is None:
            i += 1
            continue
        j, province = match
        if province is not None and all(toks.upper(k) for k in range(i, j)):
            verdict = _judge(toks, i)
            if verdict is not None:
                out.append(_Mention(province, i, j, verdict, key=span[: j - i]))
        i = j
    return _merge(toks, out)


def _merge(toks: _Words, found: list[_Mention]) -> list[_Mention]:
    """Count "Buôn Ma Thuột, Đắk Lắk" once, and mark lists and routes of different provinces."""
    out: list[_Mention] = []
    for m in found:
        prev = out[-1] if out else None
        near = prev is not None and m.i - prev.j <= 1 and _LIST_GAP_RE.match(
            toks.gap(prev.j, m.i).replace("(", "").replace(")", "")) is not None
        if prev is None or not near:
            out.append(m)
            continue
        if prev.province == m.province:  # "Đồng Hới, Quảng Bình": the name closing it says which
            out[-1] = _Mention(prev.province, prev.i, m.j, prev.strong or m.strong, prev.listed, m.key)
            continue
        out[-1] = _Mention(prev.province, prev.i, prev.j, False, True, prev.key)
        out.append(_Mention(m.province, m.i, m.j, False, True, m.key))
    return out


def _judge(toks: _Words, i: int) -> bool | None:
    """None to reject the name starting at word ``i``, else whether its context is strong evidence."""
    if i == 0:
        return toks.exact(i) == "tp"
    gap = toks.gap(i, i)
    if not CLAUSE_BREAK_RE.search(gap) or gap.strip() in (".", ""):
        before = [toks.exact(k) for k in range(max(0, i - 2), i)]
        if any(_ends_with(before, p) for p in _STRONG_PREFIXES):
            return True
    if not CLAUSE_BREAK_RE.search(gap):
        prev = toks.exact(i - 1)
        if prev in _PLACE_PREFIXES or prev in _PERSON_TITLES:
            return None
        if toks.upper(i - 1) and (prev in _NAME_WORDS or prev in _CLUB_WORDS):
            return None
    if toks.exact(i) == "tp":  # an alias that carries its own "TP" (TP.HCM, TP Hồ Chí Minh)
        return True
    # the end of an address: "xã Long Điền, huyện Đông Hải, Bạc Liêu" / "(Mai Châu, Hoà Bình)"
    return "," in gap and any(toks.exact(k) in _ADMIN_WORDS for k in range(max(0, i - 6), i))


def _first_paragraph(body: str) -> str:
    return body.strip().split("\n", 1)[0]


ERAS = ("after", "before", "undated")  # published from 1 July 2025 on, before it, or unknown


def era_of(published: datetime | None) -> str:
    """The era of an article published at ``published`` (naive: Vietnam time)."""
    if published is None:
        return "undated"
    if published.tzinfo is None:
        published = published.replace(tzinfo=MERGER.tzinfo)
    return "after" if published >= MERGER else "before"


def _names_former_part(m: _Mention) -> bool:
    """Whether a mention names a former province now part of another one ("Bình Định")."""
    gz = gazetteer()
    p = gz.by_province[m.province]
    return m.key not in gz.place_exact and gz.exact_part.get(m.key, p.core) != p.core


def _tag(m: _Mention, era: str) -> str:
    """The value a mention is tagged with in ``era`` (see ``ERAS``)."""
    gz = gazetteer()
    p = gz.by_province[m.province]
    if era == "after":
        return p.name
    part = gz.exact_part.get(m.key, p.core)
    if era == "undated" and (m.key in gz.current_exact or (m.key in gz.place_exact and part == p.core)):
        return p.name  # an undated article naming the current province (or a place of its core)
    return p.former_value(part)


def region_evidence(title: str, lead: str, body: str, era: str = "after") -> dict[str, _Evidence]:
    """Weighted mentions of each province, per part of the article: current provinces (``era``
    "after"), or the provinces of the time (see ``tag_regions``).

    Without a lead, the body's first paragraph stands in for it.  A province in a list or route of
    others ("Hà Nội, Hải Phòng và Đồng Nai") counts half and is never strong evidence.
    """
    lead = lead or ""
    if not lead.strip() and body:
        lead = _first_paragraph(body)
        body = body.strip()[len(lead) :]
    china = "Trung Quốc" in title or "Trung Quốc" in lead or "Trung Quốc" in body
    mentions: list[tuple[str, _Mention]] = []
    for part, text in (("title", title), ("lead", lead), ("body", body)):
        for m in _mentions(text or ""):
            if china and m.province == "Ninh Bình" and "Hà Nam" in text:
                continue  # Henan (Hà Nam), a province of China
            mentions.append((part, m))
    if era == "undated" and any(_names_former_part(m) for _, m in mentions):
        era = "before"  # an undated article naming "Bình Định" uses the names from before the merger
    found: dict[str, _Evidence] = {}
    order = 0
    for part, m in mentions:
        ev = found.setdefault(_tag(m, era), _Evidence())
        setattr(ev, part, getattr(ev, part) + (0.5 if m.listed else 1.0))
        ev.strong += m.strong
        ev.first = min(ev.first, order)
        order += 1
    return found


def tag_regions(title: str, lead: str, body: str, published: datetime | None,
                limit: int = MAX_REGIONS) -> list[str]:
    """The provinces an article is about as they were when it was published, at most ``limit``.

    From 1 July 2025 on, the 34 current provinces ("Gia Lai"); before, the 63 former ones, a
    former one whose land or name changed marked "Bình Định (trước 7/2025)", "Gia Lai (trước
    7/2025)".  Undated, by the names it uses: naming a former province now part of another
    ("Bình Định"), it is read as from before the merger; otherwise each name gives the province
    it names (a current name its current province: "Gia Lai").
    """
    return detect_regions(title, lead, body, limit, era_of(published))


def detect_regions(title: str, lead: str, body: str, limit: int = MAX_REGIONS, era: str = "after") -> list[str]:
    """Current provinces (display names) the article is about, most evident first, at most ``limit``;
    with ``era`` "before" or "undated", the provinces of that time (see ``tag_regions``).

    A province counts when named in the title or lead, twice in the body, or once in the body as
    "tỉnh X", "TP X", "thành phố X" or at the end of an address; a province with under a quarter of
    the best one's evidence and no title mention is a passing mention and is dropped.
    """
    found = region_evidence(title, lead, body, era)
    top = max((ev.score for ev in found.values()), default=0.0)
    kept = [(name, ev) for name, ev in found.items()
            if (ev.title or ev.lead or ev.body >= 2 or ev.strong >= 1)
            and (ev.title or ev.score >= RELATIVE_FLOOR * top)]
    kept.sort(key=lambda x: (-x[1].score, x[1].first))
    return [name for name, _ in kept[:limit]]


# -- filters and facets --------------------------------------------------------------------------


def former_value(name: str) -> str | None:
    """The tag of the former province ``name`` names (any spelling): "quang binh" → "Quảng Bình
    (trước 7/2025)", "Hà Nội" → "Hà Nội" (unchanged by the merger); None if it names none."""
    province = canonical_region(name)
    if province is None:
        return None
    return gazetteer().by_province[province].former_value(_part_of(name))


def _part_of(name: str) -> int:
    gz = gazetteer()
    got = gz.exact_part.get(_exact_key(name))
    if got is None:
        got = next((gz.folded_part[f] for f in form_variants(name) if f in gz.folded_part), None)
    return got if got is not None else gz.by_province[canonical_region(name) or ""].core


def region_filter_value(name: str) -> str | None:
    """The region filter value a name denotes, None if it names no province.

    A current province's name (any spelling, or a name of the part that gave it its name: "Sài
    Gòn") gives the current province, which selects its former parts too (``region_filter_values``):
    "quang tri" → "Quảng Trị".  Another former province's name, or any name followed by "(trước
    7/2025)", gives that former province: "Quảng Bình" → "Quảng Bình (trước 7/2025)".
    """
    text = name.strip()
    words = syllables(text)
    former = tuple(w.folded for w in words[-2:]) == _FOLDED_SUFFIX
    if former:
        text = text[: words[-2].start].rstrip(" (").strip()
    text, province = _named(text)
    if province is None:
        return None
    if not former and _part_of(text) == gazetteer().by_province[province].core:
        return province
    return former_value(text)


_KIND_WORDS = (("tinh",), ("thanh", "pho"), ("tp",))  # folded words naming a unit's kind before its name
CITY = "Thành phố "


def _named(text: str) -> tuple[str, str | None]:
    """``text`` as a province name and the current province it names, also when a filter names it with
    its kind ("tỉnh Quảng Bình", "TP Cần Thơ") or a city without "Thành phố" ("Hồ Chí Minh": not an
    alias in article text, where it is mostly the person)."""
    province = canonical_region(text)
    if province is not None:
        return text, province
    words = syllables(text)
    folded = tuple(w.folded for w in words)
    for kind in _KIND_WORDS:
        if len(folded) > len(kind) and folded[: len(kind)] == kind:
            bare = text[words[len(kind)].start :]
            province = canonical_region(bare)
            if province is not None:
                return bare, province
    province = canonical_region(CITY + text)
    return (CITY + text, province) if province is not None else (text, None)


def region_filter_values(value: str) -> list[str]:
    """The tags a region filter value selects: a current province's own and its former parts'."""
    p = gazetteer().by_province.get(value)
    if p is None or not p.changed:
        return [value]
    return [value, *(p.former_value(i) for i in range(len(p.parts)))]


def region_parent(value: str) -> str | None:
    """The current province a former province's tag is grouped under, else None:
    "Quảng Bình (trước 7/2025)" → "Quảng Trị"."""
    hit = gazetteer().former_values.get(value)
    return hit[0] if hit is not None and hit[0] != value else None


# -- queries -------------------------------------------------------------------------------------


def region_alternatives(name: str, limit: int = 6) -> list[tuple[str, bool]]:
    """Other names a query naming a province should also find: ``(text, after_merger_only)``,
    the typed form left out; [] when ``name`` names no province.

    A current province's name ("Quảng Trị", "TP.HCM") finds its names in data order (at most
    ``limit``) and every former part's name, at any date ("Quảng Bình").  A former province's
    name finds its own other spellings at any date, and its successor's names only in articles
    published after the merger ("Quảng Bình" → "Quảng Trị" from 1 July 2025 on).  The part that
    gave the current province its name ("Sài Gòn", "Thừa Thiên Huế") is the same place under
    either name: it finds the current names at any date (at most ``limit``).
    """
    province = canonical_region(name)
    if province is None:
        return []
    gz = gazetteer()
    p = gz.by_province[province]
    part = _part_of(name)
    typed = " ".join(t.folded for t in syllables(name))

    def others(names: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
        return [(n, a) for n, a in names if " ".join(t.folded for t in syllables(n)) != typed]

    if part == p.core or not p.changed:
        out = others([(n, False) for n in p.names])[:limit]
        current = _exact_key(name) in gz.current_exact or any(f in gz.current_folded for f in form_variants(name))
        if current:  # every former part, even beyond the limit
            out += [(q.name, False) for i, q in enumerate(p.parts)
                    if i != p.core and (q.name, False) not in out]
        return out
    own = p.parts[part]
    return others([*((n, False) for n in (own.name, *own.aliases)), *((n, True) for n in (p.name, *p.aliases))])[
        :limit]


def former_values() -> list[str]:
    """The tags of the former provinces whose land or name the merger changed, in data order."""
    return [v for v in gazetteer().former_values if v.endswith(FORMER_SUFFIX)]
