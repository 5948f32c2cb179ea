"""benchmarks/compare.py end to end on a tiny synthetic corpus (timtin, FTS5 and, if installed, tantivy)."""

from __future__ import annotations

import gzip
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from indexer.analysis import fold_text

ROOT = Path(__file__).resolve().parents[1]

TITLES = [
    "Khánh thành cầu Rồng bắc qua sông Hàn", "Nông dân Sóc Trăng trúng mùa lúa thơm",
    "Hà Nội cấm xe tải vào nội đô giờ cao điểm", "Bão số 9 đổ bộ vào Quảng Ngãi",
    "Đội tuyển bóng đá nữ giành huy chương vàng", "Giá xăng tăng lần thứ ba liên tiếp",
    "Học sinh Nghệ An đoạt giải Olympic Vật lý", "Cháy lớn tại chợ Quang Trung Nam Định",
    "Thủ tướng tiếp đoàn doanh nghiệp Nhật Bản", "Phát hiện hang động mới ở Phong Nha",
    "Đà Lạt đón mùa hoa dã quỳ nở rộ", "Công an Bình Dương triệt phá đường dây cá độ",
    "Bệnh viện Chợ Rẫy ghép gan thành công cho trẻ em", "Sạt lở đất vùi lấp nhà dân ở Lào Cai",
    "Cảng Cái Mép đón tàu container lớn nhất", "Lễ hội pháo hoa quốc tế Đà Nẵng khai mạc",
    "Xuất khẩu cà phê Tây Nguyên đạt kỷ lục", "Trường đại học mở ngành trí tuệ nhân tạo",
    "Người dân Cà Mau nuôi tôm công nghệ cao", "Hội chợ sách mùa thu tại thành phố Huế",
    "Tàu cá ngư dân Bình Định gặp nạn trên biển", "Dịch sốt xuất huyết bùng phát ở Cần Thơ",
    "Khởi công đường cao tốc Bắc Nam đoạn Phan Thiết", "Nghệ nhân gốm Bát Tràng giữ nghề truyền thống",
    "Vận động viên điền kinh phá kỷ lục SEA Games", "Ngân hàng giảm lãi suất cho vay mua nhà",
    "Rừng ngập mặn Cần Giờ được phục hồi", "Phố cổ Hội An ngập sâu sau mưa lớn",
    "Hợp tác xã Thái Bình xuất khẩu rau sạch", "Nhà máy thủy điện Sơn La vận hành tổ máy mới",
]
FILLER = "Theo thông tin từ chính quyền địa phương, sự việc được người dân quan tâm trong những ngày qua."


def _write_data(folder: Path) -> list[int]:
    """The corpus as .jsonl.gz and the queries as json; returns the indexes of the known items."""
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / "news-100k.jsonl.gz", "wt", encoding="utf-8") as fh:
        for i, title in enumerate(TITLES):
            rec = {"id": f"a{i}", "title": title, "lead": f"Tin mới: {title.lower()}.", "body": FILLER}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    known = [0, 4, 9, 16, 22, 29]
    queries = []
    for n, i in enumerate(known):
        words = TITLES[i].lower().split()[:5]
        text = " ".join(words) if n % 2 else fold_text(" ".join(words))
        kind = "known-item-accented" if n % 2 else "known-item-unaccented"
        queries.append({"qid": f"q{i}", "kind": kind, "query": text, "relevant": {f"a{i}": 1}})
    queries.append({"qid": "ev", "kind": "event", "query": "Cần Thơ Cần Giờ",
                    "relevant": {"a21": 1, "a26": 1}})
    (folder / "dev-queries.json").write_text(json.dumps({"queries": queries}, ensure_ascii=False), encoding="utf-8")
    return known


@pytest.fixture(scope="module")
def compare() -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("benchmarks.compare")


def test_compare_on_tiny_corpus(compare: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_data(tmp_path / "data")
    engines = ["timtin", "fts5"] + (["tantivy"] if importlib.util.find_spec("tantivy") else [])
    out = tmp_path / "out.json"
    args = ["--data", str(tmp_path / "data"), "--engines", ",".join(engines), "--workdir", str(tmp_path / "work"),
            "--out", str(out)]
    assert compare.main(args) == 0
    printed = capsys.readouterr().out
    assert "index time / timtin" in printed and "known-item unaccented MRR@10" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["corpus"]["docs"] == len(TITLES)
    results = {r["engine"]: r for r in report["engines"]}
    assert set(results) == set(engines)
    for r in results.values():
        assert r["index_bytes"] > 0 and r["build"]["seconds"] > 0 and r["build"]["peak_rss_mb"] > 0
        for kind in ("known-item-accented", "known-item-unaccented", "event"):
            for m in ("mrr", "ndcg", "recall"):
                assert 0.0 <= r["quality"]["kinds"][kind][m] <= 1.0
    timtin = results["timtin"]["quality"]["kinds"]
    assert timtin["known-item-unaccented"]["mrr"] == 1.0
    assert timtin["known-item-accented"]["mrr"] == 1.0

    # --reuse keeps the FTS5 index and its recorded build figures
    assert compare.main([*args[:2], "--engines", "fts5", *args[4:], "--reuse"]) == 0
    again = json.loads(out.read_text(encoding="utf-8"))["engines"][0]
    assert again["reused"] and again["build"] == results["fts5"]["build"]


def test_limit_keeps_only_queries_judged_within(compare: ModuleType, tmp_path: Path) -> None:
    known = _write_data(tmp_path)
    articles, problems = compare.load_articles(tmp_path / "news-100k.jsonl.gz", limit=10)
    assert problems == 0 and [a.id for a in articles] == [f"a{i}" for i in range(10)]
    queries = compare.load_queries(tmp_path / "dev-queries.json")
    kept = compare.select_queries(queries, {a.id for a in articles})
    assert [q["qid"] for q in kept] == [f"q{i}" for i in known if i < 10]
    more, _ = compare.load_articles(tmp_path / "news-100k.jsonl.gz", limit=10, also={"a29"})
    assert [a.id for a in more][-1] == "a29" and len(more) == 11


def test_missing_data_is_skipped(compare: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compare.main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.json")]) == 0
    assert "skipped" in capsys.readouterr().out
    assert not (tmp_path / "x.json").exists()


def test_known_item_groups_and_ceiling() -> None:
    spec = importlib.util.spec_from_file_location("known_items", ROOT / "benchmarks" / "known_items.py")
    assert spec and spec.loader
    known_items = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(known_items)
    titles = {"short": "Cháy lớn ở chợ Hà Nội", "long": "Cháy lớn ở chợ Hà Nội, ba người chết",
              "storm": "Bão lớn đổ bộ", "other": "Chạy lớn ở chợ"}

    def q(qid: str, kind: str, text: str, target: str) -> dict:
        return {"qid": qid, "kind": kind, "query": text, "relevant": {target: 1}}

    rows = {r["qid"]: r for r in known_items.classify([
        q("1", "known-item-accented", "cháy lớn ở chợ", "short"),
        q("2", "known-item-accented", "cháy lớn ở chợ", "long"),
        q("3", "known-item-unaccented", "chay lon o cho", "short"),
        q("4", "known-item-unaccented", "chay lon ba nguoi", "long"),
        q("5", "known-item-accented", "bão lớn", "storm"),
        {"qid": "6", "kind": "event", "query": "cháy", "relevant": {"short": 1}},
    ], titles)}
    assert "6" not in rows
    # typed with diacritics, "chạy" is another word; folded, it fits too
    assert (rows["1"]["group"], rows["1"]["fits"], rows["1"]["ceiling"]) == ("ambiguous", 2, 1.0)
    assert (rows["2"]["group"], rows["2"]["ceiling"]) == ("ambiguous", 0.5)
    assert (rows["3"]["fits"], rows["3"]["ceiling"]) == (3, 0.5)  # "chạy lớn ở chợ" is shorter
    assert rows["4"]["group"] == "not verbatim" and rows["5"]["group"] == "unique"
    assert known_items.shortest_first_rr(5, [5, 9]) == 0.75


def test_known_item_oracle_likelihood_is_the_validation_generator() -> None:
    """P(query | headline) of benchmarks/known_item_oracle.py matches the frequencies with which
    benchmarks/validation_set.py draws each query from one headline."""
    import random
    from collections import Counter

    oracle = importlib.import_module("benchmarks.known_item_oracle")
    generator = importlib.import_module("benchmarks.validation_set")
    title = "Cháy lớn ở chợ Hà Nội, ba người chết trong đêm"
    rng = random.Random(7)
    draws = 40_000
    seen = Counter(" ".join(oracle.words(generator.known_item_query(title, rng)[0], True)) for _ in range(draws))
    head = oracle.words(title, True)
    assert sum(oracle.likelihood(head, q.split()) for q in seen) == pytest.approx(1.0)
    for q, n in seen.items():
        assert oracle.likelihood(head, q.split()) == pytest.approx(n / draws, abs=0.006), q
    assert oracle.likelihood(head, "chay lon o cho".split()) > oracle.likelihood(head, "chay lon cho".split()) > 0
    assert oracle.likelihood(head, "cho lon".split()) == 0.0  # two words: never a query


def test_generalisation_scores_extra_files_by_part(tmp_path: Path) -> None:
    """--extra FILE adds rows PART:STEM holding that file's queries of the part; --parts selects the rows."""
    gen = importlib.import_module("benchmarks.generalisation")

    def write(name: str, parts: list[str | None]) -> str:
        queries = [{"qid": f"{name}{i}", "kind": "event", "query": "x", "relevant": {"a": 1}, "part": p}
                   for i, p in enumerate(parts)]
        (tmp_path / f"{name}.json").write_text(json.dumps({"queries": queries}), encoding="utf-8")
        return str(tmp_path / f"{name}.json")

    dev, val = write("dev", [None]), write("val", ["choose", "report", "report"])
    extra = write("events", ["report", "choose", "report"])
    sets = gen.query_sets(dev, val, [extra], ["dev", "report"])
    assert {name: [q["qid"] for q in qs] for name, qs in sets.items()} == {
        "dev": ["dev0"], "report": ["val1", "val2"], "report:events": ["events0", "events2"]}
    assert list(gen.query_sets(dev, val, [extra], ["choose", "dev", "report"])) == [
        "dev", "choose", "report", "choose:events", "report:events"]
    # a set with events only has no known-item figures, printed "-" rather than a false 0.000
    figs = gen.figures({"kinds": {"event": {"mrr": 0.5, "ndcg": 0.25}}})
    assert figs == [None, None, 0.25, 0.5]
    assert gen.cells(figs, ">10.3f") == f"{'-':>10}{'-':>10}{0.25:>10.3f}{0.5:>10.3f}"
