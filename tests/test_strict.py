"""Honest date sorts and facets: only articles with every query word (issue 15, items 5 and 6)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from indexer.models import Article
from indexer.search import SearchRequest, search
from indexer.shard.write import write_sharded
from indexer.store.index import write_articles

VN = timezone(timedelta(hours=7))


def _a(id: str, title: str, body: str, category: str, when: datetime | None, lead: str = "") -> Article:
    return Article(id=id, title=title, lead=lead, body=body, category=category, source="Báo Mẫu",
                   published=when)


def strict_articles() -> list[Article]:
    """Three real "giá vàng" stories, one undated, and weak matches (folded forms only) that are newer."""
    return [
        _a("vang-1", "Giá vàng tăng mạnh đầu năm", "Giá vàng miếng tăng 500.000 đồng mỗi lượng.", "Kinh tế",
           datetime(2021, 1, 4, 9, tzinfo=VN)),
        _a("vang-2", "Giá vàng quay đầu giảm", "Nhà đầu tư bán vàng chốt lời, giá giảm.", "Kinh tế",
           datetime(2022, 6, 1, 9, tzinfo=VN)),
        _a("vang-3", "Thị trường kim loại quý", "Giá vàng thế giới đi ngang trong tuần.", "Thị trường",
           datetime(2020, 3, 2, 9, tzinfo=VN)),
        _a("vang-undated", "Giá vàng hôm nay", "Bảng giá vàng cập nhật liên tục.", "Kinh tế", None),
        # weak matches: "vắng", "giả", "gia" fold to the query's words but are other words
        _a("weak-1", "Sân vắng khán giả", "Trận đấu diễn ra trên sân vắng, khán giả ở nhà.", "Thể thao",
           datetime(2024, 5, 1, 20, tzinfo=VN)),
        _a("weak-2", "Gia đình vắng nhà", "Cả gia đình vắng nhà suốt kỳ nghỉ.", "Thể thao",
           datetime(2024, 4, 1, 20, tzinfo=VN)),
        _a("weak-3", "Đội khách tham gia giải", "Trận đấu vắng nhiều cầu thủ, đội tham gia đủ.", "Thể thao",
           datetime(2023, 9, 1, 20, tzinfo=VN)),
        _a("weak-4", "Hàng giả tràn lan", "Sân vận động vắng khách vì hàng giả.", "Thể thao",
           datetime(2023, 8, 1, 20, tzinfo=VN)),
        # every word in its exact form, but apart: a gold medal and ticket prices
        _a("sport-gold", "Huy chương vàng cho đội tuyển", "Giá vé xem trận chung kết tăng gấp đôi.", "Thể thao",
           datetime(2024, 7, 1, 20, tzinfo=VN)),
        # the folded words side by side, in other forms: "giả vàng"
        _a("weak-5", "Bắt đối tượng bán giả vàng miếng", "Công an thu giữ nhiều vàng giả.", "Pháp luật",
           datetime(2024, 6, 1, 20, tzinfo=VN)),
        # acronyms and province names: alternatives count as the word
        _a("ubnd-long", "Ủy ban nhân dân tỉnh họp bàn giá vàng", "Cuộc họp bàn về thị trường.", "Thời sự",
           datetime(2022, 1, 1, 9, tzinfo=VN)),
        _a("ubnd-none", "Tỉnh họp bàn giá vàng", "Không có cơ quan nào được nhắc.", "Thời sự",
           datetime(2025, 1, 1, 9, tzinfo=VN)),
    ]


@pytest.fixture(scope="module")
def strict_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("strict")
    write_articles(path, strict_articles())
    return path


def ids(index: Path, q: str, **kw) -> list[str]:
    return [h.id for h in search(SearchRequest(q=q, per_page=50, **kw), index).hits]


def test_newest_lists_only_articles_with_every_word_in_its_exact_form(strict_index: Path) -> None:
    relevance = ids(strict_index, "giá vàng")
    assert {"weak-1", "weak-2", "sport-gold"} <= set(relevance)  # relevance keeps weak matches, ranked below
    assert relevance.index("weak-1") > relevance.index("vang-1")
    newest = ids(strict_index, "giá vàng", sort="newest")
    assert newest == ["ubnd-none", "vang-2", "ubnd-long", "vang-1", "vang-3", "vang-undated"]
    oldest = ids(strict_index, "giá vàng", sort="oldest")
    assert oldest == ["vang-3", "vang-1", "ubnd-long", "vang-2", "ubnd-none", "vang-undated"]  # undated last
    res = search(SearchRequest(q="giá vàng", sort="newest"), strict_index)
    assert res.total == res.all_words == 6


def test_words_typed_without_diacritics_match_every_form(strict_index: Path) -> None:
    newest = ids(strict_index, "gia vang", sort="newest")
    assert newest[:3] == ["ubnd-none", "weak-5", "vang-2"] and "vang-undated" == newest[-1]
    assert "weak-1" not in newest and "sport-gold" not in newest  # the words are apart
    # one word typed with diacritics: that word exact, the other in any form
    assert "weak-5" in ids(strict_index, "gia vàng", sort="newest")
    assert "weak-5" not in ids(strict_index, "giá vang", sort="newest")  # "giả" is not "giá"


def test_acronym_alternatives_count(strict_index: Path) -> None:
    got = ids(strict_index, "UBND giá vàng", sort="newest")
    assert got == ["ubnd-long"]


def test_facets_count_only_articles_with_every_word(strict_index: Path) -> None:
    res = search(SearchRequest(q="giá vàng"), strict_index)
    categories = {f["value"]: f["count"] for f in res.facets["category"]}
    assert categories == {"Kinh tế": 3, "Thời sự": 2, "Thị trường": 1}  # no "Thể thao" from weak matches
    assert res.all_words == 6 < res.total  # relevance also lists the weak ones, below
    loose = search(SearchRequest(q="gia vang"), strict_index)
    assert {f["value"]: f["count"] for f in loose.facets["category"]} == {**categories, "Pháp luật": 1}
    filtered = search(SearchRequest(q="giá vàng", category=["Kinh tế"]), strict_index)
    assert filtered.all_words == 3
    # a category's own filter is not applied to its counts
    assert {f["value"] for f in filtered.facets["category"]} == set(categories)


def test_sharded_date_sorts_and_facets_equal_single(strict_index: Path, tmp_path: Path) -> None:
    sharded = tmp_path / "ix"
    write_sharded(sharded, strict_articles(), shards=3)
    for q in ("giá vàng", "gia vang", "UBND giá vàng", "vàng"):
        for sort in ("relevance", "newest", "oldest"):
            a = search(SearchRequest(q=q, sort=sort), strict_index)
            b = search(SearchRequest(q=q, sort=sort), sharded)
            assert [h.id for h in b.hits] == [h.id for h in a.hits], (q, sort)
            assert (b.total, b.all_words, b.facets) == (a.total, a.all_words, a.facets), (q, sort)


@pytest.fixture(scope="module")
def web_articles() -> list[Article]:
    return strict_articles()


def test_page_marks_undated_articles(client: FlaskClient) -> None:
    text = client.get("/", query_string={"q": "giá vàng", "sort": "newest"}).get_data(as_text=True)
    assert text.count("không rõ ngày") == 1
    assert text.index("/articles/vang-undated") > text.index("/articles/vang-3")  # the undated one is last
    assert "Sân vắng" not in text
    data = client.get("/search", query_string={"q": "giá vàng", "sort": "newest"}).get_json()
    assert data["total"] == data["all_words"] == 6
    assert data["results"][-1]["published"] is None


def test_a_date_sort_without_articles_having_every_word_points_to_relevance(client: FlaskClient) -> None:
    # "vắng giả": only weak-1 and weak-4 have both exact forms; "vắng giá" none: relevance still lists some
    text = client.get("/", query_string={"q": "vắng giá", "sort": "newest"}).get_data(as_text=True)
    assert "Không tìm thấy bài nào" in text and "xếp theo mức liên quan" in text
    assert client.get("/search", query_string={"q": "vắng giá"}).get_json()["total"] > 0
