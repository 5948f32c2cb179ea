"""Provinces in their time (issue 15, item 7): tags, filters, facets and queries before and after
the 1 July 2025 merger, in one index and in a sharded one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from indexer.models import Article
from indexer.search import SearchRequest, parse_query, search
from indexer.shard.write import write_sharded
from indexer.store.index import write_articles
from indexer.text.regions import (
    region_alternatives,
    region_filter_value,
    region_filter_values,
    region_parent,
    tag_regions,
)

VN = timezone(timedelta(hours=7))
OLD = datetime(2013, 10, 16, 8, tzinfo=VN)
NEW = datetime(2025, 10, 2, 8, tzinfo=VN)

BINH_DINH = ("Lũ lụt nặng ở Bình Định, Quảng Ngãi",
             "Mưa lớn khiến nhiều xã của tỉnh Bình Định và tỉnh Quảng Ngãi bị ngập sâu.",
             "Tại Quy Nhơn, nước dâng cao. Tỉnh Quảng Nam cũng sơ tán hàng nghìn hộ dân. "
             "Bình Định đã huy động lực lượng cứu hộ.")


def test_a_2013_story_is_tagged_with_the_provinces_of_2013() -> None:
    assert tag_regions(*BINH_DINH, OLD) == ["Bình Định (trước 7/2025)", "Quảng Ngãi (trước 7/2025)",
                                            "Quảng Nam (trước 7/2025)"]
    assert tag_regions(*BINH_DINH, NEW) == ["Gia Lai", "Quảng Ngãi", "Đà Nẵng"]
    # unchanged provinces keep their name in every era
    assert tag_regions("Hà Nội mưa lớn", "", "", OLD) == tag_regions("Hà Nội mưa lớn", "", "", NEW) == ["Hà Nội"]
    assert tag_regions("Lễ hội ở Thừa Thiên Huế", "", "", OLD) == ["Thừa Thiên Huế (trước 7/2025)"]


def test_undated_articles_are_tagged_by_the_names_they_use() -> None:
    # "Bình Định" was not a province's name after the merger: the article is from before it
    assert tag_regions(*BINH_DINH, None) == tag_regions(*BINH_DINH, OLD)
    assert tag_regions("Lũ ở Quảng Ngãi", "", "", None) == ["Quảng Ngãi"]
    assert tag_regions("Gia Lai đón mưa", "", "", None) == ["Gia Lai"]
    assert tag_regions("Cháy rừng ở Bắc Kạn", "", "", None) == ["Bắc Kạn (trước 7/2025)"]


def test_filter_values_and_parents() -> None:
    assert region_filter_value("Quảng Bình") == region_filter_value("quang binh") == "Quảng Bình (trước 7/2025)"
    assert region_filter_value("quang tri") == "Quảng Trị"
    assert region_filter_value("Quảng Trị (trước 7/2025)") == "Quảng Trị (trước 7/2025)"
    assert region_filter_value("Hà Nội (trước 7/2025)") == "Hà Nội"
    assert region_filter_value("Atlantis") is None
    assert region_filter_values("Quảng Trị") == ["Quảng Trị", "Quảng Trị (trước 7/2025)", "Quảng Bình (trước 7/2025)"]
    assert region_filter_values("Hà Nội") == ["Hà Nội"]
    assert region_parent("Quảng Bình (trước 7/2025)") == region_parent("Quảng Trị (trước 7/2025)") == "Quảng Trị"
    assert region_parent("Quảng Trị") is None and region_parent("Hà Nội") is None


def test_filter_values_named_with_their_kind_or_a_city_without_it() -> None:
    assert region_filter_value("tỉnh Quảng Trị") == region_filter_value("tinh quang tri") == "Quảng Trị"
    assert region_filter_value("Tỉnh Quảng Bình") == "Quảng Bình (trước 7/2025)"
    assert region_filter_value("TP Cần Thơ") == "Cần Thơ"
    assert region_filter_value("thành phố Đà Nẵng") == region_filter_value("TP. Đà Nẵng") == "Đà Nẵng"
    assert region_filter_value("Hồ Chí Minh") == region_filter_value("ho chi minh") == region_filter_value("TP HCM")
    assert region_filter_value("Minh") is None and region_filter_value("tỉnh") is None


def test_query_alternatives_of_former_and_current_names() -> None:
    assert region_alternatives("quang binh") == [("Quảng Trị", True)]  # not its sibling "Quảng Bình"
    assert region_alternatives("Hà Nam") == [("Ninh Bình", True)]  # not its sibling "Nam Định"
    assert region_alternatives("Quảng Trị") == [("Quảng Bình", False)]
    hcm = [name for name, _ in region_alternatives("TP HCM", limit=3)]
    assert {"Bình Dương", "Bà Rịa – Vũng Tàu"} <= set(hcm)  # former parts are never cut off
    assert "Bình Dương" not in [name for name, _ in region_alternatives("Sài Gòn")]  # the city itself
    # the successor counts only from the merger on
    group = next(g for g in parse_query("lũ quảng bình").groups if len(g) > 1)
    assert [(i.after is not None) for i in group] == [False, True]


def articles() -> list[Article]:
    return [
        Article(id="bd-2013", title=BINH_DINH[0], lead=BINH_DINH[1], body=BINH_DINH[2], published=OLD,
                source="Báo A", category="Thời sự"),
        Article(id="qb-2013", title="Lũ dâng cao ở Quảng Bình", lead="Tỉnh Quảng Bình sơ tán dân vùng lũ.",
                body="Nước lũ chia cắt nhiều xã.", published=OLD, source="Báo A", category="Thời sự"),
        Article(id="qt-2013", title="Lũ lớn ở Quảng Trị", lead="Tỉnh Quảng Trị có nhiều nơi ngập.",
                body="Lũ trên sông Thạch Hãn lên nhanh.", published=OLD + timedelta(days=1), source="Báo B",
                category="Thời sự"),
        Article(id="qt-2025", title="Quảng Trị khắc phục hậu quả lũ",
                lead="Tỉnh Quảng Trị hỗ trợ người dân vùng lũ.", body="Các xã ven biển bị ngập.",
                published=NEW, source="Báo B", category="Thời sự"),
        Article(id="qb-undated", title="Đồng Hới đón khách sau lũ", lead="Tỉnh Quảng Bình mở lại các điểm du lịch.",
                body="Lũ đã rút.", source="Báo C", category="Du lịch"),
        Article(id="hn-2013", title="Hà Nội ngập sau mưa lớn", lead="Nhiều phố ở Hà Nội ngập sâu.",
                body="Nước rút chậm.", published=OLD, source="Báo C", category="Thời sự"),
    ]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    single = tmp_path_factory.mktemp("regions-single")
    sharded = tmp_path_factory.mktemp("regions-sharded") / "ix"
    write_articles(single, articles())
    write_sharded(sharded, articles(), shards=3)
    return single, sharded


def run(index: Path, q: str, **kw):
    return search(SearchRequest(q=q, per_page=50, **kw), index)


def test_region_tags_facets_and_filters(indexes: tuple[Path, Path]) -> None:
    single, _ = indexes
    res = run(single, "lũ")
    rows = res.facets["region"]
    assert rows[:5] == [{"value": "Quảng Trị", "count": 4},  # its former parts and itself since 7/2025
                        {"value": "Quảng Bình (trước 7/2025)", "count": 2, "parent": "Quảng Trị"},
                        {"value": "Quảng Trị (trước 7/2025)", "count": 1, "parent": "Quảng Trị"},
                        {"value": "Gia Lai", "count": 1},
                        {"value": "Bình Định (trước 7/2025)", "count": 1, "parent": "Gia Lai"}]
    values = {r["value"]: r for r in rows}
    assert "Gia Lai" in values and values["Bình Định (trước 7/2025)"]["parent"] == "Gia Lai"
    assert "Gia Lai (trước 7/2025)" not in values  # the 2013 story is not about Gia Lai
    assert {h.id for h in run(single, "lũ", region=["Quảng Bình (trước 7/2025)"]).hits} == {"qb-2013", "qb-undated"}
    assert {h.id for h in run(single, "lũ", region=["Quảng Trị"]).hits} == {"qb-2013", "qt-2013", "qt-2025",
                                                                           "qb-undated"}
    assert {h.id for h in run(single, "lũ", region=["Quảng Trị (trước 7/2025)"]).hits} == {"qt-2013"}


def test_a_former_name_finds_its_successor_only_after_the_merger(indexes: tuple[Path, Path]) -> None:
    single, _ = indexes
    found = run(single, "lũ Quảng Bình")
    got = [h.id for h in found.hits]
    assert {"qb-2013", "qb-undated", "qt-2025"} <= set(got) and "qt-2013" not in got  # not the 2013 Quảng Trị story
    assert got.index("qt-2025") > got.index("qb-2013")  # below the name typed (in the same fields)
    marked = {h.id: h.title_html + h.snippet_html for h in found.hits}
    assert "<mark>Quảng Trị</mark>" in marked["qt-2025"]
    # the 2013 story about Quảng Trị is not found, and its name is not marked in a 2013 article
    both = run(single, "Quảng Bình")
    assert "qt-2013" not in [h.id for h in both.hits]


def test_date_sorts_count_province_alternatives_in_their_time(indexes: tuple[Path, Path]) -> None:
    single, _ = indexes
    newest = [h.id for h in run(single, "lũ Quảng Bình", sort="newest").hits]
    assert newest[0] == "qt-2025" and "qt-2013" not in newest and newest[-1] == "qb-undated"
    assert {"qb-2013", "qt-2013", "qt-2025"} <= set(h.id for h in run(single, "lũ Quảng Trị", sort="oldest").hits)


def test_a_current_name_finds_its_former_parts_below_exact_mentions(indexes: tuple[Path, Path]) -> None:
    single, _ = indexes
    got = [h.id for h in run(single, "lũ Quảng Trị").hits]
    assert set(got) == {"qt-2013", "qt-2025", "qb-2013", "qb-undated"}
    assert set(got[:2]) == {"qt-2013", "qt-2025"}


def test_no_successor_marks_in_articles_before_the_merger(tmp_path: Path) -> None:
    write_articles(tmp_path, [
        Article(id="both-2014", title="Quảng Bình và Quảng Trị chống lũ", body="Hai tỉnh Quảng Bình, Quảng Trị họp.",
                published=OLD),
        Article(id="both-2026", title="Quảng Bình cũ và Quảng Trị chống lũ", body="Tỉnh Quảng Trị họp.",
                published=NEW),
    ])
    hits = {h.id: h for h in run(tmp_path, "Quảng Bình").hits}
    assert "<mark>Quảng Bình</mark>" in hits["both-2014"].title_html
    assert "<mark>Quảng Trị</mark>" not in hits["both-2014"].title_html + hits["both-2014"].snippet_html
    assert "<mark>Quảng Trị</mark>" in hits["both-2026"].title_html


QUERIES = ["lũ", "lũ Quảng Bình", "quang binh", "lũ Quảng Trị", "Bình Định", "gia lai", "Hà Nội"]
FILTERS = [{}, {"region": ["Quảng Trị"]}, {"region": ["Quảng Bình (trước 7/2025)"]}, {"sort": "newest"}]


@pytest.mark.parametrize("q", QUERIES)
def test_sharded_equals_single(indexes: tuple[Path, Path], q: str) -> None:
    single, sharded = indexes
    for kw in FILTERS:
        a, b = run(single, q, **kw), run(sharded, q, **kw)
        assert [(h.id, h.score, h.title_html, h.snippet_html) for h in b.hits] == \
            [(h.id, h.score, h.title_html, h.snippet_html) for h in a.hits], (q, kw)
        assert (b.total, b.all_words, b.facets) == (a.total, a.all_words, a.facets), (q, kw)


@pytest.fixture(scope="module")
def web_articles() -> list[Article]:
    return articles()


def test_page_groups_former_provinces_under_their_successor(client: FlaskClient) -> None:
    text = client.get("/", query_string={"q": "lũ"}).get_data(as_text=True)
    group = text[text.index("<legend>Tỉnh/thành</legend>"):]
    group = group[: group.index("</fieldset>")]
    assert "Quảng Trị › Quảng Bình (trước 7/2025)" in group
    assert group.index(">Quảng Trị</span>") < group.index("Quảng Trị › Quảng Bình")
    filtered = client.get("/search", query_string={"q": "lũ", "region": "quang binh"}).get_json()
    assert {h["id"] for h in filtered["results"]} == {"qb-2013", "qb-undated"}
    page = client.get("/articles/qb-2013", query_string={"q": "Quảng Bình"}).get_data(as_text=True)
    assert "<mark>Quảng Bình</mark>" in page
