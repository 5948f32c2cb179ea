"""Search behaviour on a small index: matching, query language, ranking, filters, highlighting."""

from __future__ import annotations

import dataclasses
import typing
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from indexer.models import Article
from indexer.search import Ranking, SearchRequest, parse_query, search
from indexer.store.index import delete_articles, write_articles


def ids(index_dir: Path, q: str, **kw) -> list[str]:
    return [h.id for h in search(SearchRequest(q=q, per_page=100, **kw), index_dir).hits]


def test_unaccented_query_finds_accented_text(index_dir: Path) -> None:
    assert ids(index_dir, "dai hoi dang cac cap")[0] == "dai-hoi"
    assert ids(index_dir, "DAI HOI DANG")[0] == "dai-hoi"


def test_old_style_tones_in_text_match_new_style_query_and_back(index_dir: Path) -> None:
    assert ids(index_dir, "thủy điện Hòa Bình")[0] == "hoa-binh-old"
    assert ids(index_dir, "thuy dien hoa binh")[0] == "hoa-binh-old"


def test_nfd_query_matches_nfc_text(index_dir: Path) -> None:
    assert ids(index_dir, unicodedata.normalize("NFD", "bão lũ miền Trung"))[0] == "bao-lu"


def test_exact_forms_outrank_folded_ones(index_dir: Path) -> None:
    got = ids(index_dir, "bán nhà")
    assert got.index("ban-nha") < got.index("ban-nha-2")
    got = ids(index_dir, "bạn nhà")
    assert got.index("ban-nha-2") < got.index("ban-nha")
    got = ids(index_dir, "năm")
    assert got.index("nam-moi") < got.index("nam-dinh")


def test_title_order_counts_only_exact_forms_of_accented_words(tmp_path: Path) -> None:
    write_articles(tmp_path, [
        Article(id="dien-dam", title="Tiết lộ nội dung điện đàm của hai tổng thống", body="Cuộc điện đàm kéo dài."),
        Article(id="dien-dam-bao", title="Quyền lợi của khách hàng sử dụng điện được đảm bảo",
                body="Khách hàng sử dụng điện yên tâm."),
    ])
    # "điện đảm" typed with diacritics: the title with "điện … đảm" beats the adjacent "điện đàm"
    assert ids(tmp_path, "dụng điện đảm")[0] == "dien-dam-bao"
    assert ids(tmp_path, "điện đàm")[0] == "dien-dam"
    assert set(ids(tmp_path, "dien dam")) == {"dien-dam", "dien-dam-bao"}


def test_plain_words_in_a_query_typed_with_diacritics_mean_their_exact_form(tmp_path: Path) -> None:
    write_articles(tmp_path, [
        Article(id="vi-tone", title="Xử tử chỉ huy vì hèn nhát", lead="Vì hèn nhát, các chỉ huy hèn nhát bị xử tử.",
                body="Chỉ huy bị xử tử vì hèn nhát, vì bỏ chạy và vì thua trận. Vì hèn nhát, họ bị lên án."),
        Article(id="vi-plain", title="Ngư dân lên án tàu cá có hành vi hèn nhát trên vùng biển",
                body="Tàu cá có hành vi hèn nhát. " + "Ngư dân ra khơi đánh bắt hải sản trên vùng biển. " * 40),
    ])
    # "vi" among words typed with diacritics means "vi" (hành vi), not "vì"
    assert ids(tmp_path, "vi hèn nhát")[0] == "vi-plain"
    assert ids(tmp_path, "vì hèn nhát")[0] == "vi-tone"
    assert set(ids(tmp_path, "vi hen nhat")) == {"vi-tone", "vi-plain"}


def test_codes_in_titles_follow_their_parts_typed_apart(tmp_path: Path) -> None:
    write_articles(tmp_path, [
        Article(id="date", title="Giá vàng hôm nay 8/1 giảm nhẹ", body="Giá vàng giảm nhẹ."),
        Article(id="words", title="Giá vàng hôm nay tăng 8 triệu, vượt mốc 1 tỷ",
                body="Hôm nay giá vàng tăng 8 triệu. Hôm nay giá vượt 1 tỷ."),
    ])
    # "8 1" typed apart follows the date "8/1" in the title's word order
    assert ids(tmp_path, "hom nay 8 1")[0] == "date"
    assert ids(tmp_path, "hôm nay 8/1")[0] == "date"


def test_nearly_adjacent_title_words_count_in_re_ranking(tmp_path: Path) -> None:
    write_articles(tmp_path, [
        Article(id="near", title="Việt Nam là đối tác chiến lược của Lào", body="Hai nước hợp tác."),
        Article(id="far", title="Việt Nam và Úc sẽ nâng quan hệ lên đối tác chiến lược",
                body="Việt Nam và Úc là đối tác. Quan hệ đối tác chiến lược giữa Việt Nam và Úc."),
    ])
    query = "viet nam doi tac chien luoc"
    assert ids(tmp_path, query)[0] == "near"  # "nam … đối", one word apart, counts two thirds of a pair
    hits = search(SearchRequest(q=query), tmp_path, Ranking(title_near_pairs=0.0)).hits
    assert hits[0].id == "far"  # the body alone would put the other first


def test_unaccented_query_matches_every_form(index_dir: Path) -> None:
    assert {"ban-nha", "ban-nha-2"} <= set(ids(index_dir, "ban nha"))
    assert {"nam-moi", "nam-dinh"} <= set(ids(index_dir, "nam"))


def test_adjacent_words_outrank_scattered_ones(index_dir: Path) -> None:
    got = ids(index_dir, "bao lu")
    assert got[0] == "bao-lu" and "bao-scattered" in got


def test_quoted_phrase_needs_adjacent_words(index_dir: Path) -> None:
    assert ids(index_dir, '"bao lu"') == ["bao-lu"]
    assert ids(index_dir, '"lũ bão"') == []


def test_quoted_phrase_with_diacritics_is_exact(index_dir: Path) -> None:
    assert ids(index_dir, '"bán nhà"') == ["ban-nha"]
    assert set(ids(index_dir, '"ban nha"')) == {"ban-nha", "ban-nha-2"}


def test_exclusion(index_dir: Path) -> None:
    assert "bao-scattered" not in ids(index_dir, "bao lu -rung")
    assert "bao-lu" in ids(index_dir, "bao lu -rung")


def test_or(index_dir: Path) -> None:
    got = set(ids(index_dir, "khánh OR khang"))
    assert got == {"nam-dinh", "nam-moi"}


FLOOD_HITS = ["bao-lu", "bao-scattered"]  # "bao lu" as plain words, best first
HOUSE_HITS = ["ban-nha", "ban-nha-2", "bao-lu", "hoa-binh-old"]  # every article with "nha"


@pytest.mark.parametrize(("q", "expected"), [
    ('"unbalanced', []), ("OR", []), ("-", []), ("a OR", []), ('"" -"" OR OR', []), ("((", []),
    ("title:x", ["xss"]), ("*a*", []),  # no field syntax, no wildcards: plain words
    ('"bao lu', FLOOD_HITS), ("(bao lu", FLOOD_HITS), ("bao lu OR", FLOOD_HITS), ("nha -", HOUSE_HITS),
])
def test_syntax_errors_never_raise(index_dir: Path, q: str, expected: list[str]) -> None:
    """Broken syntax never raises: what is left of it is searched as plain words."""
    res = search(SearchRequest(q=q, per_page=100), index_dir)
    assert [h.id for h in res.hits] == expected
    assert res.total == len(expected)


def test_one_letter_syllables_and_codes_are_searchable(index_dir: Path) -> None:
    for q in ("ô tô", "ở Ý", "TP.HCM", "12/3/2024", "RON95", "1.250", "tp hcm"):
        assert ids(index_dir, q)[0] == "oto", q


def test_filters_sort_and_paging(index_dir: Path) -> None:
    assert set(ids(index_dir, "nha", source=["Tuổi Trẻ"])) == {"ban-nha-2"}
    assert set(ids(index_dir, "nha", category=["Thời sự"])) == {"bao-lu", "hoa-binh-old"}
    assert ids(index_dir, "nha", date_from=date(2024, 1, 1)) == ["ban-nha"]
    assert ids(index_dir, "nha", date_from=date(2020, 10, 15), date_to=date(2020, 10, 15)) == ["bao-lu"]
    assert set(ids(index_dir, "nha", date_to=date(2022, 12, 31))) == {"bao-lu", "hoa-binh-old"}
    newest = ids(index_dir, "nha", sort="newest")
    assert newest == ["ban-nha", "ban-nha-2", "hoa-binh-old", "bao-lu"]
    assert ids(index_dir, "nha", sort="oldest") == newest[::-1]
    page1 = search(SearchRequest(q="nha", per_page=2, sort="newest"), index_dir)
    page2 = search(SearchRequest(q="nha", per_page=2, page=2, sort="newest"), index_dir)
    assert page1.total == page2.total == 4
    assert [h.id for h in page1.hits + page2.hits] == newest


def test_facets_count_the_whole_result_set(index_dir: Path) -> None:
    res = search(SearchRequest(q="thoi su OR nha OR cau", per_page=1), index_dir)
    counts = {f["value"]: f["count"] for f in res.facets["source"]}
    assert sum(counts.values()) == res.total
    filtered = search(SearchRequest(q="nha", source=["VnExpress"]), index_dir)
    # the source facet ignores the source filter itself, so other sources stay choosable
    assert {f["value"] for f in filtered.facets["source"]} >= {"VnExpress", "Tuổi Trẻ"}


def test_highlight_marks_folded_matches_in_original_text(index_dir: Path) -> None:
    hit = search(SearchRequest(q="dai hoi dang"), index_dir).hits[0]
    assert "<mark>đại hội Đảng</mark>" in hit.title_html
    assert "<mark>" in hit.snippet_html and "Đảng" in hit.snippet_html


def test_highlight_on_old_style_text(index_dir: Path) -> None:
    hit = search(SearchRequest(q="thủy điện"), index_dir).hits[0]
    assert "<mark>Thuỷ điện</mark>" in hit.title_html


def test_highlight_on_nfd_text(tmp_path: Path) -> None:
    def nfd(s: str) -> str:
        return unicodedata.normalize("NFD", s)

    write_articles(tmp_path, [Article(id="n", title=nfd("Đà Nẵng đón khách"), body=nfd("Du lịch Đà Nẵng."))])
    hit = search(SearchRequest(q="da nang"), tmp_path).hits[0]
    assert hit.title_html == f"<mark>{nfd('Đà Nẵng')}</mark>{nfd(' đón khách')}"


def test_html_is_escaped_in_titles_bodies_and_queries(index_dir: Path) -> None:
    res = search(SearchRequest(q="<script> tin nóng <b>"), index_dir)
    hit = next(h for h in res.hits if h.id == "xss")
    assert "<script" not in hit.title_html and "&lt;<mark>script</mark>&gt;" in hit.title_html
    assert "<b>" not in hit.snippet_html and "&lt;<mark>b</mark>&gt;" in hit.snippet_html
    assert "&amp;amp;" in hit.snippet_html


def test_index_round_trip_update_and_delete(tmp_path: Path) -> None:
    a = Article(id="x1", title="Giá lúa tăng", body="Nông dân phấn khởi.")
    stats = write_articles(tmp_path, [a])
    assert (stats.indexed, stats.updated) == (1, 0)
    assert ids(tmp_path, "gia lua") == ["x1"]
    stats = write_articles(tmp_path, [Article(id="x1", title="Giá cà phê giảm", body="Nông dân lo lắng.")])
    assert (stats.indexed, stats.updated) == (0, 1)
    assert ids(tmp_path, "gia lua") == [] and ids(tmp_path, "ca phe") == ["x1"]
    assert delete_articles(tmp_path, ["x1"]).deleted == 1
    assert ids(tmp_path, "ca phe") == []


def test_parse_query_structure() -> None:
    p = parse_query('"bán nhà" -Nam bão OR lũ')
    assert [[i.phrase for i in g] for g in p.groups] == [[True], [False, False]]
    assert [w.exact for i in p.excluded for w in i.words] == ["nam"]


def test_acronyms_expand_both_ways(tmp_path: Path) -> None:
    write_articles(tmp_path, [
        Article(id="long", title="Ủy ban nhân dân tỉnh họp phiên thường kỳ", body="Nội dung cuộc họp."),
        Article(id="short", title="UBND huyện ra quyết định mới", body="Quyết định có hiệu lực."),
        Article(id="hcm", title="Giá nhà ở TP.HCM tăng", body="Thị trường bất động sản sôi động."),
        Article(id="other", title="Ban nhân dân ấp họp", body="Không liên quan."),
    ])
    assert ids(tmp_path, "ubnd")[:2] == ["short", "long"]  # the form typed ranks first
    assert ids(tmp_path, "uy ban nhan dan")[:2] == ["long", "short"]
    assert ids(tmp_path, "thanh pho ho chi minh")[0] == "hcm"
    assert ids(tmp_path, "tphcm")[0] == "hcm"


def test_old_and_new_province_names_find_each_other(tmp_path: Path) -> None:
    write_articles(tmp_path, [
        Article(id="old", title="Bắc Kạn trồng thêm rừng", body="Tỉnh Bắc Kạn phát triển lâm nghiệp.",
                published=datetime(2020, 5, 1)),
        Article(id="new", title="Thái Nguyên đón khách du lịch", body="Tỉnh Thái Nguyên có nhiều đồi chè.",
                published=datetime(2025, 9, 1)),
        Article(id="before", title="Thái Nguyên đón khách du lịch", body="Thái Nguyên có nhiều đồi chè.",
                published=datetime(2020, 9, 1)),  # not the same text as "new": not one story
    ])
    # a former name finds its successor's name only after the merger (1 July 2025)
    assert set(ids(tmp_path, "bac kan")) == {"old", "new"} and ids(tmp_path, "bac kan")[0] == "old"
    # a current name finds its former parts, ranked below the articles naming it
    assert set(ids(tmp_path, "Thái Nguyên")) == {"old", "new", "before"} and ids(tmp_path, "Thái Nguyên")[-1] == "old"
    res = search(SearchRequest(q="rung", region=["Thái Nguyên"]), tmp_path)
    assert [h.id for h in res.hits] == ["old"]  # Bắc Kạn is tagged as it was, under its successor
    assert res.facets["region"] == [{"value": "Thái Nguyên", "count": 1},
                                    {"value": "Bắc Kạn (trước 7/2025)", "count": 1, "parent": "Thái Nguyên"}]


def test_deleted_and_replaced_articles_in_a_kept_segment(tmp_path: Path) -> None:
    from whoosh import index as whoosh_index

    write_articles(tmp_path, [Article(id=f"a{i}", title=f"Tin số {i} về giá lúa", body="Nội dung.")
                              for i in range(30)])
    assert len(ids(tmp_path, "gia lua")) == 30  # warm the engine on this segment
    ix = whoosh_index.open_dir(str(tmp_path))
    w = ix.writer()
    w.delete_by_term("id", "a3")
    w.commit(merge=False)  # the segment keeps its deleted document, as large segments do
    got = ids(tmp_path, "gia lua")
    assert len(got) == 29 and "a3" not in got
    got = ids(tmp_path, "noi dung")  # postings read for the first time from a segment with deletions
    assert len(got) == 29 and "a3" not in got
    write_articles(tmp_path, [Article(id="a5", title="Tin sửa về cà phê", body="Đã sửa.")])
    assert "a5" not in ids(tmp_path, "gia lua") and ids(tmp_path, "ca phe") == ["a5"]


# -- ranking weights from the environment ---------------------------------------------------------

def _env_value(kind: type, default: float) -> str:
    """A valid value for a TIMTIN_RANK_* field that differs from its default."""
    return "3" if kind is int else repr(round(default * 0.5 + 0.1, 4))


@pytest.fixture(scope="module")
def gold_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gold")
    write_articles(path, [
        Article(id=f"vang-{i}", title=f"Giá vàng hôm nay {'tăng' if i % 2 else 'giảm'} mạnh phiên thứ {i}",
                lead="Giá vàng trong nước biến động." if i % 3 else "",
                body="Giá vàng miếng và vàng nhẫn " * (i + 1) + "được các doanh nghiệp điều chỉnh.",
                published=datetime(2024, 1 + i, 1, tzinfo=UTC))
        for i in range(10)])
    return path


def test_every_ranking_field_can_be_set_from_the_environment(gold_index: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Ranking()
    for f in dataclasses.fields(Ranking):
        monkeypatch.delenv(f"TIMTIN_RANK_{f.name.upper()}", raising=False)
    req = SearchRequest(q="giá vàng", per_page=10)
    plain = search(req, gold_index)
    assert plain.total == 10

    wanted: dict[str, float | int] = {}
    types = typing.get_type_hints(Ranking)
    for f in dataclasses.fields(Ranking):
        raw = _env_value(types[f.name], getattr(defaults, f.name))
        monkeypatch.setenv(f"TIMTIN_RANK_{f.name.upper()}", raw)
        wanted[f.name] = types[f.name](raw)
    rank = Ranking.from_env()
    assert dataclasses.asdict(rank) == wanted
    assert all(type(getattr(rank, name)) is type(getattr(defaults, name)) for name in wanted)
    assert rank.rerank_depth < plain.total  # the re-ranking slices by it: it must be an int

    tuned = search(req, gold_index)  # Ranking.from_env() inside
    assert tuned.total == plain.total and len(tuned.hits) == 10
    explicit = search(req, gold_index, Ranking(**wanted))
    assert [(h.id, h.score) for h in tuned.hits] == [(h.id, h.score) for h in explicit.hits]
    assert sorted(h.score for h in tuned.hits) != sorted(h.score for h in plain.hits)


@pytest.mark.parametrize(("name", "raw"), [("RERANK_DEPTH", "30.5"), ("RERANK_DEPTH", "beaucoup"),
                                           ("K1", "fast"), ("TITLE", "nan"), ("B", "")])
def test_bad_ranking_values_name_the_variable(name: str, raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"TIMTIN_RANK_{name}", raw)
    with pytest.raises(ValueError, match=f"TIMTIN_RANK_{name}="):
        Ranking.from_env()


def test_rerank_depth_from_the_environment_with_more_matches(gold_index: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMTIN_RANK_RERANK_DEPTH", "4")
    result = search(SearchRequest(q="gia vang", per_page=3, page=2), gold_index)
    assert result.total == 10 and len(result.hits) == 3
