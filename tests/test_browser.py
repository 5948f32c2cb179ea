"""End-to-end test of the search page in headless Chromium (Playwright), against the real app."""

from __future__ import annotations

import pytest

from tests.helpers import CHROMIUM, PARTY_QUERY, party_articles

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python package) is not installed")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)


def _watch(page: sync_api.Page) -> list[str]:
    """Console errors (CSP violations show up here) and uncaught page errors."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_search_paginate_filter_and_read(browser: sync_api.Browser, live_url: str,
                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    expect = sync_api.expect
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = _watch(page)
    page.goto(live_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    # keyboard: the first Tab reaches the skip link
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()

    # search without diacritics; accented words are marked
    page.get_by_label("Từ khoá tìm kiếm").fill(PARTY_QUERY)
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=dai+hoi+dang")
    expect(page.locator("#result-count")).to_contain_text(f"Khoảng {len(party_articles())} kết quả")
    expect(page.locator(".hit")).to_have_count(10)
    expect(page.locator(".hit-title mark").first).to_have_text("Đại hội Đảng")
    expect(page.get_by_label("Từ khoá tìm kiếm")).to_have_value(PARTY_QUERY)

    # page 2
    page.get_by_role("navigation", name="Phân trang").get_by_role("link", name="Sau").click()
    page.wait_for_url("**page=2**")
    expect(page.locator(".hit")).to_have_count(len(party_articles()) - 10)
    expect(page.locator('.pagination [aria-current="page"]')).to_contain_text("2")

    # a source filter: ticking the box applies it at once (app.js)
    page.get_by_role("checkbox", name="VnExpress").check()
    page.wait_for_url("**source=VnExpress**")
    expect(page.locator("#result-count")).to_contain_text("Khoảng 5 kết quả")
    expect(page.locator(".hit .source")).to_have_text(["VnExpress"] * 5)
    expect(page.get_by_role("checkbox", name="VnExpress")).to_be_checked()

    # newest first
    page.get_by_role("link", name="Mới nhất").click()
    page.wait_for_url("**sort=newest**")
    dates = page.locator(".hit time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert dates == sorted(dates, reverse=True) and len(dates) == 5

    # open an article here; the query's words stay marked
    page.locator(".hit-title a").first.click()
    page.wait_for_url("**/articles/party-*")
    expect(page.locator("h1 mark").first).to_have_text("Đại hội Đảng")
    expect(page.locator(".body p")).to_have_count(3)
    shot = tmp_path_factory.mktemp("screens") / "article.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000
    assert problems == []
    page.close()


def test_works_without_javascript(browser: sync_api.Browser, live_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_url + "/?q=dai+hoi+dang")
    page.get_by_role("checkbox", name="Tuổi Trẻ").check()
    page.locator("#from").fill("2024-06-01")
    page.get_by_role("button", name="Áp dụng").click()
    page.wait_for_url("**from=2024-06-01**")
    assert "source=Tu%E1%BB%95i+Tr%E1%BA%BB" in page.url
    count = page.locator(".hit").count()
    assert count == 3  # Tuổi Trẻ from June: Cần Thơ (06/06), Lâm Đồng (09/09), Cà Mau (12/12)
    sync_api.expect(page.locator(".hit .source")).to_have_text(["Tuổi Trẻ"] * 3)
    context.close()


def test_narrow_screen(browser: sync_api.Browser, live_url: str,
                       tmp_path_factory: pytest.TempPathFactory) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 800})
    problems = _watch(page)
    page.goto(live_url + "/?q=dai+hoi+dang")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    sync_api.expect(page.locator("#filters")).not_to_have_attribute("open", "")  # folded on phones
    page.locator("#filters summary").click()
    sync_api.expect(page.get_by_role("checkbox", name="VnExpress")).to_be_visible()
    shot = tmp_path_factory.mktemp("screens") / "results-375.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert problems == []
    page.close()


def test_autocomplete_and_did_you_mean(browser: sync_api.Browser, live_url: str,
                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    expect = sync_api.expect
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = _watch(page)
    page.goto(live_url + "/")
    box = page.get_by_role("combobox", name="Từ khoá tìm kiếm")
    expect(box).to_have_attribute("aria-expanded", "false")
    listbox = page.get_by_role("listbox", name="Gợi ý tìm kiếm")
    expect(listbox).to_be_hidden()

    # typing a prefix opens the list; ArrowDown + Enter searches for the first suggestion
    box.press_sequentially("dai h", delay=40)
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options.first).to_contain_text("đại hội Đảng")
    assert 2 <= options.count() <= 8
    assert box.get_attribute("aria-controls") == listbox.get_attribute("id")
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id") or "")
    first = options.first.inner_text().strip()
    expect(box).to_have_value(first)
    box.press("Enter")
    page.wait_for_url("**/?q=*")
    expect(box).to_have_value(first)
    expect(page.locator("#result-count")).to_contain_text("kết quả")
    assert page.locator(".hit").count() >= 1

    # Escape closes the list; ArrowDown opens it again; ArrowUp from the top wraps to the last option
    box.fill("")
    box.press_sequentially("bao", delay=40)
    expect(listbox).to_be_visible()
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("bao")
    box.press("ArrowDown")
    expect(listbox).to_be_visible()
    box.press("ArrowUp")
    expect(options.last).to_have_attribute("aria-selected", "true")

    # "did you mean": an unaccented query gets a link to the accented one
    page.goto(live_url + "/?q=bao+lu+mien+trung")
    link = page.locator(".suggestion a")
    expect(link).to_have_text("bão lũ miền Trung")
    page.locator("#q").click()
    page.locator("#q").press("End")
    page.locator("#q").press_sequentially(" ", delay=40)
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("mien t", delay=40)
    expect(listbox).to_be_visible()
    shot = tmp_path_factory.mktemp("screens") / "autocomplete.png"
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    page.locator("#q").press("Escape")
    link.click()
    page.wait_for_url("**q=b%C3%A3o**")
    expect(page.locator(".suggestion")).to_have_count(0)

    # a title suggestion leads to its article
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("gia xang", delay=40)
    title = listbox.locator(".suggestion-title").first
    expect(title).to_be_visible()
    title.click()
    page.wait_for_url("**/articles/fuel-*")
    expect(page.locator("h1")).to_contain_text("Giá xăng")
    expect(page.get_by_role("heading", name="Tin liên quan")).to_be_visible()
    assert problems == []
    page.close()
