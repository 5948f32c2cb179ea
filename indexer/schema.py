"""The Whoosh schema: what is stored for display and what is indexed for search.

Display text is stored once (``title``, ``lead``, ``body``, ...); the searchable
fields are not stored.  Each of title, lead and body is indexed twice, in exact
form (diacritics kept) and folded form (no diacritics), with positions for phrases
(except the exact body, which keeps counts only); ``pairs`` holds folded adjacent
word pairs of all three, for proximity.
"""

from __future__ import annotations

from whoosh import columns
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

from indexer.analysis import PairTokenizer, VietnameseTokenizer

SCHEMA_VERSION = 1
TEXT_PARTS = ("title", "lead", "body")
EXACT = {part: f"{part}_exact" for part in TEXT_PARTS}
FOLDED = {part: f"{part}_folded" for part in TEXT_PARTS}
PAIRS = "pairs"
NO_DATE = -(2**31)  # the "published" column value of an undated article
FACETS = ("source", "category", "region")


def build_schema() -> Schema:
    """A fresh schema object (analyzers are stateless, so this is cheap)."""
    # pyvi compounds for title and lead only: pyvi costs ~9 ms per average body, and in
    # bodies the ``pairs`` field already gives the adjacency evidence compounds would.
    def exact(part: str) -> VietnameseTokenizer:
        return VietnameseTokenizer("exact", with_compounds=part != "body")

    def folded(part: str) -> VietnameseTokenizer:
        return VietnameseTokenizer("folded", with_compounds=part != "body")

    fields: dict = {
        "id": ID(stored=True, unique=True),
        "title": STORED(),
        "lead": STORED(),
        "body": STORED(),
        "url": STORED(),
        "author": STORED(),
        "published": STORED(),  # ISO 8601 text, as given
        # minutes since the epoch (UTC), for sorting, date filters and recency
        "published_min": COLUMN(columns.NumericColumn("i", default=NO_DATE)),
        "source": ID(stored=True),
        "category": ID(stored=True),
        "region": KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        PAIRS: TEXT(analyzer=PairTokenizer(), phrase=False),
    }
    for part in TEXT_PARTS:
        # exact body terms only need counts: exact phrases are matched through the folded
        # positions plus the exact terms (a Whoosh positions field costs ~30% of indexing)
        fields[EXACT[part]] = TEXT(analyzer=exact(part), phrase=part != "body")
        fields[FOLDED[part]] = TEXT(analyzer=folded(part), phrase=True)
    return Schema(**fields)
