"""The search page in headless Chromium: facet values wrap between words, the skip link reaches the
first result, one link per result to its page (plus one to the original), centred on wide screens."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from indexer.models import Article
from tests.helpers import CHROMIUM

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python package) is not installed")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

VN = timezone(timedelta(hours=7))
QUERY = "giá vàng"
# long values as inputs give them (written straight into the index, so kept as given)
SOURCES = ["baocongthuong.com.vn", "xahoithongtin.com.vn", "Sài Gòn Đầu tư Tài chính", "VnExpress",
           "thongtincongnghe.com", "Doanh nhân Sài Gòn", "Kinh tế & Đô thị", "Tuổi Trẻ"]
CATEGORIES = ["Đối nội - Đối ngoại", "Thiết bị - Phần cứng", "Sách báo - Văn thơ", "Kinh doanh"]
REGIONS = [["Thành phố Hồ Chí Minh"], ["Bà Rịa - Vũng Tàu"], ["Thừa Thiên Huế"], ["Hà Nội"]]


@pytest.fixture(scope="module")
def web_articles() -> list[Article]:
    out = []
    for i in range(24):
        out.append(Article(
            id=f"gold-{i:02d}", title=f"Giá vàng phiên {i + 1} tăng mạnh, nhà đầu tư chốt lời",
            lead=f"Giá vàng miếng phiên thứ {i + 1} tăng thêm {100 + i} nghìn đồng mỗi lượng.",
            body="Giá vàng trong nước biến động theo thế giới.\nNhiều người mua vàng tích trữ.",
            url=f"https://{SOURCES[i % 2]}/gia-vang-{i}.html" if i % 3 else "",
            source=SOURCES[i % len(SOURCES)], category=CATEGORIES[i % len(CATEGORIES)],
            published=datetime(2024, 1 + i % 12, 1 + i, 8, tzinfo=VN), regions=REGIONS[i % len(REGIONS)]))
    return out


def _open(browser: sync_api.Browser, url: str, width: int) -> sync_api.Page:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(url)
    return page


# each word of each facet value: the tops of its line boxes (one top: the word is not broken)
_WORD_LINES = """() => {
  const out = [];
  for (const span of document.querySelectorAll('.facet .v')) {
    const text = span.firstChild;
    const lines = new Set();
    for (const m of text.data.matchAll(/\\S+/g)) {
      const r = document.createRange();
      r.setStart(text, m.index);
      r.setEnd(text, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top)));
      out.push({value: text.data, word: m[0], lines: tops.size, long: span.classList.contains('long')});
      [...r.getClientRects()].forEach(b => lines.add(Math.round(b.top)));
    }
    out.push({value: text.data, word: null, lines: lines.size,
              overflow: span.closest('label').scrollWidth > span.closest('label').clientWidth + 1});
  }
  return out;
}"""


@pytest.mark.parametrize("width", [1280, 800, 375])
def test_facet_values_wrap_between_words(browser: sync_api.Browser, live_url: str, width: int) -> None:
    page = _open(browser, f"{live_url}/?q={QUERY}", width)
    if page.locator("#filters").get_attribute("open") is None:  # folded on phones
        page.locator("#filters > summary").click()
    for more in page.locator("details.more summary").all():
        more.click()
    words = page.evaluate(_WORD_LINES)
    values = {w["value"] for w in words}
    assert {"baocongthuong.com.vn", "Sài Gòn Đầu tư Tài chính", "Thành phố Hồ Chí Minh"} <= values
    broken = [w for w in words if w["word"] and w["lines"] != 1]
    assert broken == []  # no word split over two lines ("baocongthuong.com.|vn")
    assert not [w for w in words if w["word"] is None and w["overflow"]]  # and nothing sticks out
    if width >= 800:  # the check is not vacuous: some values do wrap (between their words) in the panel
        assert any(w["word"] is None and w["lines"] > 1 for w in words)
    page.close()


def test_the_skip_link_reaches_the_first_result(browser: sync_api.Browser, live_url: str) -> None:
    page = _open(browser, f"{live_url}/?q={QUERY}", 1280)
    page.keyboard.press("Tab")
    sync_api.expect(page.locator(".skip-link")).to_be_focused()
    sync_api.expect(page.locator(".skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the second Tab from the top of the page
    first = page.locator(".hit-title a").first
    sync_api.expect(first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/articles/gold-*")
    page.close()


def test_the_skip_link_of_the_home_page_leads_to_its_content(browser: sync_api.Browser, live_url: str) -> None:
    page = _open(browser, live_url + "/", 1280)
    page.keyboard.press("Tab")
    sync_api.expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    sync_api.expect(page.locator(".examples a").first).to_be_focused()
    page.close()


def test_one_link_to_the_article_page_and_one_to_the_original(browser: sync_api.Browser, live_url: str) -> None:
    page = _open(browser, f"{live_url}/?q={QUERY}&per_page=24", 1280)
    hits = page.locator(".hit")
    sync_api.expect(hits).to_have_count(24)
    with_original = 0
    for hit in hits.all():
        hrefs = hit.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        local = [h for h in hrefs if h.startswith("/articles/")]
        external = [h for h in hrefs if h.startswith("https://")]
        assert len(local) == 1 and hit.locator(".hit-title a").get_attribute("href") == local[0]
        assert len(external) <= 1 and len(hrefs) == len(local) + len(external)
        if external:
            with_original += 1
            host = external[0].split("/")[2]
            sync_api.expect(hit.locator("a.host")).to_contain_text(host)
    assert with_original == 16  # two articles in three have an address
    assert page.get_by_text("Đọc trên Tìm tin").count() == 0
    page.close()


def _box(page: sync_api.Page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


@pytest.mark.parametrize("width", [1920, 2560])
def test_the_pages_are_centred_on_wide_screens(browser: sync_api.Browser, live_url: str, width: int) -> None:
    page = _open(browser, live_url + "/", width)
    for selector in (".intro", ".site-footer p"):
        box = _box(page, selector)
        assert abs(box["x"] - (width - box["x"] - box["width"])) <= 2, selector  # as much room left as right
    brand, form = _box(page, ".brand"), _box(page, ".search-box")
    left, right = brand["x"], width - form["x"] - form["width"]
    assert abs(left - right) <= 2 and left > width / 5  # the header's brand and box too
    page.goto(f"{live_url}/?q={QUERY}")
    box = _box(page, ".layout")
    assert abs(box["x"] - (width - box["x"] - box["width"])) <= 2
    page.close()
