"""Rebuild the small committed index that ``tests/test_ondisk.py`` opens.

    PYTHONPATH=. python tests/data/make_ondisk_index.py [OUT_DIR]

It writes ``tests/data/ondisk-v<SCHEMA_VERSION>/`` (or OUT_DIR) with the current code,
through ``write_articles``, from the four hand-written articles below.  Rebuild it only
when the on-disk format changes on purpose (a new ``SCHEMA_VERSION``): keep the old
folder's test passing or retire it knowingly, since users' indexes are in the old format.
"""

from __future__ import annotations

import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from indexer.models import Article  # noqa: E402
from indexer.schema import SCHEMA_VERSION  # noqa: E402
from indexer.store.index import write_articles  # noqa: E402

VN = timezone(timedelta(hours=7))

ARTICLES = [
    Article(id="thuy-dien", title="Thủy điện Hòa Bình mở cửa xả đáy",
            lead="Công ty Thủy điện Hòa Bình mở thêm một cửa xả đáy để đón lũ.",
            body="Sáng nay, nhà máy thủy điện Hòa Bình mở thêm cửa xả đáy thứ hai. "
                 "Người dân vùng hạ du được khuyến cáo không đánh bắt cá gần đập.",
            url="https://example.vn/thuy-dien", author="Minh Anh", published=datetime(2024, 7, 21, 9, 30, tzinfo=VN),
            source="Báo Hòa Bình", category="Thời sự", regions=["hoa-binh"]),
    Article(id="che-thai", title="Chè Tân Cương vào vụ thu hoạch",
            lead="Nông dân Thái Nguyên thu hái chè búp đầu vụ.",
            body="Giá chè búp tươi năm nay tăng nhẹ, người trồng chè ở xã Tân Cương phấn khởi.",
            url="https://example.vn/che", published=datetime(2023, 4, 2, tzinfo=VN),
            source="Báo Thái Nguyên", category="Kinh tế", regions=["thai-nguyen"]),
    Article(id="dua-ghe", title="Lễ hội đua ghe ngo ở Sóc Trăng",
            lead="Hàng trăm vận động viên tham gia đua ghe ngo trên sông Maspero.",
            body="Lễ hội Oóc Om Bóc thu hút đông đảo du khách. Đội ghe ngo chùa Prếk Chrôi về nhất.",
            source="Báo Sóc Trăng", category="Văn hóa"),
    Article(id="giao-thong", title="Khởi công cầu mới qua sông Hồng",
            body="UBND TP. Hà Nội khởi công cây cầu dài 1.250 m, dự kiến hoàn thành năm 2027.",
            published=datetime(2025, 1, 10, 7, 0, tzinfo=VN), source="Hà Nội Mới", category="Giao thông"),
]


def build(out: Path) -> None:
    """A fresh index of :data:`ARTICLES` in ``out`` (replacing what was there), in one segment."""
    shutil.rmtree(out, ignore_errors=True)
    stats = write_articles(out, ARTICLES)
    (out / "MAIN_WRITELOCK").unlink(missing_ok=True)  # an empty lock file: Whoosh recreates it
    print(f"{out}: {stats.summary()}, {sum(f.stat().st_size for f in out.iterdir()):,} bytes")


if __name__ == "__main__":
    default = Path(__file__).resolve().parent / f"ondisk-v{SCHEMA_VERSION}"
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
