"""The Whoosh schema: what is stored for display and what is indexed for search.

Display text is stored once (the stored fields of ``indexer.fields.FIELDS``: ``title``,
``lead``, ``body``, ...); the searchable fields are not stored.  Each of title, lead and body
is indexed twice, in exact form (diacritics kept) and folded form (no diacritics), with positions for phrases
(except the exact body, which keeps counts only); ``pairs`` holds folded adjacent
word pairs of all three, for proximity.  Their postings use the compact codec
(``indexer.store.compact``).
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict

from whoosh import columns, formats
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.system import pack_uint

from indexer.analysis import PairTokenizer, VietnameseTokenizer
from indexer.fields import STORED_FIELDS, Field
from indexer.text.fingerprint import BANDS

# The on-disk format, recorded in each index's meta file (``indexer.store.index``).  1: Whoosh's
# pickled posting blocks everywhere; 2: the compact codec for the searched fields.
FORMAT_VERSION = 2
SCHEMA_VERSION = FORMAT_VERSION  # the meta file's older name for it
TEXT_PARTS = ("title", "lead", "body")
EXACT = {part: f"{part}_exact" for part in TEXT_PARTS}
FOLDED = {part: f"{part}_folded" for part in TEXT_PARTS}
PAIRS = "pairs"
NO_DATE = -(2**31)  # the "published" column value of an undated article
# Story groups (``indexer.store.groups``): int64 columns, 0 in indexes written before them
GROUP_KEY = "group_key"  # text_hash of the article's stored "group" (the id of the group's first article)
GROUP_JOINED = "group_joined"  # 1 when the article joined an existing group (so that group has 2+ members)
FP_BANDS = tuple(f"fp{i}" for i in range(BANDS))  # MinHash LSH band values (0: text too short)
FP_EXACT = "fp_exact"  # hash of the normalised text
STORY_COLUMNS = (GROUP_KEY, GROUP_JOINED, *FP_BANDS, FP_EXACT)


def _grouped(analyzer, value: str) -> tuple[dict[str, list[int]], Counter[str]] | None:
    """Positions of each term, straight from our analyzers, and the occurrences of each that do
    not count in the field's length (None for other analyzers)."""
    direct = getattr(analyzer, "term_positions", None)
    if direct is None:
        return None
    poses: dict[str, list[int]] = defaultdict(list)
    for text, pos in direct(value):
        poses[text].append(pos)
    return poses, _overlaps(analyzer, value)


def _counted(analyzer, value: str) -> tuple[Counter[str], Counter[str]] | None:
    """``_grouped`` for a count-only field: the count of each term (no positions to gather)."""
    counts = getattr(analyzer, "term_counts", None)
    if counts is None:
        return None
    return counts(value), _overlaps(analyzer, value)


def _overlaps(analyzer, value: str) -> Counter[str]:
    overlaps = getattr(analyzer, "overlaps", None)
    return Counter(overlaps(value) if overlaps is not None else ())


def _word_values(fmt, fallback, value, analyzer, **kwargs):
    """Whoosh's ``word_values`` of the two formats below, from ``_grouped`` (``fallback``: Whoosh's own,
    for an analyzer without it); the second value is what Whoosh adds to the field's length
    (overlaps left out)."""
    grouped = _grouped(analyzer, value)
    if grouped is None:
        yield from fallback(value, analyzer, **kwargs)
        return
    poses, overlaps = grouped
    fb = fmt.field_boost
    for text, poslist in poses.items():
        yield text, len(poslist) - overlaps[text], len(poslist) * fb, fmt.posting_value(poslist)


# ON-DISK CONTRACT: pickled in every index's schema as indexer.schema.TermPositions
# (indexer.store.ondisk.ON_DISK_CONTRACT): keep the module path and class name.
class TermPositions(formats.Positions):
    """Whoosh's ``Positions`` format, filled without building a Token per word.

    A posting's value is its positions as native uint32s (``array("I")``), which the
    compact codec (``indexer.store.compact``) takes as they are; Whoosh's pickled lists
    would have to be decoded again posting by posting.
    """

    def encode(self, poslist) -> bytes:
        return array("I", poslist).tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return array("I", valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4

    def decode_weight(self, valuestring: bytes) -> float:
        return len(valuestring) // 4 * self.field_boost

    @staticmethod
    def posting_value(poslist: list[int]) -> bytes:
        return array("I", poslist).tobytes()

    pooled_positions = True  # the pool keeps each posting's positions (``indexer.store.patches``)

    def grouped(self, value, analyzer) -> tuple[dict[str, list[int]], Counter[str]] | None:
        """``_grouped``: ``indexer.store.patches`` adds a field's postings to the pool at once."""
        return _grouped(analyzer, value)

    def word_values(self, value, analyzer, **kwargs):
        return _word_values(self, super().word_values, value, analyzer, **kwargs)


# ON-DISK CONTRACT: pickled in every index's schema as indexer.schema.TermFrequency
# (indexer.store.ondisk.ON_DISK_CONTRACT): keep the module path and class name.
class TermFrequency(formats.Frequency):
    """Whoosh's ``Frequency`` format, filled without building a Token per word (same bytes)."""

    @staticmethod
    def posting_value(poslist: list[int]) -> bytes:
        return pack_uint(len(poslist))

    pooled_positions = False  # the pool keeps counts only: the compact codec reads no value of this format

    def grouped(self, value, analyzer) -> tuple[Counter[str], Counter[str]] | None:
        """Each term's count (``_counted``): ``indexer.store.patches`` adds a field's postings to the
        pool at once."""
        return _counted(analyzer, value)

    def word_values(self, value, analyzer, **kwargs):
        return _word_values(self, super().word_values, value, analyzer, **kwargs)


def _text(analyzer, phrase: bool) -> TEXT:
    field = TEXT(analyzer=analyzer, phrase=phrase)
    field.format = TermPositions() if phrase else TermFrequency()
    return field


def _stored(f: Field) -> STORED | ID | KEYWORD:
    if f.index == "id":
        return ID(stored=True, unique=f.unique)
    if f.index == "keyword":
        return KEYWORD(stored=True, commas=True, lowercase=False, scorable=False)
    return STORED()


def story_columns() -> dict[str, COLUMN]:
    """The columns of story groups (also added to indexes created before them: ``indexer.store.groups``)."""
    out = {name: COLUMN(columns.NumericColumn("q", default=0)) for name in STORY_COLUMNS}
    out[GROUP_JOINED] = COLUMN(columns.NumericColumn("B", default=0))
    return out


def build_schema() -> Schema:
    """A fresh schema object (analyzers are stateless, so this is cheap)."""
    # pyvi compounds for title and lead only: pyvi costs ~9 ms per average body, and in
    # bodies the ``pairs`` field already gives the adjacency evidence compounds would.
    def exact(part: str) -> VietnameseTokenizer:
        return VietnameseTokenizer("exact", with_compounds=part != "body")

    def folded(part: str) -> VietnameseTokenizer:
        return VietnameseTokenizer("folded", with_compounds=part != "body")

    fields: dict = {f.name: _stored(f) for f in STORED_FIELDS}  # "published": ISO 8601 text, as given
    # minutes since the epoch (UTC), for sorting, date filters and recency
    fields["published_min"] = COLUMN(columns.NumericColumn("i", default=NO_DATE))
    fields.update(story_columns())
    fields[PAIRS] = _text(PairTokenizer(), phrase=False)
    for part in TEXT_PARTS:
        # exact body terms only need counts: exact phrases are matched through the folded
        # positions plus the exact terms (a Whoosh positions field costs ~30% of indexing)
        fields[EXACT[part]] = _text(exact(part), phrase=part != "body")
        fields[FOLDED[part]] = _text(folded(part), phrase=True)
    return Schema(**fields)
