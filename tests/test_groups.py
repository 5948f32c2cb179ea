"""Story groups: duplicates found at indexing (indexer.store.groups) and collapsed in results."""

from __future__ import annotations

import shutil
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.models import Article
from indexer.search import Ranking, SearchRequest, search
from indexer.shard.write import delete_sharded, write_sharded
from indexer.store.index import delete_articles, open_index, write_articles
from indexer.text.fingerprint import fingerprint, same_story

VN = timezone(timedelta(hours=7))

FLOOD = ("Mưa lớn kéo dài suốt ba ngày qua khiến nước sông Kiến Giang dâng cao, hàng nghìn ngôi nhà ở huyện "
         "Lệ Thủy, tỉnh Quảng Bình bị ngập sâu trong nước. Chính quyền địa phương đã huy động lực lượng "
         "quân đội và công an sơ tán người dân đến nơi an toàn, đồng thời chuẩn bị lương thực, nước uống "
         "cứu trợ cho các hộ bị cô lập. Nhiều tuyến đường liên xã bị chia cắt, học sinh phải nghỉ học.")
FLOOD_LEAD = "Lũ lụt ở Quảng Bình khiến hàng nghìn ngôi nhà bị ngập."
GOLD = ("Sáng {d}/3, Công ty Vàng bạc Đá quý Sài Gòn niêm yết giá vàng miếng SJC ở mức {buy} triệu đồng "
        "mỗi lượng mua vào và {sell} triệu đồng mỗi lượng bán ra tại thị trường Thành phố Hồ Chí Minh. "
        "Giá vàng nhẫn trơn cũng được điều chỉnh theo xu hướng của thị trường thế giới, nơi giá vàng giao "
        "ngay đang dao động quanh mức {world} USD mỗi ounce trong phiên giao dịch châu Á.")
FOOTER = ("Mời quý độc giả gửi ý kiến, bài viết, hình ảnh về địa chỉ email của tòa soạn. Mọi thông tin phản "
          "ánh xin liên hệ đường dây nóng của báo, hoạt động suốt hai mươi bốn giờ mỗi ngày, kể cả ngày lễ "
          "và ngày nghỉ. Tòa soạn giữ quyền biên tập các bài viết được gửi đến và không trả lại bản thảo "
          "nếu không được đăng tải. Xin chân thành cảm ơn sự quan tâm và đồng hành của quý độc giả.")


def _a(id: str, title: str, body: str, lead: str = "", day: int = 1, source: str = "Báo Quảng Bình") -> Article:
    return Article(id=id, title=title, lead=lead, body=body, source=source, category="Thời sự",
                   published=datetime(2024, 3, day, 8, tzinfo=VN))


def stories() -> list[Article]:
    """A flood story thrice (a copy and a republication under a new headline), two gold bulletins
    of the same wording with other figures, two different stories with the same long footer."""
    return [
        _a("lu-goc", "Lũ lụt ở Quảng Bình, hàng nghìn nhà ngập sâu", FLOOD, FLOOD_LEAD, day=2),
        # the same text: other spacing, case and Unicode form (NFD), another source
        _a("lu-ban-sao", "LŨ LỤT Ở QUẢNG BÌNH,  hàng nghìn nhà ngập sâu",
           unicodedata.normalize("NFD", FLOOD.replace(", ", " , ")), FLOOD_LEAD, day=2, source="Báo Mới"),
        # republished later under another headline, one sentence added
        _a("lu-dang-lai", "Quảng Bình: sơ tán dân khỏi vùng ngập",
           FLOOD + " Chiều nay mưa đã ngớt.", FLOOD_LEAD, day=3, source="Tin Miền Trung"),
        _a("vang-1-3", "Giá vàng sáng 1/3", GOLD.format(d=1, buy="78,5", sell="80,5", world="2.050"), day=1),
        _a("vang-2-3", "Giá vàng sáng 2/3", GOLD.format(d=2, buy="78,9", sell="80,9", world="2.071"), day=2),
        _a("cau-moi", "Khánh thành cầu mới qua sông Nhật Lệ",
           "Sáng nay tỉnh khánh thành cây cầu bắc qua sông Nhật Lệ, rút ngắn đường về trung tâm thành phố. "
           + FOOTER, day=4),
        _a("le-hoi", "Lễ hội đua thuyền trên sông Nhật Lệ",
           "Hàng nghìn người dân đổ về bờ sông Nhật Lệ xem hội đua thuyền truyền thống mừng năm mới. "
           + FOOTER, day=5),
    ]


def _groups(index_dir: Path) -> dict[str, str]:
    ix = open_index(index_dir, create=False)
    with ix.searcher() as s:
        return {f["id"]: f.get("group", f["id"]) for f in s.all_stored_fields()}


@pytest.fixture(scope="module")
def grouped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("groups")
    write_articles(path, stories())
    return path


# -- what is one story ----------------------------------------------------------------------------


def test_copies_and_republications_join_the_first_article_s_group(grouped: Path) -> None:
    groups = _groups(grouped)
    assert groups["lu-goc"] == groups["lu-ban-sao"] == groups["lu-dang-lai"] == "lu-goc"


def test_same_wording_with_other_figures_and_a_shared_footer_are_different_stories(grouped: Path) -> None:
    groups = _groups(grouped)
    for article_id in ("vang-1-3", "vang-2-3", "cau-moi", "le-hoi"):
        assert groups[article_id] == article_id


def test_same_story_decides_on_the_text() -> None:
    flood = fingerprint("Lũ lụt", FLOOD_LEAD, FLOOD)
    assert same_story(flood, fingerprint("Lũ lụt", FLOOD_LEAD, unicodedata.normalize("NFD", FLOOD.upper()))) == 1.0
    assert 0.8 <= same_story(flood, fingerprint("Tiêu đề khác", FLOOD_LEAD, FLOOD + " Chiều nay mưa đã ngớt.")) < 1
    # half the story is not the story
    assert same_story(flood, fingerprint("Lũ lụt", FLOOD_LEAD, FLOOD[: len(FLOOD) // 2])) == 0.0
    short = fingerprint("Tin ngắn", "", "Mưa to.")
    assert not short.near and same_story(short, fingerprint("Tin ngắn", "", "Mưa to.")) == 1.0
    assert same_story(short, fingerprint("Tin ngắn", "", "Mưa rất to.")) == 0.0


# -- collapsed results ----------------------------------------------------------------------------


def test_results_show_one_article_per_story_with_its_group_size(grouped: Path) -> None:
    r = search(SearchRequest(q="lũ lụt quảng bình"), grouped)
    flood = [h for h in r.hits if h.group == "lu-goc"]
    assert len(flood) == 1 and flood[0].group_size == 3
    full = search(SearchRequest(q="lũ lụt quảng bình", collapse=False), grouped)
    assert {"lu-goc", "lu-ban-sao", "lu-dang-lai"} <= {h.id for h in full.hits}
    assert all(h.group_size == 3 for h in full.hits if h.group == "lu-goc")
    assert r.total == full.total - 2  # stories, not articles
    assert flood[0].id == full.hits[[h.group for h in full.hits].index("lu-goc")].id  # its best match
    assert r.facets == full.facets  # facets count articles either way


def test_the_group_filter_lists_the_group(grouped: Path) -> None:
    r = search(SearchRequest(q="quảng bình", group="lu-goc", collapse=False), grouped)
    assert sorted(h.id for h in r.hits) == ["lu-ban-sao", "lu-dang-lai", "lu-goc"] and r.total == 3
    assert search(SearchRequest(q="giá vàng", group="lu-goc"), grouped).total == 0


def test_date_sorts_keep_the_newest_or_oldest_of_a_story(grouped: Path) -> None:
    newest = search(SearchRequest(q="quảng bình ngập", sort="newest"), grouped)
    oldest = search(SearchRequest(q="quảng bình ngập", sort="oldest"), grouped)
    assert [h.id for h in newest.hits if h.group == "lu-goc"] == ["lu-dang-lai"]
    assert [h.id for h in oldest.hits if h.group == "lu-goc"] == ["lu-ban-sao"]  # day 2, the smaller id of two


def test_pages_of_collapsed_results_cover_every_story_once(tmp_path: Path) -> None:
    articles = []
    for i in range(12):  # 12 stories, the even ones with a copy
        body = f"Bài số {i}: " + FOOTER.replace("quý độc giả", f"độc giả nhóm {i}") + f" Mã tin {i}."
        articles.append(_a(f"s{i:02d}", f"Thông báo số {i} của tòa soạn", body * (1 + i % 3)))
        if i % 2 == 0:
            articles.append(_a(f"s{i:02d}-copy", f"Thông báo số {i} của tòa soạn", body * (1 + i % 3)))
    write_articles(tmp_path, articles)
    seen: list[str] = []
    for page in (1, 2, 3):
        r = search(SearchRequest(q="tòa soạn", page=page, per_page=5), tmp_path)
        assert r.total == 12
        seen += [h.group for h in r.hits]
    assert len(seen) == len(set(seen)) == 12
    assert sum(search(SearchRequest(q="tòa soạn", per_page=100), tmp_path).hits[i].group_size
               for i in range(12)) == len(articles)


# -- incremental indexing, re-indexing, deletes ---------------------------------------------------


def test_an_article_indexed_later_joins_its_story(tmp_path: Path) -> None:
    first, copy, republished = stories()[:3]
    write_articles(tmp_path, [first, stories()[3]])
    write_articles(tmp_path, [copy])
    write_articles(tmp_path, [republished], commit_every=1)
    assert {k: v for k, v in _groups(tmp_path).items() if k.startswith("lu")} == dict.fromkeys(
        ["lu-goc", "lu-ban-sao", "lu-dang-lai"], "lu-goc")


def test_within_one_run_across_commits(tmp_path: Path) -> None:
    write_articles(tmp_path, stories(), commit_every=2)
    assert _groups(tmp_path) == _groups_of_one_run()


def test_many_copies_join_one_group(tmp_path: Path) -> None:
    """Candidates checked per article are bounded; an identical text still ends the search at once."""
    first = stories()[0]
    copies = [_a(f"ban-{i:03d}", first.title, FLOOD, FLOOD_LEAD) for i in range(120)]
    write_articles(tmp_path, [first, *copies[:60]], commit_every=25)
    write_articles(tmp_path, copies[60:])
    assert set(_groups(tmp_path).values()) == {"lu-goc"}


def test_merged_segments_keep_the_groups(tmp_path: Path) -> None:
    from indexer.store.merge import merge_segments

    write_articles(tmp_path, stories(), commit_every=2)
    assert merge_segments(tmp_path, everything=True) is not None
    assert len(open_index(tmp_path, create=False)._segments()) == 1
    r = search(SearchRequest(q="lũ lụt quảng bình"), tmp_path)
    assert [h.group_size for h in r.hits if h.group == "lu-goc"] == [3]
    write_articles(tmp_path, [_a("lu-nua", "Lũ lụt", FLOOD, FLOOD_LEAD)])  # the table is read from merged columns
    assert _groups(tmp_path)["lu-nua"] == "lu-goc"


def _groups_of_one_run() -> dict[str, str]:
    return {"lu-goc": "lu-goc", "lu-ban-sao": "lu-goc", "lu-dang-lai": "lu-goc", "vang-1-3": "vang-1-3",
            "vang-2-3": "vang-2-3", "cau-moi": "cau-moi", "le-hoi": "le-hoi"}


def test_reindexing_regroups_by_the_new_text_and_deletes_keep_the_others(tmp_path: Path) -> None:
    write_articles(tmp_path, stories())
    changed = _a("lu-ban-sao", "Chuyện khác hẳn", "Một câu chuyện khác: " + GOLD.format(d=9, buy="1", sell="2",
                                                                                        world="3"))
    write_articles(tmp_path, [changed])
    groups = _groups(tmp_path)
    assert groups["lu-ban-sao"] == "lu-ban-sao" and groups["lu-dang-lai"] == "lu-goc"
    delete_articles(tmp_path, ["lu-goc"])
    write_articles(tmp_path, [_a("lu-ban-moi", "Lũ lụt", FLOOD, FLOOD_LEAD, day=6)])
    assert _groups(tmp_path)["lu-ban-moi"] == "lu-goc"  # joins through lu-dang-lai, still in the group
    r = search(SearchRequest(q="lũ lụt quảng bình"), tmp_path)
    assert [h.group_size for h in r.hits if h.group == "lu-goc"] == [2]


def test_reindexing_the_same_files_keeps_the_groups(tmp_path: Path) -> None:
    write_articles(tmp_path, stories())
    write_articles(tmp_path, stories())
    assert _groups(tmp_path) == _groups_of_one_run()


def test_an_index_written_before_groups_opens_and_gets_them(tmp_path: Path) -> None:
    from tests.test_ondisk import COMMITTED

    old = Path(shutil.copytree(COMMITTED, tmp_path / "old"))
    before = search(SearchRequest(q="thuy dien hoa binh"), old)
    assert before.hits and all(h.group == h.id and h.group_size == 1 for h in before.hits)
    ix = open_index(old, create=False)
    with ix.searcher() as s:
        article = next(f for f in s.all_stored_fields() if f["id"] == "thuy-dien")
    again = Article(id="thuy-dien-2", title=article["title"], lead=article.get("lead", ""), body=article["body"])
    write_articles(old, [again])  # the old article has no fingerprint yet: alone
    assert _groups(old)["thuy-dien-2"] == "thuy-dien-2"
    write_articles(old, [Article(id="thuy-dien", title=article["title"], lead=article.get("lead", ""),
                                 body=article["body"])])  # indexed again: grouped
    assert _groups(old)["thuy-dien"] == "thuy-dien-2"
    r = search(SearchRequest(q="thuy dien hoa binh"), old)
    assert [h.group_size for h in r.hits if h.group == "thuy-dien-2"] == [2]


# -- sharded indexes ------------------------------------------------------------------------------


def _corpus() -> list[Article]:
    """The stories, and 30 more in 10 groups of 1 to 3 articles (spread over the shards by id)."""
    out = stories()
    for g in range(10):
        body = (f"Tin địa phương số {g}: " + FOOTER.replace("tòa soạn", f"ban biên tập số {g}")
                + f" Người viết: phóng viên {g}." + " Tin thêm." * g)  # no two scores equal
        for j in range(1 + g % 3):
            out.append(_a(f"tin-{g}-{j}", f"Tin địa phương số {g} về mưa lũ" + (" (cập nhật)" if j else ""),
                          body + (" Cập nhật." if j == 2 else ""), day=1 + (g * 3 + j) % 27))
    return out


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    single = tmp_path_factory.mktemp("single")
    sharded = tmp_path_factory.mktemp("sharded") / "ix"
    write_articles(single, _corpus())
    write_sharded(sharded, _corpus(), shards=3, commit_every=4)
    return single, sharded


def _shown(r) -> list[tuple]:
    return [(h.id, h.score, h.group, h.group_size) for h in r.hits]


@pytest.mark.parametrize("q", ["mưa lũ", "quảng bình", "độc giả", "giá vàng"])
def test_sharded_collapse_equals_the_single_index(pair: tuple[Path, Path], q: str) -> None:
    single, sharded = pair
    assert _groups_sharded(sharded) == _groups(single)
    for kw in ({}, {"collapse": False}, {"sort": "newest"}, {"sort": "oldest", "page": 2, "per_page": 3},
               {"per_page": 2, "page": 3}, {"group": "tin-5-0", "collapse": False}):
        for rank in (None, Ranking(rerank_depth=2)):
            a, b = search(SearchRequest(q=q, **kw), single, rank), search(SearchRequest(q=q, **kw), sharded, rank)
            assert _shown(b) == _shown(a), (q, kw)
            assert (b.total, b.facets) == (a.total, a.facets), (q, kw)


def _groups_sharded(index_dir: Path) -> dict[str, str]:
    from indexer.shard.manifest import shard_dirs

    return {k: v for d in shard_dirs(index_dir) for k, v in _groups(d).items()}


def test_groups_span_shards(pair: tuple[Path, Path]) -> None:
    from indexer.shard.manifest import shard_of

    _, sharded = pair
    groups = _groups_sharded(sharded)
    members = [i for i, g in groups.items() if g == "lu-goc"]
    assert len({shard_of(i, 3) for i in members}) > 1  # the case compared is not trivial
    r = search(SearchRequest(q="quảng bình lũ lụt"), sharded)
    assert [h.group_size for h in r.hits if h.group == "lu-goc"] == [3]


def test_sharded_deletes_and_later_articles(tmp_path: Path) -> None:
    first, copy, republished, *others = stories()
    write_sharded(tmp_path, [first, *others], shards=3)
    write_sharded(tmp_path, [copy, republished])
    assert {_groups_sharded(tmp_path)[i] for i in ("lu-ban-sao", "lu-dang-lai")} == {"lu-goc"}
    delete_sharded(tmp_path, ["lu-ban-sao"])
    r = search(SearchRequest(q="quảng bình lũ lụt"), tmp_path)
    assert [(h.group, h.group_size) for h in r.hits if h.group == "lu-goc"] == [("lu-goc", 2)]


# -- the web page and the API ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def web_articles() -> list[Article]:
    return _corpus()


def test_the_page_links_the_other_articles_of_a_story(client) -> None:
    html = client.get("/", query_string={"q": "lũ lụt quảng bình"}).get_data(as_text=True)
    assert "2 bài tương tự" in html
    assert "group=lu-goc" in html and "collapse=false" in html
    group = client.get("/", query_string={"q": "lũ lụt quảng bình", "group": "lu-goc", "collapse": "false"})
    page = group.get_data(as_text=True)
    assert all(f"/articles/{i}?" in page for i in ("lu-goc", "lu-ban-sao", "lu-dang-lai"))
    assert "bài tương tự" not in page and "Xem mọi kết quả" in page


def test_the_api_takes_collapse_and_group(client) -> None:
    body = client.get("/search", query_string={"q": "lũ lụt quảng bình"}).get_json()
    hit = next(h for h in body["results"] if h["group"] == "lu-goc")
    assert hit["group_size"] == 3
    full = client.get("/search", query_string={"q": "lũ lụt quảng bình", "collapse": "false"}).get_json()
    assert full["total"] == body["total"] + 2
    one = client.get("/search", query_string={"q": "lũ", "group": "lu-goc", "collapse": "0"}).get_json()
    assert {h["id"] for h in one["results"]} == {"lu-goc", "lu-ban-sao", "lu-dang-lai"}
    bad = client.get("/search", query_string={"q": "lũ", "collapse": "maybe"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_parameter"
    assert client.get("/search", query_string={"q": "lũ", "group": "x" * 201}).status_code == 400


def test_related_articles_leave_out_the_article_s_own_story(pair: tuple[Path, Path]) -> None:
    from indexer.assist.related import related

    for index_dir in pair:
        shown = [r["id"] for r in related(index_dir, "tin-5-0", limit=5)]
        assert shown and not {"tin-5-1", "tin-5-2"} & set(shown)  # its copies under other headlines
        assert len({i.rsplit("-", 1)[0] for i in shown}) == len(shown)  # one article per story
