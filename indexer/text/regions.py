"""Vietnam's provinces after the 2025 merger (63 → 34): a gazetteer, article tagging and query aliases.

The data (``indexer/data/provinces.json``) lists the 34 current provinces and centrally-run cities
(Resolution 202/2025/QH15, in force since 1 July 2025), the 63 earlier provinces merged into each,
spelling variants, and a few unambiguous cities ("Đà Lạt", "Nha Trang") as extra evidence.

* :func:`detect_regions` tags an article with the current provinces it is about.  Matching is on
  *exact* (accented, normalised) words and requires capitals in the original text, because folded
  or lower-case names are ordinary words ("hòa bình" peace, "bình định giá" to price).
* :func:`region_aliases`, :func:`canonical_region` and :func:`find_region_mentions` serve queries,
  which are often typed lower-case without diacritics, so they match on *folded* words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from indexer.analysis import CLAUSE_BREAK_RE, PART_RE, normalize_word
from indexer.text.acronyms import form_variants

DATA_PATH = Path(__file__).parent.parent / "data" / "provinces.json"

MAX_REGIONS = 3
RELATIVE_FLOOR = 0.25  # a region needs this share of the best region's evidence (unless in the title)

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
class Province:
    """A current province or centrally-run city, with everything that names it."""

    name: str  # display name, e.g. "Thái Nguyên", "Thành phố Hồ Chí Minh"
    kind: str  # "tỉnh" or "thành phố"
    aliases: tuple[str, ...]  # other names of the current unit
    old_names: tuple[str, ...]  # the pre-2025 provinces merged into it
    old_aliases: tuple[str, ...]  # spelling variants of those
    places: tuple[str, ...]  # unambiguous cities and towns in it

    @property
    def names(self) -> list[str]:
        """All names for query expansion: current, aliases, old names and their variants (no places)."""
        return list(dict.fromkeys((self.name, *self.aliases, *self.old_names, *self.old_aliases)))


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
            places=tuple(x for m in merged for x in m.get("places", ()))))
    gz = Gazetteer(provinces)
    for p in provinces:
        for text in p.names:
            _add(gz.exact, _exact_key(text), p.name, "name")
            for form in form_variants(text):
                _add(gz.folded, form, p.name, "name")
        for text in p.places:
            _add(gz.exact, _exact_key(text), p.name, "place")
            for form in form_variants(text):
                gz.folded_places.setdefault(form, p.name)
    for text in _BLOCKED:
        gz.blocked_exact.add(_exact_key(text))
        gz.blocked_folded.update(form_variants(text))
    gz.exact_starts = {k[0] for k in (*gz.exact, *gz.blocked_exact)}
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


_LIST_GAP_RE = re.compile(r"^\s*(?:[,;/\-–—]|và|hoặc|\s)\s*$")
_ADMIN_WORDS = frozenset("huyện quận xã phường trấn thôn ấp tp thị".split())


def _ends_with(words: list[str], tail: tuple[str, ...]) -> bool:
    return len(words) >= len(tail) and tuple(words[-len(tail) :]) == tail


def _mentions(text: str) -> list[_Mention]:
    """Credible mentions of provinces in ``text``, in order."""
    gz = gazetteer()
    toks = _split_tokens(text)
    longest = max(len(k) for k in gz.exact)
    out: list[_Mention] = []
    i = 0
    starts = gz.exact_starts
    while i < len(toks):
        match: tuple[int, str | None] | None = None
        if not toks[i].upper or toks[i].exact not in starts:
            i += 1
            continue
        for j in range(min(len(toks), i + longest), i, -1):
            key = tuple(t.exact for t in toks[i:j])
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
        if province is not None and all(t.upper for t in toks[i:j]):
            verdict = _judge(text, toks, i)
            if verdict is not None:
                out.append(_Mention(province, i, j, verdict))
        i = j
    return _merge(text, toks, out)


def _merge(text: str, toks: list[_Tok], found: list[_Mention]) -> list[_Mention]:
    """Count "Buôn Ma Thuột, Đắk Lắk" once, and mark lists and routes of different provinces."""
    out: list[_Mention] = []
    for m in found:
        prev = out[-1] if out else None
        near = prev is not None and m.i - prev.j <= 1 and _LIST_GAP_RE.match(
            text[toks[prev.j - 1].end : toks[m.i].start].replace("(", "").replace(")", "")) is not None
        if prev is None or not near:
            out.append(m)
            continue
        if prev.province == m.province:
            out[-1] = _Mention(prev.province, prev.i, m.j, prev.strong or m.strong, prev.listed)
            continue
        out[-1] = _Mention(prev.province, prev.i, prev.j, False, True)
        out.append(_Mention(m.province, m.i, m.j, False, True))
    return out


def _judge(text: str, toks: list[_Tok], i: int) -> bool | None:
    """None to reject the name starting at ``toks[i]``, else whether its context is strong evidence."""
    if i == 0:
        return toks[i].exact == "tp"
    gap = text[toks[i - 1].end : toks[i].start]
    if not CLAUSE_BREAK_RE.search(gap) or gap.strip() in (".", ""):
        before = [t.exact for t in toks[max(0, i - 2) : i]]
        if any(_ends_with(before, p) for p in _STRONG_PREFIXES):
            return True
    if not CLAUSE_BREAK_RE.search(gap):
        prev = toks[i - 1]
        if prev.exact in _PLACE_PREFIXES or prev.exact in _PERSON_TITLES:
            return None
        if prev.upper and (prev.exact in _NAME_WORDS or prev.exact in _CLUB_WORDS):
            return None
    if toks[i].exact == "tp":  # an alias that carries its own "TP" (TP.HCM, TP Hồ Chí Minh)
        return True
    # the end of an address: "xã Long Điền, huyện Đông Hải, Bạc Liêu" / "(Mai Châu, Hoà Bình)"
    return "," in gap and any(t.exact in _ADMIN_WORDS for t in toks[max(0, i - 6) : i])


def _first_paragraph(body: str) -> str:
    return body.strip().split("\n", 1)[0]


def region_evidence(title: str, lead: str, body: str) -> dict[str, _Evidence]:
    """Weighted mentions of each current province, per part of the article.

    Without a lead, the body's first paragraph stands in for it.  A province in a list or route of
    others ("Hà Nội, Hải Phòng và Đồng Nai") counts half and is never strong evidence.
    """
    lead = lead or ""
    if not lead.strip() and body:
        lead = _first_paragraph(body)
        body = body.strip()[len(lead) :]
    china = "Trung Quốc" in title or "Trung Quốc" in lead or "Trung Quốc" in body
    found: dict[str, _Evidence] = {}
    order = 0
    for part, text in (("title", title), ("lead", lead), ("body", body)):
        for m in _mentions(text or ""):
            if china and m.province == "Ninh Bình" and "Hà Nam" in text:
                continue  # Henan (Hà Nam), a province of China
            ev = found.setdefault(m.province, _Evidence())
            setattr(ev, part, getattr(ev, part) + (0.5 if m.listed else 1.0))
            ev.strong += m.strong
            ev.first = min(ev.first, order)
            order += 1
    return found


def detect_regions(title: str, lead: str, body: str, limit: int = MAX_REGIONS) -> list[str]:
    """Current provinces (display names) the article is about, most evident first, at most ``limit``.

    A province counts when named in the title or lead, twice in the body, or once in the body as
    "tỉnh X", "TP X", "thành phố X" or at the end of an address; a province with under a quarter of
    the best one's evidence and no title mention is a passing mention and is dropped.
    """
    found = region_evidence(title, lead, body)
    top = max((ev.score for ev in found.values()), default=0.0)
    kept = [(name, ev) for name, ev in found.items()
            if (ev.title or ev.lead or ev.body >= 2 or ev.strong >= 1)
            and (ev.title or ev.score >= RELATIVE_FLOOR * top)]
    kept.sort(key=lambda x: (-x[1].score, x[1].first))
    return [name for name, _ in kept[:limit]]
