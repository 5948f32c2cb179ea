"""Shared test data and helpers: small hand-written Vietnamese news fixtures.

Imported one way only: ``from tests.helpers import ...``.  The fixtures built on them (``index_dir``,
``web_index``, ``app``, ``client``, ``live_url``) are in tests/conftest.py.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

from indexer.models import Article
from indexer.store.index import write_articles

VN = timezone(timedelta(hours=7))


# -- the small index of tests/test_search.py and friends (fixture ``index_dir``) --------------------


def art(id: str, title: str, body: str, lead: str = "", **kw) -> Article:
    return Article(id=id, title=title, body=body, lead=lead, **kw)


ARTICLES = [
    art("ban-nha", "Người dân bán nhà để chữa bệnh", "Gia đình anh Nam phải bán nhà ở quê.",
        source="Báo Thái Nguyên", category="Xã hội", published=datetime(2024, 3, 12, 8, 0, tzinfo=VN)),
    art("ban-nha-2", "Bạn nhà hàng xóm giúp đỡ", "Những người bạn nhà bên cạnh đã đến giúp đỡ gia đình.",
        source="Tuổi Trẻ", category="Xã hội", published=datetime(2023, 1, 5, tzinfo=VN)),
    art("dai-hoi", "Tổ chức tốt đại hội Đảng các cấp",
        "Công tác chuẩn bị đại hội Đảng các cấp được thực hiện nghiêm túc tại Thái Nguyên.",
        lead="Ban Tổ chức Tỉnh ủy Thái Nguyên họp bàn.", source="Báo Thái Nguyên", category="Chính trị",
        published=datetime(2020, 6, 1, tzinfo=VN)),
    art("hoa-binh-old", "Thuỷ điện Hoà Bình xả lũ", "Nhà máy thuỷ điện Hoà Bình mở thêm cửa xả đáy.",
        source="VnExpress", category="Thời sự", published=datetime(2022, 7, 20, tzinfo=VN)),
    art("nam-moi", "Chúc mừng năm mới", "Năm mới an khang thịnh vượng.", source="VnExpress",
        category="Đời sống", published=datetime(2024, 2, 10, tzinfo=VN)),
    art("nam-dinh", "Nam Định khánh thành cầu mới", "Tỉnh Nam Định đưa cầu vào sử dụng.",
        source="Tuổi Trẻ", category="Thời sự", published=datetime(2021, 9, 2, tzinfo=VN)),
    art("bao-lu", "Bão lũ miền Trung gây thiệt hại nặng", "Mưa lớn kéo dài khiến nhiều nhà bị ngập.",
        lead="Bão số 5 đổ bộ vào miền Trung.", source="VnExpress", category="Thời sự",
        published=datetime(2020, 10, 15, tzinfo=VN)),
    art("bao-scattered", "Miền núi phía Bắc chuẩn bị trồng rừng",
        "Trung tâm khí tượng cho biết không có bão. Lũ ống từng xảy ra ở vùng này.",
        source="Tuổi Trẻ", category="Môi trường", published=datetime(2019, 4, 1, tzinfo=VN)),
    art("xss", "<script>alert('x')</script> Tin nóng & \"lạ\"", "Nội dung có <b>thẻ</b> và &amp; ký tự.",
        source="Báo <i>lạ</i>", category="Khác", url="javascript:alert(1)"),
    art("oto", "Ô tô tông xe máy ở Ý", "Một chiếc ô tô đã va chạm tại TP.HCM ngày 12/3/2024, giá xăng RON95 "
        "là 1.250 đồng.", source="VnExpress", category="Thế giới", published=datetime(2024, 3, 13, tzinfo=VN)),
]


CHROMIUM = Path("/usr/bin/chromium")  # the browser tests' headless Chromium (fixture ``browser``)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


# -- the web fixture (fixtures ``web_index``, ``app``, ``client``) ------------------------------------

PARTY_QUERY = "dai hoi dang"  # matches the PARTY articles (ids party-00 … party-13)
XSS = '<script>alert("x")</script>'

_PARTY_PLACES = ["Hà Nội", "Thái Nguyên", "Nghệ An", "Đà Nẵng", "Huế", "Cần Thơ", "Quảng Ninh",
                 "Hải Phòng", "Lâm Đồng", "Bình Định", "Sơn La", "Cà Mau", "Nam Định", "Gia Lai"]
_SOURCES = ["Nhân Dân", "VnExpress", "Tuổi Trẻ"]
_CATEGORIES = ["Thời sự", "Chính trị"]


def party_articles() -> list[Article]:
    out = []
    for i, place in enumerate(_PARTY_PLACES):
        out.append(Article(
            id=f"party-{i:02d}",
            title=f"Đại hội Đảng bộ tỉnh {place} nhiệm kỳ 2025-2030",
            lead=f"Sáng nay, Đại hội đại biểu Đảng bộ {place} lần thứ {i + 10} khai mạc trọng thể.",
            body=(f"Đại hội Đảng bộ {place} có sự tham dự của {300 + i} đại biểu.\n"
                  "Các đại biểu thảo luận văn kiện, đánh giá kết quả nhiệm kỳ qua.\n"
                  "Công tác chuẩn bị đại hội Đảng các cấp được thực hiện nghiêm túc."),
            url=f"https://{'nhandan.vn' if i % 3 == 0 else 'vnexpress.net'}/dai-hoi-{i}.html",
            source=_SOURCES[i % 3], category=_CATEGORIES[i % 2], author="Phóng viên",
            published=datetime(2024, 1 + i % 12, 1 + i, 8, 30, tzinfo=VN),
            regions=["Miền Bắc"] if i % 2 else ["Miền Trung"]))
    return out


def other_articles() -> list[Article]:
    rows = [
        ("storm-1", "Bão số 3 gây lũ lớn ở miền Trung", "Mưa lớn khiến nhiều tỉnh miền Trung ngập sâu.",
         "Thanh Niên", "Xã hội", datetime(2023, 10, 5, 7, tzinfo=VN)),
        ("storm-2", "Miền Trung khắc phục hậu quả bão lũ", "Người dân Quảng Bình dọn dẹp sau lũ.",
         "Tuổi Trẻ", "Xã hội", datetime(2023, 10, 9, 9, tzinfo=VN)),
        ("fuel-1", "Giá xăng giảm mạnh từ chiều nay", "Liên Bộ Công Thương - Tài chính giảm giá xăng dầu.",
         "VnExpress", "Kinh tế", datetime(2024, 3, 14, 15, tzinfo=VN)),
        ("fuel-2", "Giá xăng dầu tăng lần thứ ba liên tiếp", "Xăng RON95 tăng 500 đồng mỗi lít.",
         "Dân trí", "Kinh tế", datetime(2024, 4, 1, 15, tzinfo=VN)),
        ("bank-1", "Ngân hàng Nhà nước giữ nguyên lãi suất điều hành", "Lãi suất tái cấp vốn không đổi.",
         "VnExpress", "Kinh tế", datetime(2024, 6, 20, 10, tzinfo=VN)),
        ("football-1", "Đội tuyển bóng đá Việt Nam thắng đậm", "Các cầu thủ chơi tự tin trên sân Mỹ Đình.",
         "Thanh Niên", "Thể thao", datetime(2024, 9, 10, 21, tzinfo=VN)),
        ("football-2", "Futsal Việt Nam vào tứ kết", "Đội tuyển futsal giành vé đi tiếp.",
         "Tuổi Trẻ", "Thể thao", datetime(2024, 9, 18, 20, tzinfo=VN)),
        ("school-1", "Học sinh Hà Nội trở lại trường", "Năm học mới bắt đầu với nhiều đổi mới.",
         "Dân trí", "Giáo dục", datetime(2024, 9, 5, 7, tzinfo=VN)),
        ("health-1", "Bệnh viện Bạch Mai mở thêm khoa mới", "Khoa mới giúp giảm tải cho bệnh viện.",
         "Dân trí", "Sức khỏe", None),
    ]
    out = [Article(id=i, title=t, lead=lead, body=f"{lead}\nChi tiết sẽ được cập nhật.",
                   url=f"https://example.vn/{i}", source=s, category=c, published=p)
           for i, t, lead, s, c, p in rows]
    out.append(Article(  # hostile fields: everything must come out escaped
        id="xss-1", title=f"Cảnh báo mã độc {XSS} trên mạng",
        lead="Tin tặc chèn <b>thẻ HTML</b> & mã độc vào trang web.",
        body=f"Đoạn đầu nói về mã độc.\nĐoạn hai chứa {XSS} và <img src=x onerror=alert(1)>.",
        url="javascript:alert(1)", source="An ninh <mạng>", category="Công nghệ",
        published=datetime(2024, 2, 2, 12, tzinfo=VN)))
    out.append(Article(id="local/no-url 1", title="Bản tin nội bộ về hội nghị", body="Nội dung bản tin.",
                       source="Nội bộ", category="Thời sự", published=datetime(2022, 12, 31, 23, tzinfo=VN)))
    return out


def fixture_articles() -> list[Article]:
    return party_articles() + other_articles()


def build_fixture_index(path: Path) -> Path:
    """Write the fixture articles into a new index at ``path``."""
    stats = write_articles(path, fixture_articles())
    assert stats.indexed == len(fixture_articles())
    return path


def get_json(client, url: str, status: int = 200, **kw) -> dict:
    """GET ``url`` with a Flask test client; check the status and that the answer is JSON."""
    resp = client.get(url, **kw)
    assert resp.status_code == status, resp.data[:500]
    assert resp.mimetype == "application/json"
    return resp.get_json()


def cp1258_bytes(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: base letter plus a combining tone where needed."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out += (base + tones).encode("cp1258")
    return bytes(out)
