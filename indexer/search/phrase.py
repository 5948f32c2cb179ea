"""Phrase confirmation on decoded positions: are the words at consecutive positions of a field?"""

from __future__ import annotations

import numpy as np

from indexer.store.engine import Snapshot

MAX_WORDS = 32  # positions are offset by this much so that ``position - index`` stays non-negative


def phrase_docs(snap: Snapshot, fieldname: str, words: list[str], candidates: np.ndarray) -> np.ndarray:
    """Those of ``candidates`` (sorted docnums) where ``words`` occur at consecutive positions of the field.

    Each word's (document, position - its index in the phrase) pairs, restricted to the
    candidates, are intersected: what remains is where the phrase starts.
    """
    if len(words) > MAX_WORDS:
        raise ValueError(f"phrases of at most {MAX_WORDS} words")
    keys: np.ndarray | None = None
    for i, word in enumerate(words):
        ids, tfs, positions = snap.positions(fieldname, word)
        keep = np.isin(ids, candidates, assume_unique=True)
        if not keep.any():
            return ids[:0]
        per_position = np.repeat(keep, tfs)
        docs = np.repeat(ids, tfs)[per_position]
        found = (docs << 32) | (positions[per_position] + (MAX_WORDS - i))
        keys = found if keys is None else np.intersect1d(keys, found)
        if not len(keys):
            return ids[:0]
    assert keys is not None
    return np.unique(keys >> 32)
