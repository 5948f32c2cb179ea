"""Baseline engines for ``benchmarks/compare.py``: tantivy, SQLite FTS5 and plain Whoosh.

Each engine indexes the same stored fields as timtin (id, title, lead, body) and answers a
query with its top-10 article ids.  All of them see the user's text as an OR of its words.

- **tantivy** (reference config): simple tokenizer + lowercase + ASCII folding (which does map
  đ→d), query parsed over title/lead/body with boosts title 4, lead 2 (these reproduce the
  reference figures in the data README exactly; title 3 gives 0.662/0.708/0.776); 2 writer threads.
- **fts5**: ``unicode61 remove_diacritics 2``, which strips marks but keeps đ (a letter, not a
  mark), so đ/Đ are replaced by d/D in the indexed and the query text; ``bm25`` weights 4/2/1.
- **whoosh-plain**: stock ``StandardAnalyzer()`` (no Vietnamese analysis, no accent folding),
  one writer process with ``limitmb=512``; used for the index-time ratio.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from indexer.models import Article

K = 10
Ranker = Callable[[str], list[str]]
WORD_RE = re.compile(r"[^\W_]+")  # what tantivy's simple tokenizer and FTS5's unicode61 keep as words


class Engine(Protocol):
    """An engine under test: builds an index folder, then ranks query text to top-10 ids."""

    name: str

    def build(self, index_dir: Path, articles: Sequence[Article]) -> None: ...

    def ranker(self, index_dir: Path) -> Ranker: ...


def query_words(text: str) -> list[str]:
    """Lower-cased words of ``text``: no query syntax survives (operators, quotes, colons)."""
    return WORD_RE.findall(text.lower())


def fold_dd(text: str) -> str:
    """Replace đ/Đ (and the look-alike Ð/ð) by d/D: what FTS5's diacritic removal leaves out."""
    return text.translate(_DD)


_DD = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})


# -- tantivy --------------------------------------------------------------------------


class TantivyEngine:
    """tantivy-py: simple tokenizer, lowercase, ASCII folding; title/lead boosts."""

    name = "tantivy"
    analyzer_name = "vn_fold"

    def __init__(self, threads: int = 2, heap_mb: int = 256, boosts: dict[str, float] | None = None) -> None:
        import tantivy  # optional dependency (pip install -e '.[bench]')

        self.tantivy = tantivy
        self.boosts = {"title": 4.0, "lead": 2.0} if boosts is None else boosts
        self.threads = threads
        self.heap_mb = heap_mb

    def _index(self, index_dir: Path):
        t = self.tantivy
        sb = t.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        for part in ("title", "lead", "body"):
            sb.add_text_field(part, stored=True, tokenizer_name=self.analyzer_name)
        index_dir.mkdir(parents=True, exist_ok=True)
        index = t.Index(sb.build(), path=str(index_dir))
        analyzer = (t.TextAnalyzerBuilder(t.Tokenizer.simple())
                    .filter(t.Filter.lowercase()).filter(t.Filter.ascii_fold()).build())
        index.register_tokenizer(self.analyzer_name, analyzer)
        return index

    def analyze(self, text: str) -> list[str]:
        """Tokens of ``text`` under the benchmark analyzer (for reporting what folding does)."""
        t = self.tantivy
        return (t.TextAnalyzerBuilder(t.Tokenizer.simple()).filter(t.Filter.lowercase())
                .filter(t.Filter.ascii_fold()).build().analyze(text))

    def build(self, index_dir: Path, articles: Sequence[Article]) -> None:
        index = self._index(index_dir)
        writer = index.writer(heap_size=self.heap_mb * 1_000_000, num_threads=self.threads)
        for a in articles:
            writer.add_document(self.tantivy.Document(id=a.id, title=a.title, lead=a.lead, body=a.body))
        writer.commit()
        writer.wait_merging_threads()

    def ranker(self, index_dir: Path) -> Ranker:
        index = self._index(index_dir)
        index.reload()
        searcher = index.searcher()

        def rank(text: str) -> list[str]:
            words = query_words(text)
            if not words:
                return []
            query = index.parse_query(" ".join(words), ["title", "lead", "body"], field_boosts=self.boosts)
            return [searcher.doc(addr)["id"][0] for _score, addr in searcher.search(query, K, count=False).hits]

        return rank


# -- SQLite FTS5 ------------------------------------------------------------------------


class Fts5Engine:
    """SQLite FTS5, unicode61 with diacritics removed (đ→d done by us), bm25 weights 4/2/1."""

    name = "fts5"
    db_name = "docs.sqlite"

    def build(self, index_dir: Path, articles: Sequence[Article]) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        path = index_dir / self.db_name
        path.unlink(missing_ok=True)
        con = sqlite3.connect(path)
        try:
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("PRAGMA synchronous=OFF")
            con.execute('CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, lead, body, '
                        'tokenize="unicode61 remove_diacritics 2")')
            with con:
                con.executemany("INSERT INTO docs(id, title, lead, body) VALUES (?, ?, ?, ?)",
                                ((a.id, fold_dd(a.title), fold_dd(a.lead), fold_dd(a.body)) for a in articles))
            with con:
                con.execute("INSERT INTO docs(docs) VALUES ('optimize')")  # merge segments (counted in build time)
        finally:
            con.close()

    def ranker(self, index_dir: Path) -> Ranker:
        con = sqlite3.connect(index_dir / self.db_name, check_same_thread=False)
        sql = "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, 4.0, 2.0, 1.0) LIMIT ?"

        def rank(text: str) -> list[str]:
            words = query_words(fold_dd(text))
            if not words:
                return []
            match = " OR ".join(f'"{w}"' for w in dict.fromkeys(words))
            return [row[0] for row in con.execute(sql, (match, K))]

        return rank


# -- plain Whoosh -------------------------------------------------------------------------


class WhooshPlainEngine:
    """Stock Whoosh: ``StandardAnalyzer()`` on title/lead/body, one process, ``limitmb=512``.

    It runs Whoosh as shipped: ``indexer.store.patches.uninstall()`` before building and
    before searching (timtin installs its patches only when it opens an index itself).
    """

    name = "whoosh-plain"
    boosts = {"title": 4.0, "lead": 2.0, "body": 1.0}

    @staticmethod
    def schema():
        from whoosh.analysis import StandardAnalyzer
        from whoosh.fields import ID, TEXT, Schema

        return Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=StandardAnalyzer(), stored=True),
                      lead=TEXT(analyzer=StandardAnalyzer(), stored=True),
                      body=TEXT(analyzer=StandardAnalyzer(), stored=True))

    def build(self, index_dir: Path, articles: Sequence[Article]) -> None:
        from whoosh import index as whoosh_index

        from indexer.store import patches

        patches.uninstall()  # Whoosh as shipped (this runs in its own benchmark process)
        index_dir.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(index_dir), self.schema())
        writer = ix.writer(limitmb=512)
        try:
            for a in articles:
                writer.add_document(**_nonempty(id=a.id, title=a.title, lead=a.lead, body=a.body))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise

    def ranker(self, index_dir: Path) -> Ranker:
        from whoosh import index as whoosh_index
        from whoosh.qparser import MultifieldParser, OrGroup

        from indexer.store import patches

        patches.uninstall()  # stock reads too (no zero-copy segments)
        ix = whoosh_index.open_dir(str(index_dir))
        searcher = ix.searcher()
        parser = MultifieldParser(list(self.boosts), ix.schema, fieldboosts=self.boosts, group=OrGroup)

        def rank(text: str) -> list[str]:
            words = query_words(text)
            if not words:
                return []
            return [hit["id"] for hit in searcher.search(parser.parse(" ".join(words)), limit=K)]

        return rank


def _nonempty(**fields: str) -> dict[str, str]:
    return {k: v for k, v in fields.items() if v}


def make_engine(name: str, tantivy_boosts: dict[str, float] | None = None) -> Engine:
    """A baseline engine by name (``tantivy``, ``fts5`` or ``whoosh-plain``)."""
    if name == "tantivy":
        return TantivyEngine(boosts=tantivy_boosts)
    engines: dict[str, Callable[[], Engine]] = {"fts5": Fts5Engine, "whoosh-plain": WhooshPlainEngine}
    if name not in engines:
        raise ValueError(f"unknown baseline engine {name!r}")
    return engines[name]()

