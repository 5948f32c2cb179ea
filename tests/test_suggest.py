"""Autocomplete: frequent headline phrases and recent titles, and the per-index cache."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.assist.suggest import SUGGEST_FILE, Suggester, suggester_for
from indexer.models import Article
from indexer.store.index import write_articles

VN = timezone(timedelta(hours=7))

HEADLINES = [
    "Đại hội Đảng bộ tỉnh Thái Nguyên thành công tốt đẹp",
    "Chuẩn bị đại hội Đảng toàn quốc",
    "Tổ chức tốt đại hội Đảng các cấp",
    "Khai mạc đại hội Đảng bộ huyện",
    "Đại hội đại biểu phụ nữ tỉnh",
    "Bão lũ miền Trung gây thiệt hại nặng",
    "Người dân miền Trung khắc phục bão lũ",
    "Bão lũ ở miền Trung: nhiều nhà bị ngập",
    "Giá bán nhà ở Hà Nội tăng mạnh",
    "Người dân bán nhà để chữa bệnh",
    "Bạn nhà bên cạnh giúp đỡ gia đình",
    "Bạn nhà hàng xóm giúp đỡ người già",
    "Bạn nhà tôi đi học",
]


def items(headlines: list[str], repeat: int = 3) -> list[tuple[str, object, str]]:
    out: list[tuple[str, object, str]] = []
    for r in range(repeat):
        for i, t in enumerate(headlines):
            out.append((t, datetime(2020, 1, 1, tzinfo=VN) + timedelta(days=i + 30 * r), f"h{r}-{i}"))
    return out


@pytest.fixture(scope="module")
def sug() -> Suggester:
    return Suggester.build(items(HEADLINES), recent=5)


def texts(results: list[dict], kind: str | None = None) -> list[str]:
    return [r["text"] for r in results if kind is None or r["kind"] == kind]


def test_phrases_are_frequent_and_whole(sug: Suggester) -> None:
    phrases = dict(sug.phrases)
    assert phrases["đại hội Đảng"] == 12  # ≥ 3 distinct headlines (each headline appears 3 times)
    assert phrases["bão lũ"] == 9
    assert "miền Trung" in phrases  # the casing most headlines give it
    assert not any(p.split()[0] in {"của", "và", "các", "ở", "để"} for p in phrases)
    assert not any(p.split()[-1] in {"của", "và", "các", "ở", "để"} for p in phrases)
    assert "tốt đại" not in phrases


def test_prefix_without_diacritics_and_partial_last_word(sug: Suggester) -> None:
    got = texts(sug.complete("dai hoi d"), "phrase")
    assert got[0] == "đại hội Đảng"  # the most frequent first
    assert any(t.startswith("đại hội đại biểu") for t in got)  # the rarer phrase comes too
    assert texts(sug.complete("dai hoi d"), "phrase") == texts(sug.complete("đại hội đ"), "phrase")
    assert "bão lũ" in texts(sug.complete("bao l"))
    assert "bão lũ" in texts(sug.complete("BAO LU"))


def test_complete_last_word_is_not_a_prefix(sug: Suggester) -> None:
    assert texts(sug.complete("dai hoi dang "), "phrase")[0] == "đại hội Đảng"
    assert all(t.lower().startswith("đại hội đảng") for t in texts(sug.complete("dai hoi dang "), "phrase"))
    assert not texts(sug.complete("bao lux"), "phrase")


def test_typed_diacritics_come_first(sug: Suggester) -> None:
    assert texts(sug.complete("bạn nh"), "phrase")[0] == "bạn nhà"
    assert texts(sug.complete("bán nh"), "phrase")[0] == "bán nhà"
    unaccented = texts(sug.complete("ban nh"), "phrase")
    assert set(unaccented[:2]) == {"bạn nhà", "bán nhà"}
    assert unaccented[0] == "bạn nhà"  # more headlines


def test_recent_titles(sug: Suggester) -> None:
    assert len(sug.titles) == 5
    newest = sug.titles[0]
    assert newest == (HEADLINES[-1], f"h2-{len(HEADLINES) - 1}")
    got = [r for r in sug.complete("ban nha", limit=10) if r["kind"] == "title"]
    assert got and got[0]["text"].startswith("Bạn nhà") and got[0]["id"].startswith("h2-")
    inner = [r["text"] for r in sug.complete("hang xom") if r["kind"] == "title"]
    assert inner == ["Bạn nhà hàng xóm giúp đỡ người già"]  # matched inside the title


def test_limit_and_dedup(sug: Suggester) -> None:
    for limit in (1, 2, 3, 10):
        got = sug.complete("d", limit=limit)
        assert 0 < len(got) <= limit
        assert len({r["text"].lower() for r in got}) == len(got)
    assert sug.complete("dai", limit=0) == []


@pytest.mark.parametrize("prefix", ["", "   ", "\x00", "🎉", "!!!", "???,", "x" * 10_000, "đại " * 3000])
def test_edge_cases_complete_nothing(sug: Suggester, prefix: str) -> None:
    assert sug.complete(prefix) == []  # nothing to complete: no word, or a prefix no headline starts with


def test_punctuation_and_emoji_around_words(sug: Suggester) -> None:
    assert texts(sug.complete("🎉 bao lu"), "phrase")[:1] == ["bão lũ"]
    assert texts(sug.complete('"dai hoi d'), "phrase")[:1] == ["đại hội Đảng"]


def test_undated_titles_use_document_order() -> None:
    s = Suggester.build([("Tin một", None, "1"), ("Tin hai", None, "2"), ("Tin ba", None, "3")], recent=2)
    assert [i for _, i in s.titles] == ["3", "2"]


def test_save_and_load(sug: Suggester, tmp_path: Path) -> None:
    sug.save(tmp_path / "s.pkl", generation=3)
    loaded, generation = Suggester.load(tmp_path / "s.pkl")
    assert generation == 3
    assert loaded.complete("dai hoi d") == sug.complete("dai hoi d")


def test_suggester_for_follows_the_index(tmp_path: Path) -> None:
    arts = [Article(id=i, title=t, body="Nội dung.", published=p) for t, p, i in items(HEADLINES)]
    write_articles(tmp_path, arts)
    s = suggester_for(tmp_path)
    assert texts(s.complete("dai hoi d"), "phrase")[0] == "đại hội Đảng"
    assert not s.complete("lang van")
    assert (tmp_path / SUGGEST_FILE).exists()
    assert suggester_for(tmp_path) is s

    write_articles(tmp_path, [Article(id="new", title="Làng văn hoá đón khách", body="x",
                                      published=datetime(2030, 1, 1, tzinfo=VN))])
    fresh = suggester_for(tmp_path, wait=True)
    assert fresh is not s
    got = fresh.complete("lang van")
    assert got[0] == {"text": "Làng văn hoá đón khách", "kind": "title", "id": "new"}
