"""Relevance on queries nobody tuned for (issue 16): one city with many spellings, two places in one
query, the shortest verbatim headline first, and highlights that follow the reader's intent."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.models import Article
from indexer.search import SearchRequest, search
from indexer.store.index import write_articles


def ids(index_dir: Path, q: str) -> list[str]:
    return [h.id for h in search(SearchRequest(q=q, per_page=10), index_dir).hits]


# -- one city, many spellings ----------------------------------------------------------------------

METRO = [
    Article(id="metro2", title="TP.HCM khởi công tuyến metro số 2",
            body="Tuyến metro số 2 Bến Thành - Tham Lương dài 11 km được khởi công sáng nay."),
    Article(id="metro1", title="TP HCM chạy thử tuyến metro số 1 Bến Thành - Suối Tiên",
            body="Đoàn tàu metro số 1 chạy thử toàn tuyến, số 2 còn chờ vốn."),
    Article(id="hanoi", title="Hà Nội khởi công tuyến metro số 2 Nam Thăng Long - Trần Hưng Đạo",
            body="Tuyến đường sắt đô thị số 2 của Hà Nội dài hơn 11 km."),
    Article(id="full", title="Thành phố Hồ Chí Minh lập đề án chống ngập",
            body="Thành phố Hồ Chí Minh sẽ đầu tư 10.000 tỷ đồng chống ngập."),
    Article(id="tp-body", title="Giá nhà tăng mạnh trong quý ba",
            body="Tại Tp. Hồ Chí Minh, giá căn hộ tăng 8%, trong khi ở Đà Nẵng tăng 3%."),
    Article(id="ubnd", title="UBND tỉnh Nghệ An họp phiên thường kỳ", body="Nội dung cuộc họp."),
    Article(id="uy-ban", title="Ủy ban nhân dân tỉnh Quảng Bình ban hành kế hoạch", body="Kế hoạch năm."),
]


@pytest.fixture(scope="module")
def metro_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("metro")
    write_articles(path, METRO)
    return path


@pytest.mark.parametrize("q", ["tphcm metro số 2", "thành phố hồ chí minh metro số 2", "tp hcm metro so 2",
                               "TP.HCM metro so 2", "Tp. Hồ Chí Minh metro số 2", "hcm metro so 2"])
def test_every_spelling_of_the_city_finds_the_headline_first(metro_index: Path, q: str) -> None:
    assert ids(metro_index, q)[0] == "metro2"


@pytest.mark.parametrize("q", ["tphcm", "TP HCM", "thanh pho ho chi minh", "TP.HCM", "tp. hồ chí minh"])
def test_every_spelling_finds_every_other_in_titles_and_bodies(metro_index: Path, q: str) -> None:
    assert {"metro2", "metro1", "full", "tp-body"} <= set(ids(metro_index, q))
    assert "hanoi" not in ids(metro_index, q)


def test_a_spelled_out_city_pairs_with_the_next_word_as_its_acronym_does(metro_index: Path) -> None:
    # "TP.HCM khởi công" and "thành phố Hồ Chí Minh khởi công" are the same two words in a row
    res = ids(metro_index, '"thành phố hồ chí minh khởi công"')
    assert res == [] or res[0] == "metro2"
    assert ids(metro_index, "thanh pho ho chi minh khoi cong")[0] == "metro2"


def test_other_acronyms_match_their_spelled_out_forms(metro_index: Path) -> None:
    assert set(ids(metro_index, "ubnd tinh")[:2]) == {"ubnd", "uy-ban"}
    assert set(ids(metro_index, "uy ban nhan dan tinh")[:2]) == {"ubnd", "uy-ban"}
    assert ids(metro_index, "ubnd tinh")[0] == "ubnd"  # the spelling typed leads
    assert ids(metro_index, "ủy ban nhân dân tỉnh")[0] == "uy-ban"
