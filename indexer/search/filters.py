"""Filters (source, category, region, dates) and facet counts over a result set.

Regions are tagged as they were when an article was published (``indexer.text.regions``): a
current province selects and counts its former parts too ("Quảng Trị": also "Quảng Bình (trước
7/2025)"), and the facet lists each former province right after its successor, with ``parent``.
"""

from __future__ import annotations

import threading
import weakref
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np

from indexer.config import VN_TZ
from indexer.fields import FACET_FIELDS
from indexer.schema import NO_DATE
from indexer.store.engine import Snapshot
from indexer.text.fingerprint import text_hash
from indexer.text.names import name_forms
from indexer.text.regions import region_filter_values, region_parent

if TYPE_CHECKING:
    from indexer.search.service import SearchRequest

__all__ = ["FACETS", "FACET_FIELDS", "MONTH", "facet_rows", "facets", "filters", "month_counts", "no_facets"]

MONTH = "month"  # the timeline facet: "YYYY-MM" (Vietnam time) of the matching dated articles
FACETS = (*FACET_FIELDS, MONTH)  # the facets of a search result: the filter fields, then the months


def no_facets() -> dict[str, list[dict]]:
    """The facets of a result without any (an empty query or index, or facets not asked for)."""
    return {f: [] for f in FACETS}


def _minutes(d: date, end: bool = False) -> int:
    """Minutes since the epoch at the start (or the end) of a day in Vietnam time."""
    start = int(datetime(d.year, d.month, d.day, tzinfo=VN_TZ).timestamp() // 60)
    return start + 1439 if end else start


def filters(snap: Snapshot, req: SearchRequest, skip: str | None = None) -> np.ndarray:
    """Live documents passing the request's filters (all but the facet ``skip``; ``MONTH``: the dates;
    ``group``: one story group)."""
    mask = snap.live.copy()
    for name in FACET_FIELDS:
        values = getattr(req, name)
        if values and name != skip:
            any_of = np.zeros(snap.size, dtype=bool)
            for v in values:
                # "vnexpress.net" finds "VnExpress" (and older indexes' forms); "Quảng Trị" its former parts
                forms = region_filter_values(v) if name == "region" else name_forms(name, v)
                for form in forms:
                    any_of |= snap.term_mask(name, form)
            mask &= any_of
    if req.group:
        mask &= snap.group_keys == text_hash(req.group)
    if req.date_from and skip != MONTH:
        mask &= snap.published >= _minutes(req.date_from)
    if req.date_to and skip != MONTH:
        mask &= (snap.published <= _minutes(req.date_to, end=True)) & (snap.published != NO_DATE)
    return mask


def facets(snap: Snapshot, req: SearchRequest, matched: np.ndarray, top: int = 30) -> dict[str, list[dict]]:
    """Counts per value over the articles in ``matched``; a facet ignores only its own filter."""
    out: dict[str, list[dict]] = {}
    for name in FACET_FIELDS:
        base = matched & filters(snap, req, skip=name)
        values, docs, codes = snap.facet_table(name)
        counts: np.ndarray | list[int] = np.bincount(codes[base[docs]], minlength=len(values)) if len(values) else []
        found = {values[i]: int(c) for i, c in enumerate(counts) if c}
        if name == "region" and found:
            keep = base[docs]
            found.update(_successor_counts(values, docs[keep], codes[keep]))
        out[name] = facet_rows(name, found, top)
    out[MONTH] = [{"value": v, "count": c} for v, c in month_counts(snap, matched & filters(snap, req, MONTH)).items()]
    return out


def _successor_counts(values: list[str], docs: np.ndarray, codes: np.ndarray) -> dict[str, int]:
    """Articles per current province with former parts, each counted once (own tag or a part's)."""
    parents = [region_parent(v) for v in values]
    groups = sorted({p for p in parents if p is not None})
    if not groups:
        return {}
    index = {g: i for i, g in enumerate(groups)}
    group_of = np.array([index.get(parents[c] or values[c], -1) for c in range(len(values))], dtype=np.int64)
    g = group_of[codes]
    keep = g >= 0
    pairs = np.unique(docs[keep].astype(np.int64) * len(groups) + g[keep])
    counts = np.bincount(pairs % len(groups), minlength=len(groups))
    return {grp: int(c) for grp, c in zip(groups, counts) if c}


def facet_rows(name: str, counts: dict[str, int], top: int) -> list[dict]:
    """A facet's rows, most articles first, at most ``top``: ``{"value", "count"}``.

    Region rows: a former province ("Quảng Bình (trước 7/2025)") follows its successor's row
    (whose count includes it) and names it as ``parent``; ``top`` limits the other rows.
    """
    def order(vs: list[str]) -> list[str]:
        return sorted(vs, key=lambda v: (-counts[v], v))

    if name != "region":
        return [{"value": v, "count": counts[v]} for v in order([v for v in counts if counts[v]])[:top]]
    children: dict[str, list[str]] = {}
    heads = []
    for v, c in counts.items():
        parent = region_parent(v) if c else None
        if parent is not None and counts.get(parent):
            children.setdefault(parent, []).append(v)
        elif c:
            heads.append(v)
    rows: list[dict] = []
    for v in order(heads)[:top]:
        rows.append({"value": v, "count": counts[v]})
        rows += [{"value": c, "count": counts[c], "parent": v} for c in order(children.get(v, []))]
    return rows


_VN_OFFSET_MINUTES = int(VN_TZ.utcoffset(None).total_seconds() // 60)
NO_MONTH = np.iinfo(np.int64).min  # month code of an undated article (months before 1970 are negative)
_month_cache: dict[int, tuple[weakref.ref, np.ndarray]] = {}  # by id(snapshot), while it lives
_month_lock = threading.Lock()


def month_codes(snap: Snapshot) -> np.ndarray:
    """Each document's month in Vietnam time as months since 1970-01 (``NO_MONTH``: undated), cached per snapshot."""
    key = id(snap)
    with _month_lock:
        hit = _month_cache.get(key)
    if hit is not None and hit[0]() is snap:
        return hit[1]
    minutes = snap.published.astype(np.int64) + _VN_OFFSET_MINUTES
    months = minutes.astype("datetime64[m]").astype("datetime64[M]").astype(np.int64)
    codes = np.where(snap.published == NO_DATE, NO_MONTH, months)
    with _month_lock:
        def forget(_: object, key: int = key) -> None:
            _month_cache.pop(key, None)

        _month_cache[key] = (weakref.ref(snap, forget), codes)
    return codes


def month_counts(snap: Snapshot, docs: np.ndarray) -> dict[str, int]:
    """Dated articles among ``docs`` (a mask) per month in Vietnam time, ``{"YYYY-MM": n}`` oldest first.

    Every month that has an article is counted (no top-N cut: a timeline needs them all); like the
    other facets the counts ignore the facet's own filter, here ``from``/``to``.
    """
    codes = month_codes(snap)[docs]
    codes = codes[codes != NO_MONTH]
    if not codes.size:
        return {}
    low = int(codes.min())
    counts = np.bincount(codes - low)
    months = np.flatnonzero(counts)
    names = (months + low).astype("datetime64[M]")
    return {str(m): int(counts[i]) for m, i in zip(names, months)}
