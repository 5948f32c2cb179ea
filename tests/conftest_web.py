"""A small Vietnamese news index shared by tests/test_webapp.py and tests/test_browser.py.

Imported as a plain module (pytest puts tests/ on sys.path); not a conftest plugin.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from indexer.models import Article
from indexer.store.index import write_articles

VN = timezone(timedelta(hours=7))
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


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yield its base URL."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: object) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
