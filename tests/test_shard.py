"""Sharded indexes without Ray: routing by id, writing and deleting, and search equal to one index."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.cli import main
from indexer.models import Article
from indexer.shard.manifest import MANIFEST_FILE, ShardLayoutError, create_sharded, read_manifest, shard_dirs, shard_of
from indexer.shard.write import delete_sharded, write_sharded
from indexer.store.index import write_articles

VN = timezone(timedelta(hours=7))
SHARDS = 3

_PLACES = ["Hà Nội", "Thái Nguyên", "Nghệ An", "Đà Nẵng", "Huế", "Cần Thơ", "Quảng Ninh", "Hải Phòng",
           "Lâm Đồng", "Bình Định"]
_SOURCES = ["Nhân Dân", "VnExpress", "Tuổi Trẻ", "Báo Thái Nguyên"]
_TOPICS = [  # (slug, title, lead, body, category)
    ("dai-hoi", "Đại hội Đảng bộ {p} nhiệm kỳ mới", "Đại hội đại biểu Đảng bộ {p} khai mạc trọng thể.",
     "Các đại biểu thảo luận văn kiện. Công tác chuẩn bị đại hội Đảng các cấp được thực hiện nghiêm túc.",
     "Chính trị"),
    ("bao-lu", "Bão lũ gây thiệt hại nặng ở {p}", "Mưa lớn kéo dài khiến nhiều nhà ở {p} bị ngập.",
     "Bão số 3 đổ bộ, lũ quét cuốn trôi cầu. Người dân được sơ tán đến nơi an toàn.", "Thời sự"),
    ("gia-xang", "Giá xăng dầu tăng, người dân {p} lo lắng", "Xăng RON95 tăng 500 đồng mỗi lít.",
     "Liên Bộ Công Thương - Tài chính điều chỉnh giá xăng dầu. Chi phí vận tải ở {p} tăng theo.", "Kinh tế"),
    ("ban-nha", "Người dân {p} bán nhà để chữa bệnh cho con", "Gia đình anh Nam ở {p} phải bán nhà.",
     "Những người bạn nhà bên cạnh đã đến giúp đỡ. Bán nhà là lựa chọn cuối cùng.", "Xã hội"),
]


def corpus() -> list[Article]:
    """40 articles: 4 topics × 10 provinces, with distinct dates, sources and lengths."""
    out = []
    for t, (slug, title, lead, body, category) in enumerate(_TOPICS):
        for i, place in enumerate(_PLACES):
            n = t * len(_PLACES) + i
            extra = " Thêm chi tiết." * (n % 5)
            out.append(Article(
                id=f"{slug}-{i:02d}", title=title.format(p=place), lead=lead.format(p=place),
                body=body.format(p=place) + extra, source=_SOURCES[n % len(_SOURCES)], category=category,
                url=f"https://example.vn/{slug}/{i}", author="Phóng viên",
                published=datetime(2023, 1 + n % 12, 1 + n % 28, 6 + n % 15, n, tzinfo=VN),
                regions=["Miền Bắc"] if i % 3 else ["Miền Trung"]))
    out.append(Article(id="khong-dau", title="Tin nhanh", lead="", body="Một bài không có ngày đăng về bão.",
                       source="VnExpress", category="Thời sự"))
    return out


def expected_shard(article_id: str, shards: int) -> int:
    return int.from_bytes(hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest(), "big") % shards


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(single index, 3-shard index) of the same corpus."""
    single = tmp_path_factory.mktemp("single")
    sharded = tmp_path_factory.mktemp("sharded") / "ix"
    write_articles(single, corpus())
    stats = write_sharded(sharded, corpus(), shards=SHARDS)
    assert stats.indexed == len(corpus())
    return single, sharded


# -- routing and layout -------------------------------------------------------------------------

def test_shard_of_is_the_documented_hash() -> None:
    for article_id in ("a", "bài-viết-1", "Đại hội/2024", "x" * 300, ""):
        for n in (1, 2, 3, 4, 7, 16):
            assert shard_of(article_id, n) == expected_shard(article_id, n)


def test_shard_of_known_values() -> None:
    # digest of b"a" (BLAKE2b, 8 bytes): computed here, not copied from the implementation
    digest = hashlib.blake2b(b"a", digest_size=8).hexdigest()
    assert shard_of("a", 1000) == int(digest, 16) % 1000
    spread = {shard_of(f"id-{i}", 4) for i in range(200)}
    assert spread == {0, 1, 2, 3}


def test_layout_and_manifest(indexes: tuple[Path, Path]) -> None:
    _, sharded = indexes
    manifest = json.loads((sharded / MANIFEST_FILE).read_text())
    assert manifest == {"format": 1, "shards": SHARDS, "hash": "blake2b-8:utf8-id mod N"}
    assert [d.name for d in shard_dirs(sharded)] == ["shard-000", "shard-001", "shard-002"]
    from whoosh import index as whoosh_index

    for i, d in enumerate(shard_dirs(sharded)):
        with whoosh_index.open_dir(str(d)).searcher() as s:
            held = sorted(f["id"] for f in s.all_stored_fields())
        assert held == sorted(a.id for a in corpus() if expected_shard(a.id, SHARDS) == i)


def test_shard_count_cannot_change(tmp_path: Path) -> None:
    create_sharded(tmp_path / "ix", 2)
    with pytest.raises(ShardLayoutError):
        create_sharded(tmp_path / "ix", 3)
    assert read_manifest(tmp_path / "ix").shards == 2
    write_articles(tmp_path / "plain", corpus()[:2])
    with pytest.raises(ShardLayoutError):
        create_sharded(tmp_path / "plain", 2)
    assert read_manifest(tmp_path / "plain") is None


def test_bad_manifest_is_a_clear_error(tmp_path: Path) -> None:
    create_sharded(tmp_path, 2)
    (tmp_path / MANIFEST_FILE).write_text('{"format": 1, "shards": 2, "hash": "md5"}')
    with pytest.raises(ShardLayoutError, match="hash"):
        read_manifest(tmp_path)


def _generations(index_dir: Path) -> list[int]:
    from whoosh import index as whoosh_index

    return [whoosh_index.open_dir(str(d)).latest_generation() for d in shard_dirs(index_dir)]


def test_reindex_and_delete_touch_only_the_owning_shard(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    write_sharded(ix, corpus(), shards=SHARDS)
    before = _generations(ix)
    changed = corpus()[5]
    owner = expected_shard(changed.id, SHARDS)
    changed.title = "Tiêu đề mới hoàn toàn"
    stats = write_sharded(ix, [changed])
    assert (stats.indexed, stats.updated) == (0, 1)
    after = _generations(ix)
    assert [a != b for a, b in zip(after, before)] == [i == owner for i in range(SHARDS)]
    victim = corpus()[17].id
    stats = delete_sharded(ix, [victim])
    assert stats.deleted == 1
    final = _generations(ix)
    assert [a != b for a, b in zip(final, after)] == [i == expected_shard(victim, SHARDS) for i in range(SHARDS)]
    stats = delete_sharded(ix, ["no-such-id"])
    assert stats.skipped == 1 and stats.problems


def test_cli_index_delete_merge_on_a_sharded_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"id": a.id, "title": a.title, "body": a.body, "source": a.source})
                             for a in corpus()[:12]), encoding="utf-8")
    ix = tmp_path / "ix"
    assert main(["index", str(src), "--index", str(ix), "--shards", "2", "-q", "--no-merge"]) == 0
    assert read_manifest(ix).shards == 2
    assert main(["index", str(src), "--index", str(ix), "--shards", "3", "-q", "--no-merge"]) == 3
    assert "cannot change" in capsys.readouterr().err
    assert main(["index", str(src), "--index", str(ix), "-q", "--no-merge"]) == 0  # keeps its 2 shards
    assert "0 indexed, 12 updated" in capsys.readouterr().err
    assert main(["delete", corpus()[0].id, "--index", str(ix)]) == 0
    assert main(["merge", "--index", str(ix), "--all", "-q"]) == 0
    from indexer.shard.dispatch import document_count

    assert document_count(ix) == 11
    with pytest.raises(SystemExit) as exc:
        main(["index", str(src), "--index", str(ix), "--shards", "0", "-q"])
    assert exc.value.code == 2


# -- search: a sharded index ranks as one index --------------------------------------------------

QUERIES = ["đại hội đảng", "dai hoi dang", "bão lũ", "bao lu mien trung", "giá xăng", "bán nhà", "bạn nhà",
           '"bán nhà"', "bão -lũ", "Hà Nội OR Huế", "UBND Thái Nguyên", "bão Huế", "đại hội giá xăng", "xăng"]
VARIANTS = [{}, {"sort": "newest"}, {"sort": "oldest"}, {"page": 2, "per_page": 5}, {"page": 3, "per_page": 4},
            {"source": ["VnExpress"]}, {"category": ["Thời sự", "Kinh tế"]}, {"region": ["Miền Trung"]},
            {"date_from": date(2023, 4, 1), "date_to": date(2023, 9, 30)}, {"sort": "newest", "page": 2, "per_page": 3}]


def _result(index_dir: Path, q: str, rank=None, **kw):
    from indexer.search import SearchRequest, search

    return search(SearchRequest(q=q, **kw), index_dir, rank)


def _shown(result) -> list[tuple]:
    return [(h.id, h.score, h.title_html, h.snippet_html, h.published, h.source) for h in result.hits]


@pytest.mark.parametrize("q", QUERIES)
def test_sharded_search_equals_single_index(indexes: tuple[Path, Path], q: str) -> None:
    from indexer.search import Ranking

    single, sharded = indexes
    for kw in VARIANTS:
        # a shallow re-ranking: head and tail both merged; and one extended to the titles holding
        # every word beyond it (each topic's 10 titles differ only in the province)
        for rank in (None, Ranking(rerank_depth=3), Ranking(rerank_depth=3, rerank_titled=12)):
            a, b = _result(single, q, rank, **kw), _result(sharded, q, rank, **kw)
            assert _shown(b) == _shown(a), (q, kw, rank)
            assert (b.total, b.relaxed, b.facets, b.page, b.per_page) == (a.total, a.relaxed, a.facets, a.page,
                                                                          a.per_page), (q, kw)
            assert not b.partial


def test_equal_scores_are_ordered_by_id_in_one_index_and_in_shards(tmp_path: Path) -> None:
    """The same story under 8 ids (equal scores): one order, by id, whatever the layout or indexing order."""
    story = [Article(id=f"ban-sao-{c}", title="Lũ quét ở Mù Cang Chải", published=datetime(2024, 9, 10, 8, tzinfo=VN),
                     body="Lũ quét cuốn trôi nhà dân ở Mù Cang Chải.") for c in "hcfadgbe"]
    others = [Article(id=f"khac-{i}", title=f"Tin khác {i}", body="Mưa lớn ở vùng cao.") for i in range(6)]
    write_articles(tmp_path / "forward", story + others)
    write_articles(tmp_path / "backward", list(reversed(story)) + others)
    write_sharded(tmp_path / "sharded", story + others, shards=SHARDS)
    assert len({shard_of(a.id, SHARDS) for a in story}) > 1
    by_id = sorted(a.id for a in story)
    for kw in ({}, {"sort": "newest"}, {"sort": "oldest"}, {"per_page": 3, "page": 2}):
        shown = [[h.id for h in _result(tmp_path / name, "lũ quét mù cang chải", collapse=False, **kw).hits]
                 for name in ("forward", "backward", "sharded")]
        page, per_page = kw.get("page", 1), kw.get("per_page", 10)
        assert shown[0] == shown[1] == shown[2] == by_id[(page - 1) * per_page : page * per_page], kw


def test_the_cases_compared_are_not_trivial(indexes: tuple[Path, Path]) -> None:
    single, sharded = indexes
    hits = {i for q in QUERIES for i in (h.id for h in _result(sharded, q, per_page=100).hits)}
    assert {shard_of(i, SHARDS) for i in hits} == {0, 1, 2}
    # no article has both words of "bão Huế" but one: the shards without it must not fall back to
    # the relaxed rule on their own
    only = _result(sharded, "bão Huế", per_page=100)
    assert not only.relaxed and [h.id for h in only.hits] == ["bao-lu-04"]
    relaxed = _result(sharded, "đại hội giá xăng", per_page=100)
    assert relaxed.relaxed and relaxed.total > 10
    assert _result(sharded, "zzyzx qwv", per_page=10).total == 0
    # the event-time re-ranking (articles published near the first result rise) moves some of them
    from indexer.search import Ranking

    moved = [q for q in QUERIES if [h.id for h in _result(sharded, q, per_page=20).hits]
             != [h.id for h in _result(sharded, q, Ranking(event_time=0), per_page=20).hits]]
    assert len(moved) >= 3, moved
    facets = _result(sharded, "bão", per_page=1).facets
    assert sum(f["count"] for f in facets["category"]) == _result(single, "bão", per_page=1).total > 10
    # the timeline: every month of the dated matches, oldest first, summed over the shards; like the other
    # facets it ignores its own filter (the dates), so a month picked from it keeps the others in view
    months = facets["month"]
    assert [m["value"] for m in months] == sorted(m["value"] for m in months) and len(months) >= 10
    assert sum(m["count"] for m in months) == _result(single, "bão", per_page=1).total - 1  # "khong-dau": no date
    picked = _result(sharded, "bão", per_page=1, date_from=date(2023, 3, 1), date_to=date(2023, 3, 31))
    assert picked.facets["month"] == months and picked.total == next(m["count"] for m in months
                                                                     if m["value"] == "2023-03")


def test_scoring_terms_cover_every_statistic_the_scorer_reads(indexes: tuple[Path, Path]) -> None:
    from indexer.search import CorpusStats, Ranking
    from indexer.search.matching import match
    from indexer.search.query import parse_query
    from indexer.shard.scatter import scoring_terms
    from indexer.store.engine import get_engine

    class Recording(dict):
        def get(self, key, default=None):
            read.add(key)
            return default

    snap = get_engine(indexes[0]).snapshot()
    for q in [*QUERIES, "TP.HCM giá xăng", "thành phố hồ chí minh giá xăng", "Hòa Bình mai châu bão", "Bắc Kạn",
              '"giá xăng dầu tăng"', "ô tô OR xe máy -Huế", "Đảng bộ tỉnh"]:
        for rank in (Ranking(), Ranking(exact=0.0)):
            read: set = set()
            parsed = parse_query(q)
            match(snap, parsed, rank, CorpusStats(1, {}, 0, Recording()))
            assert read and read <= set(scoring_terms(parsed, rank)), q


def test_a_failing_shard_gives_a_partial_result(indexes: tuple[Path, Path]) -> None:
    from indexer.search import SearchRequest
    from indexer.shard.coordinator import LocalShard, ShardsUnavailable, search_sharded
    from indexer.shard.view import open_view

    class Down:
        def stats(self, *args):
            raise ConnectionError("shard down")

        candidates = hits = stats

    shards = [LocalShard(s) for s in open_view(indexes[1]).snapshots]
    req = SearchRequest(q="bão lũ", per_page=100)
    full = search_sharded(req, shards)
    got = search_sharded(req, [shards[0], Down(), shards[2]])
    assert got.partial and got.missing_shards == [1]
    assert got.to_json()["partial"] is True and got.to_json()["missing_shards"] == [1]
    assert [h.id for h in got.hits] == [h.id for h in full.hits if shard_of(h.id, SHARDS) != 1]
    assert "partial" not in full.to_json()
    with pytest.raises(ShardsUnavailable):
        search_sharded(req, [Down(), Down(), Down()])


def test_related_articles_over_every_shard(indexes: tuple[Path, Path]) -> None:
    """The same related articles; the fixture's templated articles tie often, and ties are ordered by
    shard on a sharded index, so the lists are compared whole (a limit above any count)."""
    from indexer.assist.related import related

    single, sharded = indexes
    compared = 0
    for a in corpus()[::3]:
        want = related(single, a.id, limit=60)
        got = related(sharded, a.id, limit=60)
        assert sorted(got, key=lambda d: d["id"]) == sorted(want, key=lambda d: d["id"])
        compared += len(want) > 3
    assert compared > 5
    assert related(sharded, "no-such-id") == []


# -- the web app on a sharded index -------------------------------------------------------------

@pytest.fixture(scope="module")
def web_pair(tmp_path_factory: pytest.TempPathFactory):
    """Flask test clients of the web fixture as one index and as 3 shards (assistants warmed)."""
    import webapp
    from tests.test_assist_web import assist_articles

    single = tmp_path_factory.mktemp("web-single") / "ix"
    sharded = tmp_path_factory.mktemp("web-sharded") / "ix"
    write_articles(single, assist_articles())
    write_sharded(sharded, assist_articles(), shards=SHARDS)
    apps = [webapp.create_app(str(single)), webapp.create_app(str(sharded))]
    for app in apps:
        assert app.extensions["timtin_assist"].wait(60)
    return apps[0].test_client(), apps[1].test_client(), len(assist_articles())


def _json(client, url: str, **params) -> dict:
    resp = client.get(url, query_string=params)
    assert resp.status_code == 200, resp.data[:300]
    data = resp.get_json()
    data.pop("took_ms", None)
    return data


def test_web_search_suggest_and_healthz_on_a_sharded_index(web_pair) -> None:
    from tests.test_assist_web import FLOOD

    single, sharded, n = web_pair
    assert _json(sharded, "/healthz") == {"status": "ok", "documents": n, "shards": SHARDS}
    assert _json(single, "/healthz") == {"status": "ok", "documents": n, "shards": 1}
    for params in ({"q": "bao lu mien trung"}, {"q": "đại hội đảng", "sort": "newest", "per_page": 5, "page": 2},
                   {"q": "dai hoi", "source": "VnExpress"}, {"q": "giá xăng", "region": "Miền Bắc"},
                   {"q": "ma doc", "date_from": "2024-01-01"}):
        got = _json(sharded, "/search", **params)
        assert got == _json(single, "/search", **params), params
        assert "partial" not in got
    for params in ({"q": "bao lu mien trung", "sort": "newest"}, {"q": "dai hoi", "source": "VnExpress"}):
        for url in ("/search.csv", "/search.jsonl", "/feed.atom"):  # exports and the feed: the same bytes
            got, want = sharded.get(url, query_string=params), single.get(url, query_string=params)
            assert got.status_code == want.status_code == 200 and got.data == want.data, (url, params)
            assert got.data.count(b"\n") > 2
    assert _json(sharded, "/search", q="bao lu mien trung")["suggestion"] == FLOOD
    for prefix in ("đại h", "bao", "Giá x"):
        got = _json(sharded, "/suggest", q=prefix)
        assert got == _json(single, "/suggest", q=prefix) and got["suggestions"], prefix


def test_web_pages_on_a_sharded_index(web_pair) -> None:
    import re

    single, sharded, _ = web_pair
    page = sharded.get("/", query_string={"q": "bão lũ"})
    assert page.status_code == 200 and "flood-1" in page.get_data(as_text=True)
    article = sharded.get("/articles/flood-1")
    assert article.status_code == 200
    text = article.get_data(as_text=True)
    links = re.findall(r'<a href="/articles/([^"]+)">', text[text.index('<aside class="related"'):])
    assert {"flood-2", "flood-3"} <= set(links[:3])
    assert sharded.get("/articles/no-such-id").status_code == 404
    assert sharded.get("/search", query_string={"q": "x", "page": "0"}).status_code == 400


def test_watch_into_a_sharded_index(tmp_path: Path) -> None:
    import threading
    import time

    from indexer.ingest.watch import watch

    drop, ix = tmp_path / "drop", tmp_path / "ix"
    drop.mkdir()
    (drop / "a.txt").write_text("Lũ quét ở Lào Cai\n\nMưa lớn gây lũ quét.\n", encoding="utf-8")
    (drop / "b.txt").write_text("Giá cà phê tăng\n\nNông dân vui mừng.\n", encoding="utf-8")
    stop = threading.Event()
    logs: list[str] = []
    t = threading.Thread(target=watch, args=([str(drop)], ix),
                         kwargs={"interval": 0.1, "stop": stop, "log": logs.append, "shards": 2, "merge": False})
    t.start()
    try:
        deadline = time.monotonic() + 30
        while not any("file(s)" in line for line in logs) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        t.join(timeout=10)
    assert read_manifest(ix).shards == 2
    assert [h.id for h in _result(ix, "lu quet").hits] == ["a.txt"]
    assert [h.id for h in _result(ix, "ca phe").hits] == ["b.txt"]
