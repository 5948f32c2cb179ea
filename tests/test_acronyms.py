"""Acronym and synonym table: data file, both directions, format errors."""

from __future__ import annotations

import pytest

from indexer.analysis import syllables
from indexer.text.acronyms import DEFAULT_PATH, SynonymFormatError, load_synonyms, parse_synonyms


def words(text: str) -> list[str]:
    return [t.folded for t in syllables(text)]


def alts(text: str) -> list[list[str]]:
    """Alternatives for ``text`` when it is typed as a whole query."""
    table = load_synonyms()
    w = words(text)
    return next((a for i, j, a in table.expansions(w) if (i, j) == (0, len(w))), [])


@pytest.fixture(scope="module")
def table():
    return load_synonyms()


def test_loads_at_least_60_concepts(table):
    assert len(table) >= 60
    assert len(table.concepts) == len(table)
    assert load_synonyms() is table  # cached
    assert load_synonyms(DEFAULT_PATH) is table


@pytest.mark.parametrize("short, long", [
    ("UBND", "ủy ban nhân dân"),
    ("HĐND", "hội đồng nhân dân"),
    ("HDND", "hội đồng nhân dân"),
    ("TP.HCM", "thành phố Hồ Chí Minh"),
    ("TPHCM", "thành phố Hồ Chí Minh"),
    ("TP HCM", "thành phố Hồ Chí Minh"),
    ("TP. HCM", "thành phố Hồ Chí Minh"),
    ("THPT", "trung học phổ thông"),
    ("THCS", "trung học cơ sở"),
    ("CSGT", "cảnh sát giao thông"),
    ("GD&ĐT", "giáo dục và đào tạo"),
    ("GDĐT", "giáo dục và đào tạo"),
    ("TW", "trung ương"),
    ("BCH", "ban chấp hành"),
    ("ĐBQH", "đại biểu quốc hội"),
    ("MTTQ", "mặt trận tổ quốc"),
    ("BHXH", "bảo hiểm xã hội"),
    ("BHYT", "bảo hiểm y tế"),
    ("UBKT", "ủy ban kiểm tra"),
    ("VKSND", "viện kiểm sát nhân dân"),
    ("TAND", "tòa án nhân dân"),
    ("CAND", "công an nhân dân"),
    ("QĐND", "quân đội nhân dân"),
    ("KT-XH", "kinh tế - xã hội"),
    ("ATGT", "an toàn giao thông"),
    ("PCCC", "phòng cháy chữa cháy"),
    ("NĐ-CP", "nghị định chính phủ"),
    ("NHNN", "ngân hàng nhà nước"),
    ("HLV", "huấn luyện viên"),
    ("CLB", "câu lạc bộ"),
    ("BĐS", "bất động sản"),
    ("KCN", "khu công nghiệp"),
    ("THPTQG", "trung học phổ thông quốc gia"),
    ("UBTVQH", "ủy ban thường vụ quốc hội"),
    ("VN", "Việt Nam"),
])
def test_both_directions(short, long):
    assert words(long) in alts(short)
    assert words(short) in alts(long)


@pytest.mark.parametrize("typed", ["UBND", "ubnd", "ủy ban nhân dân", "uỷ ban nhân dân", "uy ban nhan dan",
                                   "ỦY BAN NHÂN DÂN"])
def test_any_case_or_diacritics(typed):
    assert alts(typed)


def test_tp_hcm_variants_all_map_to_each_other():
    variants = ["TP.HCM", "TPHCM", "TP HCM", "TP. HCM", "thành phố Hồ Chí Minh", "TP Hồ Chí Minh"]
    for a in variants:
        for b in variants:
            if words(a) != words(b):
                assert words(b) in alts(a), (a, b)


def test_one_way_forms_expand_but_are_not_offered():
    assert words("doanh nghiệp") in alts("DN")
    assert ["dn"] not in alts("doanh nghiệp")
    assert words("Hà Nội") in alts("HN")
    assert ["hn"] not in alts("Hà Nội")


def test_ambiguous_short_forms_are_absent():
    for typed in ("ĐT", "dt", "TƯ", "CĐ"):
        assert not alts(typed), typed


def test_no_entry_maps_to_itself(table):
    for c in table.concepts:
        assert len(set(c.forms)) == len(c.forms) >= 2
        for f in c.forms:
            assert list(f) not in c.alternatives(f)
    for i, j, options in table.expansions(words("UBND tỉnh thành phố Hồ Chí Minh")):
        assert words("UBND tỉnh thành phố Hồ Chí Minh")[i:j] not in options


def test_spans_in_a_longer_query(table):
    w = words("Chủ tịch UBND TP.HCM họp với HĐND")
    spans = {(i, j) for i, j, _ in table.expansions(w)}
    assert {(2, 3), (3, 4), (6, 7)} <= spans
    w = words("so gd & dt tp ho chi minh")
    spans = {(i, j): a for i, j, a in table.expansions(w)}
    assert ["giao", "duc", "va", "dao", "tao"] in spans[(1, 3)]
    assert ["tp.hcm"] in spans[(3, 7)]


def test_no_expansion_for_ordinary_words(table):
    assert table.expansions(words("bão lũ miền Trung")) == []
    assert table.expansions([]) == []


def test_lookup(table):
    c = table.lookup("Ủy ban nhân dân")
    assert c is not None and c.canonical == "ủy ban nhân dân"
    assert table.lookup("xe máy") is None


def test_format_errors_are_reported_with_line_numbers():
    text = ("# header\n"
            "ủy ban nhân dân\tUBND\n"
            "no tab here\n"
            "\n"
            "hội đồng nhân dân\tHĐND||\n"
            "cảnh sát giao thông\tCSGT\tx\n"
            "ủy ban\tUBND\n"
            "Việt Nam\tviet nam\n")
    with pytest.raises(SynonymFormatError) as err:
        parse_synonyms(text, "acr.tsv")
    problems = err.value.problems
    assert [p.split(":")[1] for p in problems] == ["3", "5", "6", "7", "8"]
    assert "already defined at line 2" in problems[3]
    assert "map to itself" in problems[4]
    assert str(err.value).startswith("acr.tsv:3:")


def test_custom_file(tmp_path):
    p = tmp_path / "s.tsv"
    p.write_text("# x\nhuấn luyện viên\tHLV|~thầy\n", encoding="utf-8")
    t = load_synonyms(p)
    assert len(t) == 1
    assert t.expansions(["thay"]) == [(0, 1, [["huan", "luyen", "vien"], ["hlv"]])]
    assert t.expansions(["hlv"]) == [(0, 1, [["huan", "luyen", "vien"]])]
