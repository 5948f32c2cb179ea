"""The Vietnamese analysis rules, one by one, plus property tests over arbitrary text."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis import analyze, fold, has_diacritics, normalize_word, split_codes, syllables
from indexer.text.acronyms import load_synonyms


def exacts(text: str) -> list[str]:
    return [t.exact for t in syllables(text)]


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoà", "hòa"), ("thuỷ", "thủy"), ("uỷ", "ủy"), ("khoẻ", "khỏe"), ("qủa", "quả"),
     ("Hoà Bình", "hòa bình"), ("tuỳ", "tùy"), ("loà", "lòa")],
)
def test_tone_placement_variants_are_one_form(old: str, new: str) -> None:
    assert exacts(old) == exacts(new)
    assert exacts(old) == [w.lower() for w in new.split()]


@pytest.mark.parametrize("pair", [("kỹ", "kĩ"), ("lý", "lí"), ("sĩ", "sỹ"), ("quý", "quí"), ("Mỹ", "mĩ")])
def test_i_y_variants_are_equal(pair: tuple[str, str]) -> None:
    assert normalize_word(pair[0]) == normalize_word(pair[1])


@pytest.mark.parametrize("word", ["y", "ý", "thủy", "huy", "quyết", "khuya", "ngày", "mây"])
def test_y_that_is_not_a_variant_is_kept(word: str) -> None:
    assert "y" in fold(normalize_word(word))


@pytest.mark.parametrize("word", ["người", "ngoài", "khuỷu", "huỳnh", "giữa", "gì", "giá", "thuở", "quyết",
                                  "hoàn", "toán", "nghiêng", "chuyện"])
def test_correct_words_are_unchanged(word: str) -> None:
    assert normalize_word(word) == word


def test_nfd_text_matches_nfc_and_offsets_point_into_original() -> None:
    nfc = "Hòa Bình Đà Nẵng thủy điện"
    nfd = unicodedata.normalize("NFD", nfc)
    assert exacts(nfd) == exacts(nfc)
    for t in syllables(nfd):
        assert normalize_word(nfd[t.start : t.end]) == t.exact


def test_eth_is_d_with_stroke() -> None:
    assert exacts("\u00d0à Nẵng") == exacts("Đà Nẵng") == ["đà", "nẵng"]


def test_folding_removes_all_marks_and_d_stroke() -> None:
    assert [t.folded for t in syllables("Đại hội Đảng các cấp ở Đường Dương")] == [
        "dai", "hoi", "dang", "cac", "cap", "o", "duong", "duong"]
    assert has_diacritics("đại hội") and not has_diacritics("dai hoi")


def test_lower_casing_all_caps_and_title_case() -> None:
    assert exacts("CHÂU ÂU") == exacts("châu Âu") == ["châu", "âu"]


def test_one_letter_syllables_are_kept() -> None:
    assert exacts("Ô tô ở Ý") == ["ô", "tô", "ở", "ý"]


@pytest.mark.parametrize("code", ["12/3/2024", "1.250", "RON95", "QL1A", "TP.HCM", "GD&ĐT", "1,5", "COVID-19"])
def test_numbers_dates_and_codes_stay_whole(code: str) -> None:
    words = syllables(f"Giá {code} đồng")
    assert [w.exact for w in words] == ["giá", normalize_word(code), "đồng"]


def test_code_parts_are_extra_terms_at_the_same_position() -> None:
    terms = analyze("ở TP.HCM hôm nay", with_compounds=False)
    code = next(t for t in terms if t.exact == "tp.hcm")
    parts = [t for t in terms if t.kind == "part"]
    assert [p.exact for p in parts] == ["tp", "hcm"]
    assert all(p.pos == code.pos for p in parts)


def test_compounds_are_extra_evidence_not_replacing_syllables() -> None:
    text = "Tổ chức đại hội Đảng"
    terms = analyze(text)
    words = [t.exact for t in terms if t.kind == "word"]
    assert words == ["tổ", "chức", "đại", "hội", "đảng"]
    compounds = {t.exact: t for t in terms if t.kind == "compound"}
    assert "tổ_chức" in compounds
    assert compounds["tổ_chức"].pos == 0 and compounds["tổ_chức"].folded == "to_chuc"
    assert text[compounds["tổ_chức"].start : compounds["tổ_chức"].end] == "Tổ chức"


def test_no_stopwords_dropped() -> None:
    assert exacts("năm người nhà tòa số không") == ["năm", "người", "nhà", "tòa", "số", "không"]


def test_exact_and_folded_forms_of_each_token() -> None:
    (t,) = syllables("Đường")
    assert (t.exact, t.folded, t.accented) == ("đường", "duong", True)
    (u,) = syllables("Nam")
    assert (u.exact, u.folded, u.accented) == ("nam", "nam", False)


vietnamese_text = st.text(
    alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệ"
                                  "ìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ.,;:-/&\"'()\n0123456789")
                             + ["\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u00d0", "😀", "\u200f"]),
    max_size=200)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), vietnamese_text))
def test_analysis_never_fails_and_offsets_normalise_to_the_token(text: str) -> None:
    for t in analyze(text, with_compounds=False):
        assert 0 <= t.start < t.end <= len(text)
        if t.kind == "concept":  # an acronym's token ("tphcm") spanning its spelling ("TP HCM")
            assert t.exact == t.folded and load_synonyms().lookup(text[t.start : t.end]) is not None
            continue
        assert normalize_word(text[t.start : t.end]) == t.exact
        assert fold(t.exact) == t.folded


@settings(max_examples=60, deadline=None)
@given(vietnamese_text)
def test_analysis_with_compounds_never_fails(text: str) -> None:
    terms = analyze(text)
    positions = [t.pos for t in terms]
    assert positions == sorted(positions)
    for t in terms:
        if t.kind == "compound":
            assert t.exact.replace("_", " ") == " ".join(
                w.exact for w in syllables(text[t.start : t.end]))


def test_split_codes_replaces_codes_by_their_parts() -> None:
    words = split_codes(syllables("Hôm nay 8/1, TP.HCM giảm 5.000 đồng"))
    assert [w.folded for w in words] == ["hom", "nay", "8", "1", "tp", "hcm", "giam", "5", "000", "dong"]
    assert [w.kind for w in words].count("part") == 6


def test_pyvi_leaves_no_model_copy_in_the_temporary_folder(tmp_path) -> None:
    """A worker leaving with os._exit (pool, gunicorn, Ray) used to leave pyvi's 0.6 MB model copy."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import os\n"
        "from indexer.analysis import analyze\n"
        "terms = analyze('Ủy ban nhân dân tỉnh Thái Nguyên tổ chức hội nghị', with_compounds=True)\n"
        "print(sorted({t.exact for t in terms if '_' in t.exact}))\n"
        "os._exit(0)\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert "tổ_chức" in out.stdout and "hội_nghị" in out.stdout  # pyvi did run
    assert list(tmp_path.iterdir()) == []
