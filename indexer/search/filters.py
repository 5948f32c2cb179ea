"""Filters (source, category, region, dates) and facet counts over a result set."""

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
from indexer.text.names import name_forms

if TYPE_CHECKING:
    from indexer.search.service import SearchRequest

__all__ = ["FACETS", "FACET_FIELDS", "MONTH", "facets", "filters", "month_counts", "no_facets"]

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
    """Live documents passing the request's filters (all but the facet ``skip``; ``MONTH``: the dates)."""
    mask = snap.live.copy()
    for name in FACET_FIELDS:
        values = getattr(req, name)
        if values and name != skip:
            any_of = np.zeros(snap.size, dtype=bool)
            for v in values:
                for form in name_forms(name, v):  # "vnexpress.net" finds "VnExpress" (and older indexes' forms)
                    any_of |= snap.term_mask(name, form)
            mask &= any_of
    if req.date_from and skip != MONTH:
        mask &= snap.published >= _minutes(req.date_from)
    if req.date_to and skip != MONTH:
        mask &= (snap.published <= _minutes(req.date_to, end=True)) & (snap.published != NO_DATE)
    return mask


def facets(snap: Snapshot, req: SearchRequest, matched: np.ndarray, top: int = 30) -> dict[str, list[dict]]:
    """Counts per value over the whole result set; a facet ignores only its own filter."""
    out: dict[str, list[dict]] = {}
    for name in FACET_FIELDS:
        base = matched & filters(snap, req, skip=name)
        values, docs, codes = snap.facet_table(name)
        counts: np.ndarray | list[int] = np.bincount(codes[base[docs]], minlength=len(values)) if len(values) else []
        order = sorted((i for i, c in enumerate(counts) if c), key=lambda i: (-counts[i], values[i]))
        out[name] = [{"value": values[i], "count": int(counts[i])} for i in order[:top]]
    out[MONTH] = [{"value": v, "count": c} for v, c in month_counts(snap, matched & filters(snap, req, MONTH)).items()]
    return out


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
