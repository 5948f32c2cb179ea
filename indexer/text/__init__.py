"""Data-driven Vietnamese text helpers used by ``indexer.analysis`` and ingestion.

``acronyms`` (UBND ↔ ủy ban nhân dân, from ``indexer/data/acronyms.tsv``), ``legacy`` (TCVN3 and
VNI detection and conversion), ``regions`` (the provinces an article is about), ``clean`` (HTML left in
articles, long headlines cut for display), ``names`` (one display name per source and category, from
``indexer/data/sources.tsv`` and ``categories.tsv``).  Imports nothing
from the rest of ``indexer`` but ``indexer.analysis``.
"""
