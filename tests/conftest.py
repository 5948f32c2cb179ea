"""Shared fixtures: a small Vietnamese news index built from hand-written articles."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.models import Article
from indexer.store.index import write_articles

VN = timezone(timedelta(hours=7))


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


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("index")
    stats = write_articles(path, ARTICLES)
    assert stats.indexed == len(ARTICLES)
    return path


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
