"""Filters (source, category, region, dates) and facet counts over a result set."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np

from indexer.config import VN_TZ
from indexer.fields import FACET_FIELDS
from indexer.schema import NO_DATE
from indexer.store.engine import Snapshot
from indexer.text.fingerprint import text_hash

if TYPE_CHECKING:
    from indexer.search.service import SearchRequest

__all__ = ["FACET_FIELDS", "facets", "filters"]


def _minutes(d: date, end: bool = False) -> int:
    """Minutes since the epoch at the start (or the end) of a day in Vietnam time."""
    start = int(datetime(d.year, d.month, d.day, tzinfo=VN_TZ).timestamp() // 60)
    return start + 1439 if end else start


def filters(snap: Snapshot, req: SearchRequest, skip: str | None = None) -> np.ndarray:
    """Live documents passing the request's filters (all but the facet ``skip``); ``group``: one story group."""
    mask = snap.live.copy()
    for name in FACET_FIELDS:
        values = getattr(req, name)
        if values and name != skip:
            any_of = np.zeros(snap.size, dtype=bool)
            for v in values:
                any_of |= snap.term_mask(name, v)
            mask &= any_of
    if req.group:
        mask &= snap.group_keys == text_hash(req.group)
    if req.date_from:
        mask &= snap.published >= _minutes(req.date_from)
    if req.date_to:
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
    return out
