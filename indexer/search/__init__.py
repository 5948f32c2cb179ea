"""Searching the index: import the public API from here (``from indexer.search import search``).

Modules: ``service`` (``search()``, requests, hits and results), ``query`` (the query language),
``matching`` (which articles match, their scores), ``ranking`` (weights, BM25, title re-ranking),
``filters`` (filters and facets, the month timeline), ``highlight`` (marked titles and snippets),
``export`` (results as CSV or JSON Lines rows).
"""

from indexer.search.filters import FACET_FIELDS
from indexer.search.highlight import Wanted, highlight, snippet
from indexer.search.query import MAX_WORDS, ParsedQuery, parse_query
from indexer.search.ranking import CorpusStats, Ranking, bm25
from indexer.search.service import MAX_HITS, MAX_PER_PAGE, SORTS, Hit, SearchRequest, SearchResult, search

__all__ = [
    "FACET_FIELDS", "MAX_HITS", "MAX_PER_PAGE", "MAX_WORDS", "SORTS", "CorpusStats", "Hit", "ParsedQuery", "Ranking",
    "SearchRequest", "SearchResult", "Wanted", "bm25", "highlight", "parse_query", "search", "snippet",
]
