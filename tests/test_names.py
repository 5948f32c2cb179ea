"""One name per source and category (indexer/data/sources.tsv, categories.tsv): at ingestion, in
facets, and in filters, which accept either form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import webapp
from indexer.cli import main
from indexer.ingest.sources import read_articles
from indexer.models import Article
from indexer.search import SearchRequest, search
from indexer.shard.write import write_sharded
from indexer.store.index import write_articles
from indexer.text.names import (
    CATEGORIES_PATH,
    SOURCES_PATH,
    NameTableError,
    category_name,
    load_names,
    name_forms,
    parse_names,
    source_name,
)


@pytest.mark.parametrize(("given", "shown"), [
    ("vnexpress.net", "VnExpress"),
    ("VnExpress", "VnExpress"),
    ("kinhdoanh.vnexpress.net", "VnExpress"),
    ("https://www.VnExpress.net/thoi-su/abc.html", "VnExpress"),
    ("thanhnien.com.vn", "Thanh Niên"),
    ("ihay.thanhnien.com.vn", "Thanh Niên"),
    ("tuoitre.vn", "Tuổi Trẻ"),
    ("Tuoi Tre", "Tuổi Trẻ"),
    ("TUỔI TRẺ", "Tuổi Trẻ"),
    ("nld.com.vn", "Người Lao Động"),
    ("www6.vnmedia.vn", "VnMedia"),
    ("baomoi.com", "baomoi.com"),  # not in the table: kept as given
    ("com.vn", "com.vn"),
    ("Báo Mới", "Báo Mới"),
])
def test_source_names(given: str, shown: str) -> None:
    assert source_name(given) == shown


@pytest.mark.parametrize(("given", "shown"), [
    ("AmNhac", "Âm nhạc"),
    ("ThoiSu", "Thời sự"),
    ("BongDa", "Bóng đá"),
    ("DoiNoi-DoiNgoai", "Đối nội - Đối ngoại"),
    ("TheGioi", "Thế giới"),
    ("Thế giới", "Thế giới"),
    ("Văn hoá", "Văn hóa"),  # old tone style
    ("thoi su", "Thời sự"),
    ("CNTT", "Công nghệ thông tin"),
    ("Thể giới", "Thể giới"),  # typed with other marks: not guessed
    ("Du lịch", "Du lịch"),  # not in the table
])
def test_category_names(given: str, shown: str) -> None:
    assert category_name(given) == shown


def test_every_form_of_the_tables_gives_its_own_line() -> None:
    for path in (SOURCES_PATH, CATEGORIES_PATH):
        table = load_names(str(path))
        assert len(table.names) > 20
        for name in table.names:
            for form in table.forms[name]:
                assert table.lookup(form) == name, (path.name, form)


def test_name_forms_cover_every_spelling() -> None:
    forms = name_forms("source", "thethao.vnexpress.net")
    assert forms[0] == "thethao.vnexpress.net" and "VnExpress" in forms and "vnexpress.net" in forms
    assert name_forms("source", "baomoi.com") == ["baomoi.com"]
    assert name_forms("region", "Huế") == ["Huế"]


def test_a_form_in_two_lines_is_an_error() -> None:
    with pytest.raises(NameTableError, match=r"t\.tsv:3: 'a\.vn' is already a form of 'A'"):
        parse_names("# x\nA\ta.vn\nB\tb.vn|a.vn\n", "t.tsv")


def test_names_that_fold_alike_are_matched_exactly_only() -> None:
    table = parse_names("Khoa học\tKhoaHoc2\nKhóa học\tKH-course\n")
    assert table.lookup("Khóa học") == "Khóa học" and table.lookup("Khoa học") == "Khoa học"
    assert table.lookup("khoa hoc") is None  # which one? not guessed


# -- at ingestion, in the index, in filters ----------------------------------------------------

RECORDS = [
    {"id": "a", "title": "Giá vàng tăng mạnh", "body": "Giá vàng SJC.", "source": "VnExpress", "category": "KinhTe"},
    {"id": "b", "title": "Giá vàng giảm nhẹ", "body": "Giá vàng thế giới.", "source": "vnexpress.net",
     "category": "Kinh tế"},
    {"id": "c", "title": "Giá vàng đứng yên", "body": "Giá vàng trong nước.", "source": "kinhdoanh.vnexpress.net",
     "category": "ThoiSu"},
    {"id": "d", "title": "Giá vàng lập đỉnh", "body": "Giá vàng miếng.", "source": "thanhnien.com.vn",
     "category": "Thời sự"},
    {"id": "e", "title": "Giá vàng quay đầu", "body": "Giá vàng nhẫn.", "source": "baomoi.com",
     "category": "AmNhac"},
]


def test_ingestion_gives_display_names(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS), encoding="utf-8")
    got = {a.id: (a.source, a.category) for a in read_articles([path]) if isinstance(a, Article)}
    assert got == {"a": ("VnExpress", "Kinh tế"), "b": ("VnExpress", "Kinh tế"), "c": ("VnExpress", "Thời sự"),
                   "d": ("Thanh Niên", "Thời sự"), "e": ("baomoi.com", "Âm nhạc")}


@pytest.fixture(scope="module", params=[None, 2])
def names_index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("names")
    path = folder / "a.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS), encoding="utf-8")
    index = folder / "ix"
    shards = ["--shards", str(request.param)] if request.param else []
    assert main(["index", str(path), "--index", str(index), "-q", *shards]) == 0
    return index


def _facet(index: Path, name: str, **filters: list[str]) -> dict[str, int]:
    result = search(SearchRequest(q="giá vàng", **filters), index)  # type: ignore[arg-type]
    return {f["value"]: f["count"] for f in result.facets[name]}


def test_facets_show_one_name_per_source_and_category(names_index: Path) -> None:
    assert _facet(names_index, "source") == {"VnExpress": 3, "Thanh Niên": 1, "baomoi.com": 1}
    assert _facet(names_index, "category") == {"Kinh tế": 2, "Thời sự": 2, "Âm nhạc": 1}


@pytest.mark.parametrize(("name", "value", "ids"), [
    ("source", "vnexpress.net", {"a", "b", "c"}),
    ("source", "VnExpress", {"a", "b", "c"}),
    ("source", "thethao.vnexpress.net", {"a", "b", "c"}),
    ("source", "Thanh Niên", {"d"}),
    ("source", "thanhnien.com.vn", {"d"}),
    ("source", "baomoi.com", {"e"}),
    ("category", "ThoiSu", {"c", "d"}),
    ("category", "Thời sự", {"c", "d"}),
    ("category", "AmNhac", {"e"}),
])
def test_filters_accept_either_form(names_index: Path, name: str, value: str, ids: set[str]) -> None:
    result = search(SearchRequest(q="giá vàng", **{name: [value]}), names_index)  # type: ignore[arg-type]
    assert {h.id for h in result.hits} == ids


def test_the_page_ticks_the_name_of_a_filter_given_as_a_domain(names_index: Path) -> None:
    client = webapp.create_app(str(names_index)).test_client()
    doc = client.get("/search", query_string={"q": "giá vàng", "source": "vnexpress.net"}).get_json()
    assert doc["total"] == 3 and {r["source"] for r in doc["results"]} == {"VnExpress"}
    page = client.get("/", query_string={"q": "giá vàng", "source": "vnexpress.net"}).get_data(as_text=True)
    assert page.count('name="source" value="VnExpress" checked') == 1
    assert 'value="vnexpress.net" checked' not in page  # no second, empty box for the other form


@pytest.mark.parametrize("sharded", [False, True])
def test_an_index_written_with_the_given_forms_is_filtered_by_either(tmp_path: Path, sharded: bool) -> None:
    # an index built before the tables: its articles keep "vnexpress.net" and "ThoiSu"
    articles = [Article("x", "Giá vàng", "Giá vàng tăng.", source="vnexpress.net", category="ThoiSu"),
                Article("y", "Giá vàng", "Giá vàng giảm.", source="Thanh Niên", category="Thể thao")]
    index = tmp_path / "ix"
    if sharded:
        write_sharded(index, articles, shards=2)
    else:
        write_articles(index, articles)
    for value in ("VnExpress", "vnexpress.net"):
        assert [h.id for h in search(SearchRequest(q="gia vang", source=[value]), index).hits] == ["x"]
    assert [h.id for h in search(SearchRequest(q="gia vang", category=["Thời sự"]), index).hits] == ["x"]
