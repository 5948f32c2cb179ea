"""Tests for the web front end (webapp): JSON API contract, HTML pages, errors, security, live updates."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import webapp
from indexer.models import Article
from indexer.store.index import write_articles
from tests.helpers import PARTY_QUERY, VN, XSS, fixture_articles, get_json, party_articles
from webapp.server import gunicorn_options, serve
from webapp.validation import clean
from webapp.views import vn_date, vn_number

ROOT = Path(__file__).resolve().parents[1]
N_DOCS = len(fixture_articles())
N_PARTY = len(party_articles())
HIT_KEYS = ["id", "title", "url", "source", "category", "author", "published", "score", "title_html",
            "snippet_html"]
TOP_KEYS = ["query", "total", "page", "per_page", "took_ms", "results", "facets", "suggestion"]
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def html(client: FlaskClient, url: str, status: int = 200) -> str:
    resp = client.get(url)
    assert resp.status_code == status, resp.data[:500]
    assert resp.mimetype == "text/html"
    text = resp.get_data(as_text=True)
    assert '<html lang="vi">' in text
    return text


# -- GET /search: the contract ---------------------------------------------------------------------


def test_search_contract(client: FlaskClient) -> None:
    data = get_json(client, "/search", query_string={"q": PARTY_QUERY})
    assert list(data) == TOP_KEYS
    assert data["query"] == PARTY_QUERY
    assert (data["total"], data["page"], data["per_page"]) == (N_PARTY, 1, 10)
    assert isinstance(data["took_ms"], float) and data["took_ms"] >= 0
    assert data["suggestion"] == "đại hội Đảng"  # the query had no diacritics
    assert len(data["results"]) == 10
    for hit in data["results"]:
        assert list(hit) == HIT_KEYS
        assert hit["id"].startswith("party-")
        assert "<mark>Đại hội Đảng</mark>" in hit["title_html"]
        assert "<mark>" in hit["snippet_html"]
        assert hit["published"].startswith("2024-")
    scores = [h["score"] for h in data["results"]]
    assert scores == sorted(scores, reverse=True)
    assert set(data["facets"]) == {"source", "category", "region", "month"}
    assert sum(f["count"] for f in data["facets"]["source"]) == N_PARTY
    assert {f["value"] for f in data["facets"]["category"]} == {"Thời sự", "Chính trị"}


def test_search_trims_query_and_keeps_vietnamese_unescaped(client: FlaskClient) -> None:
    resp = client.get("/search", query_string={"q": "  bão lũ  "})
    assert resp.status_code == 200
    assert '"query":"bão lũ"' in resp.get_data(as_text=True)  # UTF-8, not \u escapes
    assert resp.headers["Cache-Control"] == "no-store"


def test_pagination(client: FlaskClient) -> None:
    first = get_json(client, "/search", query_string={"q": PARTY_QUERY})
    second = get_json(client, "/search", query_string={"q": PARTY_QUERY, "page": 2})
    assert second["page"] == 2 and second["total"] == N_PARTY
    assert len(second["results"]) == N_PARTY - 10
    ids = [h["id"] for h in first["results"] + second["results"]]
    assert sorted(ids) == sorted(a.id for a in party_articles())
    small = get_json(client, "/search", query_string={"q": PARTY_QUERY, "per_page": 5, "page": 3})
    assert small["per_page"] == 5 and [h["id"] for h in small["results"]] == ids[10:14]
    beyond = get_json(client, "/search", query_string={"q": PARTY_QUERY, "page": 9})
    assert beyond["results"] == [] and beyond["total"] == N_PARTY
    assert len(get_json(client, "/search?q=dai+hoi+dang&per_page=100")["results"]) == N_PARTY


@pytest.mark.parametrize("sort, reverse", [("newest", True), ("oldest", False)])
def test_sort_by_date(client: FlaskClient, sort: str, reverse: bool) -> None:
    data = get_json(client, "/search", query_string={"q": PARTY_QUERY, "sort": sort, "per_page": 100})
    dates = [datetime.fromisoformat(h["published"]) for h in data["results"]]
    assert len(dates) == N_PARTY and dates == sorted(dates, reverse=reverse)


def test_source_filter_and_facet_counts(client: FlaskClient) -> None:
    data = get_json(client, "/search", query_string={"q": PARTY_QUERY, "source": "VnExpress"})
    assert data["total"] == 5
    assert {h["source"] for h in data["results"]} == {"VnExpress"}
    # a field's own filter does not narrow its counts (so more sources can be ticked) ...
    assert {f["value"]: f["count"] for f in data["facets"]["source"]} == {
        "Nhân Dân": 5, "VnExpress": 5, "Tuổi Trẻ": 4}
    both = get_json(client, "/search?q=dai+hoi+dang&source=VnExpress&source=Tu%E1%BB%95i+Tr%E1%BA%BB")
    assert both["total"] == 9 and {h["source"] for h in both["results"]} == {"VnExpress", "Tuổi Trẻ"}


def test_facet_counts_follow_the_other_filters(client: FlaskClient) -> None:
    data = get_json(client, "/search", query_string={"q": PARTY_QUERY, "source": "VnExpress"})
    assert sum(f["count"] for f in data["facets"]["category"]) == 5
    dated = get_json(client, "/search", query_string={"q": PARTY_QUERY, "from": "2024-11-01"})
    assert sum(f["count"] for f in dated["facets"]["source"]) == dated["total"] == 2


def test_category_and_region_filters(client: FlaskClient) -> None:
    data = get_json(client, "/search", query_string={"q": PARTY_QUERY, "category": "Chính trị"})
    assert data["total"] == 7 and {h["category"] for h in data["results"]} == {"Chính trị"}
    both = get_json(client, "/search", query_string=[("q", PARTY_QUERY), ("category", "Chính trị"),
                                                      ("region", "Miền Bắc")])
    assert both["total"] == 7  # the odd-numbered articles are both
    none = get_json(client, "/search", query_string={"q": PARTY_QUERY, "source": "Không có"})
    assert none["total"] == 0 and none["results"] == []


def test_date_filters_are_inclusive_days_in_vietnam_time(client: FlaskClient) -> None:
    def ids(**params: str) -> set[str]:
        data = get_json(client, "/search", query_string={"q": PARTY_QUERY, "per_page": 100, **params})
        return {h["id"] for h in data["results"]}

    assert ids(**{"from": "2024-06-06", "to": "2024-06-06"}) == {"party-05"}
    assert ids(**{"from": "2024-11-01"}) == {"party-10", "party-11"}
    assert ids(to="2024-02-02") == {"party-00", "party-01", "party-12"}
    # published 2022-12-31 23:00 in Vietnam (16:00 UTC): that Vietnamese day, not the next one
    assert get_json(client, "/search?q=ban+tin+noi+bo&to=2022-12-31")["total"] == 1
    assert get_json(client, "/search?q=ban+tin+noi+bo&from=2023-01-01")["total"] == 0


BAD_REQUESTS = [
    ("", "missing_parameter"),
    ("q=", "invalid_parameter"),
    ("q=+++", "invalid_parameter"),
    ("q=" + "a" * 501, "invalid_parameter"),
    ("q=x&page=0", "invalid_parameter"),
    ("q=x&page=-1", "invalid_parameter"),
    ("q=x&page=abc", "invalid_parameter"),
    ("q=x&page=1.5", "invalid_parameter"),
    ("q=x&page=99999999999999999999", "invalid_parameter"),
    ("q=x&page=1&page=2", "invalid_parameter"),
    ("q=x&per_page=0", "invalid_parameter"),
    ("q=x&per_page=101", "invalid_parameter"),
    ("q=x&page=101&per_page=100", "invalid_parameter"),
    ("q=x&page=1001", "invalid_parameter"),
    ("q=x&sort=best", "invalid_parameter"),
    ("q=x&from=2024-13-01", "invalid_parameter"),
    ("q=x&from=2024-02-30", "invalid_parameter"),
    ("q=x&to=01/02/2024", "invalid_parameter"),
    ("q=x&from=2024-2-1", "invalid_parameter"),
    ("q=x&from=2024-05-02&to=2024-05-01", "invalid_parameter"),
    ("q=x&" + "&".join(f"source=s{i}" for i in range(51)), "invalid_parameter"),
    ("q=x&category=" + "c" * 201, "invalid_parameter"),
]


@pytest.mark.parametrize("query, code", BAD_REQUESTS)
def test_bad_parameters_are_400_with_a_message(client: FlaskClient, query: str, code: str) -> None:
    resp = client.get("/search?" + query)
    assert resp.status_code == 400
    body = resp.get_json()
    assert list(body) == ["error"] and list(body["error"]) == ["code", "message"]
    assert body["error"]["code"] == code
    assert len(body["error"]["message"]) > 10 and "Traceback" not in body["error"]["message"]


def test_limits_are_inclusive(client: FlaskClient) -> None:
    assert get_json(client, "/search", query_string={"q": "a" * 500})["total"] == 0
    assert get_json(client, "/search?q=x&page=100&per_page=100")["page"] == 100
    assert get_json(client, "/search?q=x&page=1000")["page"] == 1000
    assert get_json(client, "/search?q=x&from=2024-05-01&to=2024-05-01")["total"] == 0
    # empty filters and dates (as a blank HTML form sends them) count as not given; an empty number or sort
    # is a 400, as the OpenAPI document says (it has no value for them)
    assert get_json(client, "/search?q=dai+hoi+dang&from=&to=&source=&region=+")["total"] == N_PARTY
    for empty in ("page=", "per_page=", "sort="):
        assert get_json(client, "/search?q=dai+hoi+dang&" + empty, 400)["error"]["code"] == "invalid_parameter"
    assert get_json(client, "/suggest?q=dai&limit=", 400)["error"]["code"] == "invalid_parameter"


@pytest.mark.parametrize(("query", "status", "page_status"), [
    ("q=dai%00hoi%00dang", 200, 200), ("q=%ED%A0%80dang", 200, 200), ("q=%C0%AF", 200, 200),
    ("q=dang&source=%00", 200, 200), ("q=dang&from=%00", 200, 200),
    ("q=%00", 400, 200),  # a blank query: an error from the API, the home page in HTML
    ("q=dang&page=%EF%BC%91", 400, 400), ("q=%E2%80%AE%F0%9F%98%80", 200, 200)])
def test_control_characters_and_bad_utf8_do_not_crash(client: FlaskClient, query: str, status: int,
                                                      page_status: int) -> None:
    resp = client.get("/search?" + query)
    assert resp.status_code == status
    body = resp.get_json()
    if status == 200:
        assert list(body) == TOP_KEYS
    else:
        assert body["error"]["code"] == "invalid_parameter"
    assert "\x00" not in resp.get_data(as_text=True)
    assert client.get("/?" + query).status_code == page_status


def test_nul_is_stripped_from_the_query(client: FlaskClient) -> None:
    data = get_json(client, "/search?q=dai%00hoi%00dang")
    assert data["query"] == PARTY_QUERY.replace(" ", " ") and data["total"] == N_PARTY
    assert clean("a\x00b\ud800c\u200bd") == "a b c\u200bd"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.lists(st.tuples(st.sampled_from(["q", "page", "per_page", "sort", "source", "from", "to",
                                                  "category", "region", "x"]),
                                 st.text(max_size=30)), max_size=6))
def test_any_parameters_give_200_or_400(client: FlaskClient, params: list[tuple[str, str]]) -> None:
    params = [(k, clean(v)) for k, v in params]  # the test client cannot send lone surrogates
    resp = client.get("/search", query_string=params)
    assert resp.status_code in (200, 400), resp.data
    assert ("error" in resp.get_json()) == (resp.status_code == 400)
    assert client.get("/", query_string=params).status_code in (200, 400)


# -- errors ----------------------------------------------------------------------------------------


def test_json_errors_for_api_routes(client: FlaskClient) -> None:
    resp = client.post("/search?q=x")
    assert resp.status_code == 405 and resp.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in resp.headers["Allow"]
    assert get_json(client, "/search/more", 404)["error"]["code"] == "not_found"
    assert get_json(client, "/api/nothing", 404)["error"]["code"] == "not_found"


def test_html_errors_for_pages(client: FlaskClient) -> None:
    page = html(client, "/khong-co", 404)
    assert "Không tìm thấy trang" in page
    assert client.post("/").status_code == 405


def test_unexpected_errors_are_500_without_traceback(web_index: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    app = webapp.create_app(str(web_index))

    def boom(*_a: object, **_k: object) -> None:
        raise ValueError("secret internals")

    monkeypatch.setattr("webapp.core.search", boom)
    client = app.test_client()
    resp = client.get("/search?q=x")
    assert resp.status_code == 500
    assert resp.get_json() == {"error": {"code": "internal_error",
                                         "message": "Something went wrong on our side; please try again."}}
    page = client.get("/?q=x")
    assert page.status_code == 500 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "Đã có lỗi xảy ra" in text and "secret" not in text and "Traceback" not in text


def test_missing_index_is_503(tmp_path: Path) -> None:
    client = webapp.create_app(str(tmp_path / "none")).test_client()
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "index_unavailable"
    assert client.get("/search?q=x").status_code == 503
    assert "tạm thời không sẵn sàng" in html(client, "/", 503)


def test_default_index_dir_from_environment(monkeypatch: pytest.MonkeyPatch, web_index: Path) -> None:
    monkeypatch.setenv("TIMTIN_INDEX", str(web_index))
    assert webapp.create_app().config["INDEX_DIR"] == str(web_index)
    monkeypatch.delenv("TIMTIN_INDEX")
    assert webapp.create_app().config["INDEX_DIR"] == "var/index"


# -- HTML: the search page -------------------------------------------------------------------------


def test_empty_state(client: FlaskClient) -> None:
    page = html(client, "/")
    assert "Tìm kiếm tin tức tiếng Việt" in page
    assert f"<strong>{N_DOCS}</strong> bài báo" in page
    assert 'href="/?q=dai+hoi+dang"' in page and "bão lũ miền Trung" in page
    assert 'role="search"' in page and '<label class="visually-hidden" for="q">' in page
    assert 'class="skip-link" href="#main"' in page and '<main id="main"' in page


def test_results_page(client: FlaskClient) -> None:
    page = html(client, "/?q=dai+hoi+dang")
    assert 'value="dai hoi dang"' in page  # the box keeps the query
    assert re.search(r'aria-live="polite">Khoảng 14 kết quả \(0,\d\d giây\)', page)
    assert page.count('<li class="hit">') == 10
    assert "<mark>Đại hội Đảng</mark> bộ tỉnh" in page
    # the title links to the page here; an http(s) original gets one more link, named by its host
    assert re.search(r'<h2 class="hit-title"><a href="/articles/party-\d+\?q=dai\+hoi\+dang">', page)
    assert re.search(r'<a class="host" href="https://(nhandan\.vn|vnexpress\.net)/dai-hoi-\d+\.html" rel="noopener">'
                     r'<span class="visually-hidden">Bài gốc trên </span>(nhandan\.vn|vnexpress\.net)', page)
    assert page.count('href="/articles/party-') == 10 and page.count('class="host" href="https://') == 10
    assert "Đọc trên Tìm tin" not in page
    assert 'href="/articles/party-04?q=dai+hoi+dang"' in page
    assert "05/05/2024" in page  # dd/mm/yyyy
    assert '<form method="get" action="/" class="filter-form">' in page
    assert re.search(r'name="source" value="VnExpress">\s*<label for="f-source-\d"><span class="v">VnExpress</span> '
                     r'<span class="n">5</span>', page)
    assert 'type="date" id="from" name="from"' in page and "Áp dụng" in page
    assert 'aria-current="true">Liên quan nhất</a>' in page
    assert 'href="/?q=dai+hoi+dang&amp;sort=newest">Mới nhất</a>' in page
    assert 'aria-label="Phân trang"' in page and 'href="/?q=dai+hoi+dang&amp;page=2" rel="next"' in page


def test_results_page_two_sorted_and_filtered(client: FlaskClient) -> None:
    page = html(client, "/?q=dai+hoi+dang&page=2&sort=newest&source=Nh%C3%A2n+D%C3%A2n")
    assert "Khoảng 5 kết quả" in page and page.count('<li class="hit">') == 0  # only one page of 5
    assert "Trang này không còn kết quả" in page
    page = html(client, "/?q=dai+hoi+dang&page=2")
    assert page.count('<li class="hit">') == 4 and re.search(r'<ol class="hits"[^>]* start="11">', page)
    assert 'aria-current="page"><span class="visually-hidden">Trang </span>2</a>' in page
    newest = html(client, "/?q=dai+hoi+dang&sort=newest&source=Nh%C3%A2n+D%C3%A2n")
    assert 'aria-current="true">Mới nhất</a>' in newest
    order = [newest.index(place) for place in ("Bình Định", "Quảng Ninh", "Đà Nẵng", "Nam Định", "Hà Nội")]
    assert order == sorted(order)
    # the filter and sort are kept in the search form and the pagination links
    assert '<input type="hidden" name="source" value="Nhân Dân">' in newest
    assert 'name="source" value="Nhân Dân" checked>' in newest


def test_no_results_state(client: FlaskClient) -> None:
    page = html(client, "/?q=xyzzy+qwerty")
    assert "Không tìm thấy bài nào khớp với “xyzzy qwerty”" in page
    assert "Kiểm tra lại chính tả" in page and "tìm lại mà không lọc" not in page
    filtered = html(client, "/?q=bao+lu&source=VnExpress&from=2024-01-01")
    assert "Không tìm thấy bài nào" in filtered
    assert 'name="source" value="VnExpress" checked>' in filtered  # still shown, so it can be unticked
    assert '<a href="/?q=bao+lu">tìm lại mà không lọc</a>' in filtered


def test_relaxed_notice(client: FlaskClient) -> None:
    page = html(client, "/?q=b%C3%A3o+x%C4%83ng+futsal+d%E1%BA%A7u")
    assert "Không có bài nào chứa đủ mọi từ; hiển thị các bài chứa nhiều từ nhất." in page
    assert "Không có bài nào chứa đủ mọi từ" not in html(client, "/?q=dai+hoi+dang")


def test_invalid_parameters_on_the_page_are_explained(client: FlaskClient) -> None:
    page = html(client, "/?q=dang&from=2024-05-02&to=2024-05-01", 400)
    assert "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc." in page
    assert "Câu tìm kiếm dài quá 500 ký tự." in html(client, "/?q=" + "x" * 501, 400)


def test_non_web_urls_link_to_the_article_page(client: FlaskClient) -> None:
    page = html(client, "/?q=m%C3%A3+%C4%91%E1%BB%99c")
    assert "javascript:" not in page
    assert '<h2 class="hit-title"><a href="/articles/xss-1?q=m%C3%A3+%C4%91%E1%BB%99c">' in page
    page = html(client, "/?q=ban+tin+noi+bo")
    assert 'href="/articles/local/no-url%201?q=ban+tin+noi+bo"' in page
    assert "31/12/2022" in page


# -- HTML: article pages ---------------------------------------------------------------------------


def test_article_page_with_marks(client: FlaskClient) -> None:
    page = html(client, "/articles/party-03?q=dai+hoi+dang")
    assert '<h1 id="article-title"><mark>Đại hội Đảng</mark> bộ tỉnh Đà Nẵng nhiệm kỳ 2025-2030</h1>' in page
    assert '<p class="lead">Sáng nay, <mark>Đại hội đại</mark> biểu <mark>Đảng</mark>' in page
    body = page[page.index('<div class="body">'):page.index("</div>", page.index('<div class="body">'))]
    assert body.count("<p>") == 3 and "<mark>đại hội Đảng</mark> các cấp" in body
    assert "04/04/2024 08:30" in page and "Phóng viên" in page and "Nhân Dân" in page
    assert ('<a href="https://nhandan.vn/dai-hoi-3.html" rel="noopener">Đọc bài gốc trên nhandan.vn</a>'
            in page)
    assert 'href="/?q=dai+hoi+dang">‹ Quay lại kết quả' in page


def test_article_page_without_query_and_odd_ids(client: FlaskClient) -> None:
    page = html(client, "/articles/party-03")
    assert "<mark>" not in page and "Đại hội Đảng bộ tỉnh Đà Nẵng" in page
    page = html(client, "/articles/local/no-url%201")
    assert "Bản tin nội bộ về hội nghị" in page and "Đọc bài gốc" not in page


@pytest.mark.parametrize("path", ["/articles/khong-ton-tai", "/articles/party-03x", "/articles/",
                                  "/articles/a%00b"])
def test_unknown_article_is_a_vietnamese_404_page(client: FlaskClient, path: str) -> None:
    page = html(client, path, 404)
    assert "Không tìm thấy trang" in page and "Về trang tìm kiếm" in page


# -- escaping --------------------------------------------------------------------------------------


def test_api_escapes_article_fields(client: FlaskClient) -> None:
    hit = get_json(client, "/search", query_string={"q": "mã độc"})["results"][0]
    assert hit["id"] == "xss-1" and XSS in hit["title"]  # the raw field is data, as stored
    assert "<script>" not in hit["title_html"] and "&lt;script&gt;alert(&quot;x&quot;)" in hit["title_html"]
    assert hit["title_html"].startswith("Cảnh báo <mark>mã độc</mark>")
    assert "<b>" not in hit["snippet_html"] and "&lt;b&gt;thẻ HTML&lt;/b&gt; &amp;" in hit["snippet_html"]


def test_pages_escape_fields_and_query(client: FlaskClient) -> None:
    page = html(client, "/?q=m%C3%A3+%C4%91%E1%BB%99c")
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    assert "An ninh &lt;mạng&gt;" in page and "<mạng>" not in page
    attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    for url in ("/", "/articles/xss-1"):
        resp = client.get(url, query_string={"q": attack})
        text = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text
    article = html(client, "/articles/xss-1?q=m%C3%A3+%C4%91%E1%BB%99c")
    assert "<script>alert" not in article and "<img src=x" not in article and "<b>" not in article
    assert "&lt;img src=x onerror=alert(1)&gt;" in article
    assert "javascript:" not in article


# -- security headers and static files -------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/?q=dang", "/articles/party-01", "/search?q=dang", "/healthz",
                                 "/openapi.json", "/static/style.css", "/nope", "/search"])
def test_security_headers(client: FlaskClient, url: str) -> None:
    resp = client.get(url)
    assert resp.headers["Content-Security-Policy"] == CSP
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url", ["/", "/?q=dai+hoi+dang", "/?q=xyzzy", "/articles/party-01?q=dang", "/nope",
                                 "/?q=x&page=0"])
def test_pages_have_no_inline_scripts_or_styles(client: FlaskClient, url: str) -> None:
    text = client.get(url).get_data(as_text=True)
    assert re.findall(r"<script\b[^>]*>", text) == ['<script src="/static/app.js" defer>']
    assert not re.search(r"\sstyle=|<style\b|\son[a-z]+=", text)


def test_static_files(client: FlaskClient) -> None:
    files = [("style.css", "text/css"), ("app.js", "text/javascript"), ("favicon.svg", "image/svg+xml")]
    for name, mime in files:
        resp = client.get(f"/static/{name}")
        assert resp.status_code == 200 and resp.mimetype == mime
        resp.close()


def test_request_size_is_limited(app: Flask) -> None:
    assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 1024 * 1024
    resp = app.test_client().post("/", data={"q": "x" * 200_000})
    assert resp.status_code in (405, 413)


# -- /healthz and /openapi.json --------------------------------------------------------------------


def test_healthz(client: FlaskClient) -> None:
    assert get_json(client, "/healthz") == {"status": "ok", "documents": N_DOCS, "shards": 1}


def _validator(spec: dict, schema: dict):
    from openapi_schema_validator import OAS31Validator

    return OAS31Validator({**schema, "components": spec["components"]})


def _response_schema(spec: dict, path: str, status: int) -> dict:
    return spec["paths"][path]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]


def test_openapi_document_is_valid(client: FlaskClient) -> None:
    spec = get_json(client, "/openapi.json")
    assert spec["openapi"].startswith("3.")
    assert {"/search", "/search.csv", "/search.jsonl", "/feed.atom", "/suggest", "/healthz", "/openapi.json", "/",
            "/articles/{article_id}", "/api/articles", "/api/articles/{id}"} <= set(spec["paths"])
    validate_spec = pytest.importorskip("openapi_spec_validator").validate
    validate_spec(spec)


def test_openapi_matches_real_responses(client: FlaskClient) -> None:
    pytest.importorskip("openapi_schema_validator")
    spec = get_json(client, "/openapi.json")
    params = {p["name"]: p for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert set(params) == {"q", "page", "per_page", "sort", "source", "category", "region", "from", "to"}
    assert params["q"]["required"] and params["per_page"]["schema"]["maximum"] == 100
    assert params["sort"]["schema"]["enum"] == ["relevance", "newest", "oldest"]
    cases = {
        ("/search", 200): ["/search?q=dai+hoi+dang", "/search?q=xyzzy", "/search?q=dang&page=50",
                           "/search?q=dai+hoi+dang&source=VnExpress&category=Ch%C3%ADnh+tr%E1%BB%8B&region="
                           "Mi%E1%BB%81n+B%E1%BA%AFc&from=2024-01-01&to=2024-12-31&sort=oldest&per_page=3",
                           "/search?q=ban+tin+noi+bo", "/search?q=benh+vien"],
        ("/search", 400): ["/search", "/search?q=x&page=0", "/search?q=x&from=2024-02-31"],
        ("/healthz", 200): ["/healthz"],
    }
    for (path, status), urls in cases.items():
        validator = _validator(spec, _response_schema(spec, path, status))
        for url in urls:
            body = get_json(client, url, status)
            errors = [e.message for e in validator.iter_errors(body)]
            assert not errors, (url, errors)
    # null "published" (undated article) and the error codes of 404/405 fit the schemas too
    undated = get_json(client, "/search?q=benh+vien")["results"][0]
    assert undated["id"] == "health-1" and undated["published"] is None
    error = _validator(spec, {"$ref": "#/components/schemas/Error"})
    for resp in (client.get("/search/x"), client.post("/search")):
        assert not list(error.iter_errors(resp.get_json()))


# -- live updates ----------------------------------------------------------------------------------


def test_new_articles_become_searchable_without_restart(tmp_path: Path) -> None:
    index = tmp_path / "live"
    write_articles(index, fixture_articles()[:3])
    client = webapp.create_app(str(index)).test_client()
    assert get_json(client, "/search?q=khinh+khi+cau")["total"] == 0
    assert get_json(client, "/healthz")["documents"] == 3
    write_articles(index, [Article(id="live-1", title="Lễ hội khinh khí cầu quốc tế ở Huế",
                                   body="Hàng trăm khinh khí cầu bay trên sông Hương.", source="Tuổi Trẻ",
                                   published=datetime(2025, 3, 1, 9, tzinfo=VN))])
    deadline = time.monotonic() + 5
    while True:
        data = get_json(client, "/search?q=khinh+khi+cau")
        if data["total"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [h["id"] for h in data["results"]] == ["live-1"]
    assert "<mark>khinh khí cầu</mark>" in data["results"][0]["title_html"]
    assert get_json(client, "/healthz")["documents"] == 4
    assert "Lễ hội khinh khí cầu" in html(client, "/articles/live-1")


# -- formatting helpers ----------------------------------------------------------------------------


def test_vietnamese_formatting() -> None:
    assert vn_number(1234567) == "1.234.567" and vn_number(12) == "12"
    assert vn_number(0.0234, 2) == "0,02" and vn_number(1234.5, 1) == "1.234,5"
    assert vn_date("2024-05-01T08:30:00+07:00") == "01/05/2024"
    assert vn_date("2024-05-01T20:00:00+00:00", with_time=True) == "02/05/2024 03:00"  # shown in Vietnam time
    assert vn_date("2024-05-01T00:00:00", with_time=True) == "01/05/2024"
    assert vn_date("") == "" and vn_date("not a date") == "" and vn_date(None) == ""
    assert date(2024, 5, 1).strftime("%d/%m/%Y") == "01/05/2024"


# -- serving under gunicorn ------------------------------------------------------------------------


def test_gunicorn_options() -> None:
    opts = gunicorn_options("127.0.0.1", 8123, 3)
    assert opts["bind"] == "127.0.0.1:8123" and opts["workers"] == 3 and opts["timeout"] == 30
    assert opts["limit_request_line"] == 8190 and opts["limit_request_fields"] <= 100
    assert gunicorn_options("::1", 80, 1)["bind"] == "[::1]:80"


def test_serve_refuses_a_missing_index(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        serve(str(tmp_path / "none"), "127.0.0.1", 0, 1)


def test_serve_runs_gunicorn(web_index: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = f"from webapp.server import serve; serve({str(web_index)!r}, '127.0.0.1', {port}, 1)"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={"FLASK_DEBUG": "1", "PATH": ""},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    assert json.load(resp) == {"status": "ok", "documents": N_DOCS, "shards": 1}
                    assert resp.headers["Content-Security-Policy"] == CSP
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/search?q=x&page=0"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url, timeout=5)
        assert err.value.code == 400 and json.load(err.value)["error"]["code"] == "invalid_parameter"
        # FLASK_DEBUG=1 must not turn the debugger on: errors stay plain JSON/HTML
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/console", timeout=5)
        assert err.value.code == 404 and b"Werkzeug" not in err.value.read()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert b"Booting worker" in out, out[-2000:]
