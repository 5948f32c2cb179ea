"""Equal scores are ordered by article id, so one index and any number of shards agree.

Indexing order (a document's number) would differ between one index and its shards, and between
two builds of the same articles; the id does not.  Ids are read only for the tied articles, which
are few (mostly the same story indexed twice).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from indexer.store.engine import Snapshot

IdsOf = Callable[[np.ndarray], Sequence[str]]  # positions -> the article ids at those positions


def article_ids(snap: Snapshot, docs: np.ndarray) -> list[str]:
    """The stored ids of ``docs`` (document numbers of ``snap``)."""
    return [snap.searcher.stored_fields(int(d)).get("id", "") for d in docs]


def tie_order(keys: np.ndarray, ids_of: IdsOf | None, limit: int | None = None) -> np.ndarray:
    """Positions sorting ``keys`` ascending, equal keys by id (``ids_of`` gets the tied positions).

    With ``limit``, only the first ``limit`` positions are exact (ties beyond the key at
    ``limit`` are left in position order); without ``ids_of``, ties stay in position order.
    """
    order = np.argsort(keys, kind="stable")
    if ids_of is None or len(order) < 2:
        return order
    sorted_keys = keys[order]
    if limit is not None and limit < len(order):
        last = sorted_keys[max(limit, 1) - 1]
        span = int(np.searchsorted(sorted_keys, last, side="right"))
    else:
        span = len(order)
    equal = sorted_keys[1:span] == sorted_keys[: span - 1]
    tied = np.zeros(len(order), dtype=bool)
    tied[1:span] |= equal
    tied[: span - 1] |= equal
    if not tied.any():
        return order
    at = np.flatnonzero(tied)
    ids = list(ids_of(order[at]))
    id_rank = np.zeros(len(order), dtype=np.int64)
    id_rank[at[sorted(range(len(at)), key=ids.__getitem__)]] = np.arange(len(at))
    return order[np.lexsort((id_rank, sorted_keys))]
