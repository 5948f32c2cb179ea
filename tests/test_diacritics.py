"""Diacritic restoration learned from a small corpus, and its per-index cache."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.analysis import normalize_text
from indexer.assist.diacritics import MODEL_FILE, DiacriticModel, article_texts, model_for
from indexer.models import Article
from indexer.store.index import write_articles

VN = timezone(timedelta(hours=7))

TEXTS = [
    "Bão lũ miền Trung gây thiệt hại nặng",
    "Người dân miền Trung khắc phục hậu quả bão lũ",
    "Mưa lớn ở miền Trung, nhiều nhà bị ngập",
    "Người dân bán nhà để chữa bệnh cho con",
    "Giá bán nhà ở Hà Nội tăng mạnh",
    "Anh ấy bán nhà ở quê lên thành phố",
    "Những người bạn nhà bên cạnh đến giúp đỡ",
    "Cô ấy là bạn nhà bên",
    "Tổ chức tốt đại hội Đảng các cấp",
    "Thủ tướng Phạm Minh Chính làm việc với Hà Nội",
    "Hà Nội mưa lớn, nhiều tuyến phố ngập",
    "Xăng RON95 giảm giá 1.250 đồng",
]


@pytest.fixture(scope="module")
def model() -> DiacriticModel:
    return DiacriticModel.build(TEXTS * 3)


def test_restores_a_headline(model: DiacriticModel) -> None:
    assert normalize_text(model.restore("bao lu mien trung") or "") == "bão lũ miền trung"


def test_proper_nouns_get_their_capitals(model: DiacriticModel) -> None:
    assert model.restore("bao lu mien trung") == "bão lũ miền Trung"
    assert model.restore("thu tuong pham minh chinh") == "thủ tướng Phạm Minh Chính"
    assert model.restore("bao lu mien trung", proper_case=False) == "bão lũ miền trung"


def test_user_casing_is_mirrored(model: DiacriticModel) -> None:
    assert model.restore("Bao lu") == "Bão lũ"
    assert model.restore("BAO LU MIEN TRUNG") == "BÃO LŨ MIỀN TRUNG"


def test_ambiguous_words_resolved_by_context(model: DiacriticModel) -> None:
    assert model.restore("nguoi dan ban nha") == "người dân bán nhà"
    assert model.restore("gia ban nha") == "giá bán nhà"
    assert model.restore("nhung nguoi ban nha ben canh") == "những người bạn nhà bên cạnh"
    assert model.restore_words(["ban", "nha", "ben", "canh"]) == ["bạn", "nhà", "bên", "cạnh"]


def test_accented_or_unchanged_queries_give_none(model: DiacriticModel) -> None:
    assert model.restore("bão lũ") is None
    assert model.restore("bao lũ") is None  # any mark: the user types with diacritics
    assert model.restore("xyzzy qwerty") is None  # no known word
    assert model.restore("ron95") is None  # nothing to change
    assert model.restore("") is None
    assert model.restore("   ") is None


def test_unknown_words_and_codes_are_kept(model: DiacriticModel) -> None:
    assert model.restore("bao lu xyzzy mien trung") == "bão lũ xyzzy miền Trung"
    assert model.restore("xang RON95 giam gia 1.250 dong") == "xăng RON95 giảm giá 1.250 đồng"
    assert model.restore_words(["bao", "zzz", "lu"]) == ["bão", "zzz", "lũ"]


def test_odd_input_does_not_crash(model: DiacriticModel) -> None:
    for q in ["\x00", "🎉 bao lu 🎉", "bao, lu; mien: trung!", "a" * 10_000, "ha noi " * 500]:
        model.restore(q)
    assert model.restore("🎉 bao lu") == "🎉 bão lũ"


def test_save_and_load_round_trip(model: DiacriticModel, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    model.save(path, generation=7)
    loaded = DiacriticModel.load(path)
    assert loaded.meta["generation"] == 7
    assert loaded.restore("bao lu mien trung") == model.restore("bao lu mien trung")
    assert loaded.restore("nguoi dan ban nha") == "người dân bán nhà"


def test_empty_model() -> None:
    empty = DiacriticModel.build([])
    assert empty.restore("bao lu") is None
    assert empty.restore_words(["bao"]) == ["bao"]


def test_article_texts_clip_bodies() -> None:
    texts = list(article_texts([{"title": "T", "lead": "L", "body": "một hai ba " * 100}], body_chars=20))
    assert texts[:2] == ["T", "L"] and len(texts[2]) <= 20


def _article(i: int, title: str, body: str = "Nội dung bài viết.") -> Article:
    return Article(id=f"a{i}", title=title, body=body, published=datetime(2024, 1, 1 + i % 28, tzinfo=VN))


def test_model_for_follows_the_index(tmp_path: Path) -> None:
    write_articles(tmp_path, [_article(i, t) for i, t in enumerate(TEXTS * 2)])
    model = model_for(tmp_path)
    assert model.restore("bao lu mien trung") == "bão lũ miền Trung"
    assert model.restore("lang van hoa") is None  # not known yet
    assert (tmp_path / MODEL_FILE).exists()
    assert model_for(tmp_path) is model  # cached while the index is unchanged

    write_articles(tmp_path, [_article(100 + i, "Làng văn hoá đón khách du lịch") for i in range(3)])
    stale = model_for(tmp_path)  # the old model serves while the new one builds
    assert stale is model or stale.restore("lang van hoa")
    fresh = model_for(tmp_path, wait=True)
    assert fresh is not model
    assert normalize_text(fresh.restore("lang van hoa") or "") == "làng văn hóa"


def test_model_is_loaded_from_its_file(tmp_path: Path) -> None:
    from indexer.assist import diacritics

    write_articles(tmp_path, [_article(i, t) for i, t in enumerate(TEXTS)])
    built = model_for(tmp_path)
    diacritics._models.clear()  # as after a restart
    calls: list[object] = []
    original = diacritics._models._build
    diacritics._models._build = lambda snap: calls.append(snap) or original(snap)
    try:
        loaded = model_for(tmp_path)
    finally:
        diacritics._models._build = original
    assert not calls and loaded is not built
    assert loaded.restore("ha noi mua lon") == built.restore("ha noi mua lon")
