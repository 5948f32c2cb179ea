"""Province gazetteer (2025 merger), article tagging and query-side aliases."""

from __future__ import annotations

import pytest

from indexer.analysis import fold_text, syllables
from indexer.text.regions import canonical_region, detect_regions, find_region_mentions, provinces, region_aliases

HCM = "Thành phố Hồ Chí Minh"
OLD_TO_NEW = {
    "Hà Nội": "Hà Nội", "Thừa Thiên Huế": "Huế", "Lai Châu": "Lai Châu", "Điện Biên": "Điện Biên",
    "Sơn La": "Sơn La", "Lạng Sơn": "Lạng Sơn", "Quảng Ninh": "Quảng Ninh", "Thanh Hóa": "Thanh Hóa",
    "Nghệ An": "Nghệ An", "Hà Tĩnh": "Hà Tĩnh", "Cao Bằng": "Cao Bằng",
    "Tuyên Quang": "Tuyên Quang", "Hà Giang": "Tuyên Quang", "Lào Cai": "Lào Cai", "Yên Bái": "Lào Cai",
    "Thái Nguyên": "Thái Nguyên", "Bắc Kạn": "Thái Nguyên", "Phú Thọ": "Phú Thọ", "Vĩnh Phúc": "Phú Thọ",
    "Hòa Bình": "Phú Thọ", "Bắc Ninh": "Bắc Ninh", "Bắc Giang": "Bắc Ninh", "Hưng Yên": "Hưng Yên",
    "Thái Bình": "Hưng Yên", "Hải Phòng": "Hải Phòng", "Hải Dương": "Hải Phòng", "Ninh Bình": "Ninh Bình",
    "Hà Nam": "Ninh Bình", "Nam Định": "Ninh Bình", "Quảng Trị": "Quảng Trị", "Quảng Bình": "Quảng Trị",
    "Đà Nẵng": "Đà Nẵng", "Quảng Nam": "Đà Nẵng", "Quảng Ngãi": "Quảng Ngãi", "Kon Tum": "Quảng Ngãi",
    "Gia Lai": "Gia Lai", "Bình Định": "Gia Lai", "Khánh Hòa": "Khánh Hòa", "Ninh Thuận": "Khánh Hòa",
    "Lâm Đồng": "Lâm Đồng", "Đắk Nông": "Lâm Đồng", "Bình Thuận": "Lâm Đồng", "Đắk Lắk": "Đắk Lắk",
    "Phú Yên": "Đắk Lắk", "Thành phố Hồ Chí Minh": HCM, "Bình Dương": HCM, "Bà Rịa – Vũng Tàu": HCM,
    "Đồng Nai": "Đồng Nai", "Bình Phước": "Đồng Nai", "Tây Ninh": "Tây Ninh", "Long An": "Tây Ninh",
    "Cần Thơ": "Cần Thơ", "Sóc Trăng": "Cần Thơ", "Hậu Giang": "Cần Thơ", "Vĩnh Long": "Vĩnh Long",
    "Bến Tre": "Vĩnh Long", "Trà Vinh": "Vĩnh Long", "Đồng Tháp": "Đồng Tháp", "Tiền Giang": "Đồng Tháp",
    "Cà Mau": "Cà Mau", "Bạc Liêu": "Cà Mau", "An Giang": "An Giang", "Kiên Giang": "An Giang",
}


def test_34_current_provinces_and_63_old_ones():
    current = [p.name for p in provinces()]
    assert len(current) == len(set(current)) == 34
    assert set(current) == set(OLD_TO_NEW.values())
    assert len(OLD_TO_NEW) == 63
    old = {o: p.name for p in provinces() for o in p.old_names}
    assert old == OLD_TO_NEW
    assert sum(p.kind == "thành phố" for p in provinces()) == 6


@pytest.mark.parametrize("old, new", sorted(OLD_TO_NEW.items()))
def test_every_old_province_maps(old, new):
    assert canonical_region(old) == new
    assert canonical_region(fold_text(old)) == new
    assert canonical_region(old.upper()) == new


@pytest.mark.parametrize("alias, new", [
    ("Bắc Kạn", "Thái Nguyên"), ("bac can", "Thái Nguyên"), ("TP.HCM", HCM), ("TPHCM", HCM), ("tp hcm", HCM),
    ("Sài Gòn", HCM), ("sai gon", HCM), ("thành phố Hồ Chí Minh", HCM), ("Thừa Thiên - Huế", "Huế"),
    ("Thừa Thiên Huế", "Huế"), ("hue", "Huế"), ("Đắc Lắc", "Đắk Lắk"), ("Daklak", "Đắk Lắk"),
    ("Hoà Bình", "Phú Thọ"), ("hòa bình", "Phú Thọ"), ("Bà Rịa - Vũng Tàu", HCM), ("BR-VT", HCM),
    ("Thanh Hoá", "Thanh Hóa"), ("Kontum", "Quảng Ngãi"),
])
def test_aliases(alias, new):
    assert canonical_region(alias) == new


def test_places_resolve_only_on_request():
    assert canonical_region("Đà Lạt") is None
    assert canonical_region("Đà Lạt", places=True) == "Lâm Đồng"
    assert canonical_region("Buôn Ma Thuột", places=True) == "Đắk Lắk"
    assert canonical_region("Vũng Tàu", places=True) == HCM
    assert canonical_region("Paris") is None
    assert canonical_region("") is None


def test_region_aliases_both_directions():
    names = region_aliases("Bắc Kạn")
    assert names[0] == "Thái Nguyên" and "Bắc Kạn" in names and "Thái Nguyên" in names
    assert region_aliases("thai nguyen") == names
    ninh = region_aliases("nam dinh")
    assert {"Ninh Bình", "Hà Nam", "Nam Định"} <= set(ninh)
    hcm = region_aliases("Bình Dương")
    assert {HCM, "TP.HCM", "Sài Gòn", "Bình Dương", "Bà Rịa – Vũng Tàu"} <= set(hcm)
    assert "Vũng Tàu" not in hcm  # places are not expanded
    assert region_aliases("Atlantis") == []


def folded(q: str) -> list[str]:
    return [t.folded for t in syllables(q)]


def test_find_region_mentions_in_queries():
    assert find_region_mentions(folded("bao lu quang binh")) == [(2, 4, "Quảng Trị")]
    assert find_region_mentions(folded("tai nan tp.hcm")) == [(2, 3, HCM)]
    assert find_region_mentions(folded("ubnd tp ho chi minh")) == [(1, 5, HCM)]
    assert find_region_mentions(folded("ba ria vung tau")) == [(0, 4, HCM)]  # longest match
    assert find_region_mentions(folded("bac kan thai nguyen")) == [(0, 2, "Thái Nguyên"), (2, 4, "Thái Nguyên")]
    assert find_region_mentions(folded("bão thái bình dương")) == []
    assert find_region_mentions(folded("da lat")) == []
    assert find_region_mentions(folded("da lat"), places=True) == [(0, 2, "Lâm Đồng")]
    assert find_region_mentions([]) == []


@pytest.mark.parametrize("title, lead, body, expected", [
    ("Cháy rừng ở Bắc Kạn", "", "Lực lượng chức năng đang dập lửa.", ["Thái Nguyên"]),
    ("Tai nạn giao thông", "Vụ việc xảy ra tại huyện Kim Thành, tỉnh Hải Dương.", "", ["Hải Phòng"]),
    ("Khởi công cầu mới", "", "UBND TP.HCM cho biết cầu dài 2 km. Cầu nối TP.HCM với Bình Dương.",
     ["Thành phố Hồ Chí Minh"]),
    ("Mưa lớn", "", "Công an tỉnh Quảng Bình cho biết nước đã rút.", ["Quảng Trị"]),
    ("Du lịch Đà Lạt hút khách", "", "Khách đổ về thành phố ngàn hoa.", ["Lâm Đồng"]),
    ("Lễ hội", "Người dân Thừa Thiên - Huế đón Tết.", "", ["Huế"]),
    ("Kỳ thi", "Thí sinh làm bài.", "Thí sinh ở Hà Nội và Đà Nẵng thi. Hà Nội có 100.000 thí sinh, Sở Hà Nội "
     "cho biết.", ["Hà Nội"]),
    ("Hội thảo", "", "Hội thảo diễn ra tại 84 Trần Nhân Tông, Hà Nội.\nDiễn giả nói về du học.", ["Hà Nội"]),
])
def test_detects(title, lead, body, expected):
    assert detect_regions(title, lead, body) == expected


@pytest.mark.parametrize("title, lead, body", [
    ("Cầu mong hòa bình thế giới", "Mọi người đều muốn hòa bình.", "Hòa bình là khát vọng chung."),
    ("Công ty bình định giá tài sản", "", "Hội đồng sẽ bình định giá trị lô đất."),
    ("Bão mạnh trên Thái Bình Dương", "", "Bão hình thành ở Thái Bình Dương và mạnh lên."),
    ("Gặp gỡ", "Ông Nguyễn Thái Bình và bà Nguyễn Thị Huế dự lễ.", "Chị Hà Giang cũng có mặt."),
    ("Trường học mới", "Trường ở huyện Quảng Ninh vừa khánh thành.", "Thôn Hòa Bình có đường mới."),
    ("Xe khách gặp nạn", "", "Xe chạy trên đường Điện Biên Phủ thì va chạm."),
    ("Thời tiết", "", ""),
])
def test_tricky_negatives(title, lead, body):
    assert detect_regions(title, lead, body) == []


def test_capitals_required_but_all_caps_titles_work():
    assert detect_regions("LŨ LỚN Ở QUẢNG NGÃI", "", "") == ["Quảng Ngãi"]
    assert detect_regions("lũ lớn ở quảng ngãi", "", "") == []


def test_one_body_mention_needs_strong_context():
    assert detect_regions("Tin vắn", "Một vụ cháy xảy ra.", "Đoàn khách từ Nghệ An ghé thăm.") == []
    assert detect_regions("Tin vắn", "Một vụ cháy xảy ra.", "Công an tỉnh Nghệ An điều tra.") == ["Nghệ An"]
    assert detect_regions("Tin vắn", "Một vụ cháy xảy ra.",
                          "Vụ việc ở xã Long Điền, huyện Đông Hải, Bạc Liêu.") == ["Cà Mau"]


def test_limit_and_order():
    body = "Hà Nội, Hải Phòng, Cần Thơ, Huế. " * 3
    got = detect_regions("Đà Nẵng đón khách", "", body)
    assert got[0] == "Đà Nẵng" and len(got) == 3
