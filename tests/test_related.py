"""Related articles (indexer.assist.related) on a small index: same topic first, never the article itself."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.assist.related import related
from indexer.models import Article
from indexer.store.index import write_articles

VN = timezone(timedelta(hours=7))


def _a(id: str, title: str, lead: str, body: str, day: int = 1) -> Article:
    return Article(id=id, title=title, lead=lead, body=body, source="Báo thử", category="Thời sự",
                   url=f"https://example.vn/{id}", published=datetime(2024, 5, day, 8, tzinfo=VN))


ARTICLES = [
    _a("flood-1", "Bão lũ miền Trung: hàng nghìn nhà bị ngập", "Mưa lớn do bão số 5 khiến nước lũ dâng cao.",
       "Lũ lên nhanh ở Quảng Ngãi, hàng nghìn hộ dân phải sơ tán khỏi vùng ngập.", 1),
    _a("flood-2", "Quảng Ngãi sơ tán dân tránh lũ sau bão số 5", "Nước lũ dâng cao, nhiều nhà bị ngập sâu.",
       "Chính quyền sơ tán hàng nghìn hộ dân; bão số 5 gây mưa lớn kéo dài.", 2),
    _a("flood-dup", "Bão lũ miền Trung: hàng nghìn nhà bị ngập", "Bản đăng lại của cùng một bài.",
       "Lũ lên nhanh ở Quảng Ngãi, hàng nghìn hộ dân phải sơ tán.", 3),
    _a("fuel-1", "Giá xăng giảm mạnh từ chiều nay", "Liên Bộ Công Thương - Tài chính điều chỉnh giá xăng dầu.",
       "Xăng RON95 giảm 500 đồng mỗi lít; dầu diesel giữ nguyên.", 4),
    _a("fuel-2", "Giá xăng dầu tăng lần thứ ba liên tiếp", "Xăng RON95 tăng 300 đồng mỗi lít.",
       "Liên Bộ Công Thương - Tài chính điều chỉnh giá xăng dầu chiều nay.", 5),
    _a("football-1", "Đội tuyển bóng đá Việt Nam thắng đậm", "Các cầu thủ chơi tự tin trên sân Mỹ Đình.",
       "Đội tuyển ghi ba bàn trong hiệp hai; huấn luyện viên khen các cầu thủ trẻ.", 6),
    _a("football-2", "Cầu thủ trẻ tỏa sáng, đội tuyển Việt Nam giành chiến thắng",
       "Huấn luyện viên hài lòng với các cầu thủ.", "Đội tuyển bóng đá Việt Nam thắng trên sân Mỹ Đình.", 7),
    _a("school-1", "Học sinh Hà Nội trở lại trường", "Năm học mới bắt đầu với nhiều đổi mới.",
       "Các trường chuẩn bị sách vở, bàn ghế cho học sinh.", 8),
    _a("bank-1", "Ngân hàng Nhà nước giữ nguyên lãi suất", "Lãi suất điều hành không đổi.",
       "Ngân hàng Nhà nước cho biết lãi suất tái cấp vốn giữ nguyên.", 9),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("related") / "index"
    write_articles(path, ARTICLES)
    return path


def ids(found: list[dict]) -> list[str]:
    return [r["id"] for r in found]


@pytest.mark.parametrize("article, expected, unrelated", [
    ("flood-1", "flood-2", {"fuel-1", "fuel-2", "football-1", "football-2", "school-1", "bank-1"}),
    ("fuel-1", "fuel-2", {"flood-1", "flood-2", "football-1", "school-1", "bank-1"}),
    ("football-2", "football-1", {"flood-1", "fuel-1", "bank-1"}),
])
def test_same_topic_ranks_first(index_dir: Path, article: str, expected: str, unrelated: set[str]) -> None:
    found = ids(related(index_dir, article))
    assert found and found[0] == expected
    rest = found[1:]
    assert not (set(found[:1]) & unrelated) and all(found.index(u) > 0 for u in unrelated & set(rest))


def test_the_article_and_its_duplicates_are_excluded(index_dir: Path) -> None:
    found = ids(related(index_dir, "flood-1", limit=8))
    assert "flood-1" not in found
    assert "flood-dup" not in found  # the same title published twice is not "related"


def test_result_shape_and_limit(index_dir: Path) -> None:
    found = related(index_dir, "flood-2", limit=1)
    assert len(found) == 1
    assert set(found[0]) == {"id", "title", "url", "source", "published"}
    assert found[0]["url"].startswith("https://example.vn/") and found[0]["published"].startswith("2024-05-")
    assert len(related(index_dir, "flood-2", limit=5)) <= 5
    assert related(index_dir, "flood-2", limit=0) == []


@pytest.mark.parametrize("article_id", ["nope", "", "flood-1 ", "FLOOD-1"])
def test_unknown_id_gives_nothing(index_dir: Path, article_id: str) -> None:
    assert related(index_dir, article_id) == []


def test_results_are_cached_but_copies(index_dir: Path) -> None:
    first = related(index_dir, "fuel-2")
    first[0]["title"] = "changed"
    assert related(index_dir, "fuel-2")[0]["title"] != "changed"


def test_a_new_generation_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "index"
    write_articles(path, ARTICLES[:4])
    assert "fuel-2" not in ids(related(path, "fuel-1"))
    write_articles(path, ARTICLES[4:])
    assert ids(related(path, "fuel-1"))[:1] == ["fuel-2"]
