"""The one table of article fields (indexer/fields.py) against the schema, hits, JSON and OpenAPI."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

from whoosh.fields import ID, KEYWORD, STORED

from indexer.fields import FACET_FIELDS, FIELDS, HIT_FIELDS, JSON_FIELDS, STORED_FIELDS
from indexer.models import Article
from indexer.schema import build_schema
from indexer.search import Hit, SearchRequest, search
from indexer.store.index import write_articles
from webapp.openapi import openapi_spec


def test_display_fields_of_the_schema_are_those_of_schema_version_1() -> None:
    # built indexes hold this schema: a change here needs a new SCHEMA_VERSION, unless older indexes
    # still read and write without it ("group": story groups, indexer.store.groups; missing = alone)
    expected = {
        "group": STORED(),
        "id": ID(stored=True, unique=True), "title": STORED(), "lead": STORED(), "body": STORED(),
        "url": STORED(), "author": STORED(), "published": STORED(), "source": ID(stored=True),
        "category": ID(stored=True), "region": KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
    }
    schema = build_schema()
    assert {f.name for f in STORED_FIELDS} == set(expected)
    for name, field in expected.items():
        assert type(schema[name]) is type(field) and schema[name] == field, name
    assert set(schema.stored_names()) == set(expected)


def test_hits_have_every_hit_field_and_the_json_follows_the_table() -> None:
    attrs = [f.name for f in dataclasses.fields(Hit)]
    assert {f.name for f in FIELDS if f.hit} <= set(attrs)
    assert not {f.name for f in FIELDS if not f.hit} & set(attrs)
    assert set(FACET_FIELDS) <= {f.name for f in dataclasses.fields(SearchRequest)}
    assert set(FACET_FIELDS) <= {f.name for f in HIT_FIELDS}


def test_search_hits_carry_the_stored_article(tmp_path: Path) -> None:
    when = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=7)))
    article = Article(id="a-1", title="Mưa lớn ở Huế", lead="Mưa kéo dài.", body="Nước lên nhanh ở Huế.",
                      url="https://example.vn/a-1", author="Lan Anh", source="Tuổi Trẻ", category="Thời sự",
                      published=when, regions=["Huế", "Đà Nẵng"])
    undated = Article(id="a-2", title="Mưa ở Đà Nẵng", body="Mưa.")
    write_articles(tmp_path, [article, undated])
    hits = {h.id: h for h in search(SearchRequest(q="mưa"), tmp_path).hits}
    hit = hits["a-1"]
    assert (hit.title, hit.lead, hit.url, hit.author, hit.source, hit.category) == (
        article.title, article.lead, article.url, article.author, article.source, article.category)
    assert hit.published == when.isoformat() and hit.region == ["Huế", "Đà Nẵng"]
    assert hits["a-2"].published is None and hits["a-2"].url == ""
    out = hit.to_json()
    assert list(out) == [f.name for f in JSON_FIELDS]
    assert out["published"] == when.isoformat() and out["score"] == hit.score


def test_openapi_hit_schema_follows_the_table() -> None:
    schema = openapi_spec()["components"]["schemas"]["Hit"]
    assert schema["required"] == [f.name for f in JSON_FIELDS]
    assert list(schema["properties"]) == [f.name for f in JSON_FIELDS]
    assert schema["properties"]["published"]["type"] == ["string", "null"]
    assert schema["properties"]["score"]["type"] == "number"
