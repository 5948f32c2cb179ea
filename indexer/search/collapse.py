"""One result per story: collapsing the articles of a story group (``indexer.store.groups``).

With ``collapse`` (the default) a story group is represented by its best article under the
request's order: the highest score for relevance (before the title re-ranking, which then
orders the representatives), the newest or oldest date for the date sorts; ties go to the
smallest article id (as every tie: ``indexer.search.ties``).  The other members are left out
of the list, and every hit carries ``group_size``: the members of its group among the matching
articles (after filters), itself included.  ``total`` then counts stories (groups among the
matches, each alone or not), which is what the pages hold; facets still count articles.
``group=ID`` keeps only the articles of the group ``ID`` (with ``collapse=false``: "N bài
tương tự" lists them).

Only articles of groups with two or more articles in the whole index (``Snapshot.grouped_keys``:
the groups some article joined) are ever merged, so the cost is that of sorting those few.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def representatives(candidates: np.ndarray, order_key: np.ndarray, keys: np.ndarray, grouped: np.ndarray,
                    descending: bool = True, ids_of: Callable[[np.ndarray], Sequence[str]] | None = None,
                    limit: int | None = None) -> np.ndarray:
    """``candidates`` (sorted docnums) keeping only the best of each group (by ``order_key``; ties:
    the smallest article id when ``ids_of`` gives the ids of docnums, else the lowest docnum);
    articles not ``grouped`` are kept as they are.  With ``limit``, ids are read only for the
    groups that can be among the ``limit`` best results (the others' choice is never shown)."""
    g = grouped[candidates]
    if not g.any():
        return candidates
    sub = candidates[g]
    k = order_key[sub]
    signed = -k if descending else k
    order = np.lexsort((sub, signed, keys[sub]))
    sorted_keys = keys[sub][order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_keys[1:] != sorted_keys[:-1]
    if ids_of is not None:  # a group whose best articles tie: the smallest id, as ``indexer.search.ties``
        sorted_signed = signed[order]
        tie = (sorted_keys[1:] == sorted_keys[:-1]) & (sorted_signed[1:] == sorted_signed[:-1])
        starts = np.flatnonzero(first[:-1] & tie)
        if limit is not None and len(starts):  # the limit-th best key over the results, groups collapsed
            shown = np.concatenate([(-order_key if descending else order_key)[candidates[~g]],
                                    sorted_signed[first]])
            if limit < len(shown):
                worst = np.partition(shown, limit - 1)[limit - 1]
                starts = starts[sorted_signed[starts] <= worst]
        for start in starts:
            end = start + 1
            while end < len(order) and tie[end - 1]:
                end += 1
            ids = ids_of(sub[order[start:end]])
            first[start] = False
            first[start + min(range(end - start), key=ids.__getitem__)] = True
    out = np.concatenate([candidates[~g], sub[order][first]])
    out.sort()
    return out


def group_counts(candidates: np.ndarray, keys: np.ndarray, grouped: np.ndarray) -> dict[int, int]:
    """Members of each group (of two or more articles in the index) among ``candidates``."""
    sub = keys[candidates[grouped[candidates]]]
    if not len(sub):
        return {}
    values, counts = np.unique(sub, return_counts=True)
    return dict(zip(values.tolist(), counts.tolist()))


def first_of_groups(order: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``order`` (indices into ``keys``) keeping the first of each nonzero key (0: not grouped)."""
    k = keys[order]
    if not k.any():
        return order
    nz = np.flatnonzero(k)
    _, first = np.unique(k[nz], return_index=True)
    keep = k == 0
    keep[nz[first]] = True
    return order[keep]
