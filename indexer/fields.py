"""The one table of article fields: what the index stores, what a search hit carries, what the
JSON API returns and how the OpenAPI document describes it.

A new field is a new row here (plus its attribute on ``indexer.search.Hit``, which a test checks,
and its value in ``indexer.store.index.document_fields`` when it is not an ``Article`` attribute
of the same name).  The searchable text fields (exact, folded, pairs) and the ``published_min``
column are derived from title, lead, body and published in ``indexer.schema``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Index = Literal["id", "keyword", "stored"]
Shape = Literal["text", "optional", "list", "number", "count"]

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "optional": {"type": ["string", "null"]},
    "list": {"type": "array", "items": {"type": "string"}},
    "number": {"type": "number"},
    "count": {"type": "integer", "minimum": 1},
}


@dataclass(frozen=True)
class Field:
    """One field of an article or of a search hit."""

    name: str
    # how the index keeps it: "stored" (for display only), "id" (stored, and one exact term for
    # lookups and filters), "keyword" (stored, and comma-separated exact terms); None: not in the
    # index, computed for each hit by the search
    index: Index | None = "stored"
    # the hit's value: "text" (str, "" when missing), "optional" (str, None when missing or ""),
    # "list" (the stored comma-separated text, split), "number" and "count" (computed only)
    shape: Shape = "text"
    hit: bool = True  # an attribute of search hits
    json: bool = True  # in the API's search results (in this table's order)
    facet: bool = False  # a filter of the search and a facet counted over the results
    unique: bool = False  # one article per value (the id)
    description: str = ""  # for the OpenAPI document

    def hit_value(self, stored: dict[str, Any]) -> Any:
        """The hit's value of this field from the article's stored fields."""
        value = stored.get(self.name, "")
        if self.shape == "optional":
            return value or None
        if self.shape == "list":
            return [v for v in value.split(",") if v]
        return value

    def json_schema(self) -> dict[str, Any]:
        """The field's JSON Schema in the OpenAPI document."""
        schema = dict(_JSON_TYPES[self.shape])
        if self.description:
            schema["description"] = self.description
        return schema


FIELDS: tuple[Field, ...] = (
    Field("id", index="id", unique=True),
    Field("title"),
    Field("url", description="The original article's address; may be empty."),
    Field("source", index="id", facet=True),
    Field("category", index="id", facet=True),
    Field("author"),
    Field("published", shape="optional", description="ISO 8601 as given, or null."),
    Field("score", index=None, shape="number"),
    Field("title_html", index=None, description="Escaped HTML; query words in <mark>."),
    Field("snippet_html", index=None, description="Escaped HTML passage; words in <mark>."),
    Field("lead", json=False),
    Field("body", hit=False, json=False),
    Field("region", index="keyword", shape="list", json=False, facet=True),
    Field("group", description="The article's story group: the id of the group's first article (itself when "
          "alone). Pass it as `group` (with `collapse=false`) to list the group's articles matching the query."),
    Field("group_size", index=None, shape="count",
          description="Articles of this story group among the results (this one included): 1 when no other "
          "article tells the same story; otherwise the page shows \"N bài tương tự\" for the group_size - 1 others."),
)

STORED_FIELDS = tuple(f for f in FIELDS if f.index is not None)  # stored in the index
HIT_FIELDS = tuple(f for f in STORED_FIELDS if f.hit)  # copied from the stored fields into each hit
JSON_FIELDS = tuple(f for f in FIELDS if f.json)  # a hit in the API's results
FACET_FIELDS = tuple(f.name for f in FIELDS if f.facet)
