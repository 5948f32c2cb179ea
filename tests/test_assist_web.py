"""Search assistance on the web: "did you mean", /suggest, region filters and facets, related articles."""

from __future__ import annotations

import html as htmllib
import re
import threading
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

import webapp
from indexer.assist.diacritics import model_for
from indexer.models import Article
from indexer.store.index import write_articles
from tests.helpers import VN, XSS, fixture_articles, get_json

FLOOD = "bão lũ miền Trung"


def assist_articles() -> list[Article]:
    """The web fixture plus flood news (for restoration and related articles) and northern provinces."""
    extra = [
        Article(id="flood-1", title="Bão lũ miền Trung: hàng nghìn nhà ở Quảng Ngãi bị ngập",
                lead="Mưa lớn kéo dài khiến nước lũ dâng cao ở miền Trung.",
                body="Bão số 5 đổ bộ, lũ lên nhanh, hàng nghìn hộ dân phải sơ tán.\nNhiều tuyến đường bị chia cắt.",
                source="VnExpress", category="Xã hội", published=datetime(2024, 10, 20, 8, tzinfo=VN)),
        Article(id="flood-2", title="Cứu trợ người dân vùng bão lũ miền Trung",
                lead="Hàng trăm tấn hàng cứu trợ được chuyển tới vùng lũ miền Trung.",
                body="Người dân bị ngập nhà sau bão số 5 nhận gạo, nước sạch.\nLũ đã bắt đầu rút.",
                source="Tuổi Trẻ", category="Xã hội", published=datetime(2024, 10, 22, 8, tzinfo=VN)),
        Article(id="flood-3", title="Bão lũ miền Trung gây thiệt hại nặng nề",
                lead="Ước tính thiệt hại do bão số 5 và lũ ở miền Trung lên tới hàng nghìn tỷ đồng.",
                body="Nhiều nhà bị ngập, hoa màu bị lũ cuốn trôi.",
                source="Dân trí", category="Xã hội", published=datetime(2024, 10, 25, 8, tzinfo=VN)),
        Article(id="backan-1", title="Bắc Kạn: mưa lớn gây sạt lở nhiều tuyến đường",
                lead="Tỉnh Bắc Kạn có mưa to kéo dài.", body="Mưa lớn tại Bắc Kạn làm sạt lở đường giao thông.",
                source="Dân trí", category="Xã hội", published=datetime(2024, 9, 2, 8, tzinfo=VN)),
        Article(id="thainguyen-1", title="Thái Nguyên: mưa lớn làm ngập nhiều tuyến đường",
                lead="Tỉnh Thái Nguyên có mưa to.", body="Mưa lớn tại Thái Nguyên khiến đường bị ngập.",
                source="VnExpress", category="Xã hội", published=datetime(2024, 9, 3, 8, tzinfo=VN)),
        Article(id="hanoi-rain", title="Hà Nội: mưa lớn làm ngập nhiều tuyến phố",
                lead="Mưa to tại Hà Nội.", body="Nhiều tuyến phố ở Hà Nội bị ngập sâu sau mưa lớn.",
                source="VnExpress", category="Xã hội", published=datetime(2024, 9, 4, 8, tzinfo=VN)),
        Article(id="malware-2", title="Mã độc mới tấn công trang web của doanh nghiệp",
                lead="Tin tặc chèn mã độc vào trang web.", body="Chuyên gia khuyên cập nhật phần mềm để chặn mã độc.",
                source="VnExpress", category="Công nghệ", published=datetime(2024, 2, 5, 8, tzinfo=VN)),
        Article(id="lonely-1", title="Kỳ nhông xanh khoe sắc", lead="Loài bò sát hiếm gặp.",
                body="Kỳ nhông sống trên cây, ăn côn trùng.", source="Khoa học", category="Khoa học"),
    ]
    return fixture_articles() + extra


@pytest.fixture(scope="module")
def web_articles() -> list[Article]:
    return assist_articles()


def page(client: FlaskClient, url: str, status: int = 200, **kw) -> str:
    resp = client.get(url, **kw)
    assert resp.status_code == status, resp.data[:500]
    return resp.get_data(as_text=True)


# -- "did you mean" --------------------------------------------------------------------------------


def test_suggestion_for_a_query_without_diacritics(client: FlaskClient) -> None:
    data = get_json(client, "/search", query_string={"q": "bao lu mien trung"})
    assert data["suggestion"] == FLOOD
    assert data["total"] >= 3


@pytest.mark.parametrize("q", [FLOOD, "Bão lũ", "xyzzy", "futsal", "2024"])
def test_no_suggestion_for_accented_unknown_or_unchanged_queries(client: FlaskClient, q: str) -> None:
    assert get_json(client, "/search", query_string={"q": q})["suggestion"] is None


def test_suggestion_link_on_the_page_keeps_the_filters(client: FlaskClient) -> None:
    text = page(client, "/", query_string=[("q", "bao lu mien trung"), ("source", "Tuổi Trẻ"), ("sort", "newest")])
    m = re.search(r'<p class="suggestion">Có phải bạn muốn tìm: <a href="([^"]+)">([^<]+)</a>', text)
    assert m, text[:2000]
    assert m.group(2) == FLOOD
    url = urlsplit(htmllib.unescape(m.group(1)))
    assert url.path == "/"
    assert parse_qs(url.query) == {"q": [FLOOD], "source": ["Tuổi Trẻ"], "sort": ["newest"]}
    followed = page(client, htmllib.unescape(m.group(1)))
    assert 'class="suggestion"' not in followed and "Cứu trợ người dân vùng" in followed


def test_suggestion_never_breaks_a_search(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    model = model_for(app.config["INDEX_DIR"])

    def broken(query: str, proper_case: bool = True) -> str | None:
        raise RuntimeError("broken model")

    monkeypatch.setattr(model, "restore", broken)
    assert get_json(client, "/search", query_string={"q": "bao lu"})["suggestion"] is None
    assert "Có phải bạn muốn tìm" not in page(client, "/?q=bao+lu")


def test_first_search_does_not_wait_for_the_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_articles(tmp_path / "index", assist_articles())
    release = threading.Event()

    def slow_model(index_dir: object, wait: bool = False) -> object:
        release.wait(30)
        return model_for(index_dir, wait=True)

    monkeypatch.setattr("webapp.assist.model_for", slow_model)
    app = webapp.create_app(str(tmp_path / "index"))
    client = app.test_client()
    try:
        data = get_json(client, "/search", query_string={"q": "bao lu mien trung"})  # answered while the
        assert data["suggestion"] is None and data["total"] >= 3  # model still waits: no hang, no suggestion yet
        assert get_json(client, "/suggest", query_string={"q": "bao"})["suggestions"] == []
        assert not release.is_set()
    finally:
        release.set()
    assert app.extensions["timtin_assist"].wait(60)
    assert get_json(client, "/search", query_string={"q": "bao lu mien trung"})["suggestion"] == FLOOD


# -- GET /suggest ----------------------------------------------------------------------------------


def test_suggest_contract(client: FlaskClient) -> None:
    resp = client.get("/suggest", query_string={"q": "bao l"})
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    data = resp.get_json()
    assert list(data) == ["query", "suggestions"] and data["query"] == "bao l"
    found = data["suggestions"]
    assert 1 <= len(found) <= 10
    assert found[0] == {"text": FLOOD, "kind": "phrase"}  # the most frequent headline phrase first
    for s in found:
        assert s["kind"] in ("phrase", "title") and s["text"]
        assert set(s) == ({"text", "kind", "id"} if s["kind"] == "title" else {"text", "kind"})
    titles = [s for s in found if s["kind"] == "title"]
    assert titles, found
    assert client.get("/articles/" + titles[0]["id"]).status_code == 200


def test_suggest_limit_and_trailing_space(client: FlaskClient) -> None:
    assert len(get_json(client, "/suggest?q=b&limit=3")["suggestions"]) <= 3
    assert len(get_json(client, "/suggest?q=d&limit=10")["suggestions"]) <= 10
    one = get_json(client, "/suggest?q=dai+hoi&limit=1")["suggestions"]
    assert len(one) == 1
    assert get_json(client, "/suggest", query_string={"q": "dai hoi "})["query"] == "dai hoi "


@pytest.mark.parametrize("q", ["", "   ", "\t"])
def test_suggest_blank_prefix_is_an_empty_list(client: FlaskClient, q: str) -> None:
    assert get_json(client, "/suggest", query_string={"q": q})["suggestions"] == []


@pytest.mark.parametrize("query, code", [
    ("", "missing_parameter"), ("?limit=5", "missing_parameter"), ("?q=a&limit=0", "invalid_parameter"),
    ("?q=a&limit=11", "invalid_parameter"), ("?q=a&limit=x", "invalid_parameter"),
    ("?q=a&limit=-1", "invalid_parameter"), ("?q=a&q=b", "invalid_parameter"),
    ("?q=" + "a" * 501, "invalid_parameter"),
])
def test_suggest_errors(client: FlaskClient, query: str, code: str) -> None:
    data = get_json(client, "/suggest" + query, 400)
    assert data["error"]["code"] == code and data["error"]["message"]


def test_suggest_escapes_nothing_and_the_page_never_inlines_suggestions(client: FlaskClient) -> None:
    found = get_json(client, "/suggest", query_string={"q": "canh bao ma doc"})["suggestions"]
    assert any(XSS in s["text"] for s in found)  # plain text in JSON; app.js renders it with textContent


def test_suggest_in_openapi(client: FlaskClient) -> None:
    validator_cls = pytest.importorskip("openapi_schema_validator").OAS31Validator
    spec = get_json(client, "/openapi.json")
    pytest.importorskip("openapi_spec_validator").validate(spec)
    op = spec["paths"]["/suggest"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert set(params) == {"q", "limit"} and params["q"]["required"]
    assert params["limit"]["schema"]["maximum"] == 10

    def schema(status: int) -> dict:
        return op["responses"][str(status)]["content"]["application/json"]["schema"]

    for status, urls in {200: ["/suggest?q=bao", "/suggest?q=dai+hoi+&limit=2", "/suggest?q=+", "/suggest?q=zzzz",
                               "/suggest?q=canh+bao"],
                         400: ["/suggest", "/suggest?q=a&limit=99"]}.items():
        validator = validator_cls({**schema(status), "components": spec["components"]})
        for url in urls:
            body = get_json(client, url, status)
            assert not [e.message for e in validator.iter_errors(body)], url
    region = next(p for p in spec["paths"]["/search"]["get"]["parameters"] if p["name"] == "region")
    assert "Bắc Kạn" in region["description"]


# -- regions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("region, found", [
    ("bac kan", {"backan-1"}), ("Bắc Kạn", {"backan-1"}), ("BẮC KẠN", {"backan-1"}),
    ("Bắc Kạn (trước 7/2025)", {"backan-1"}), ("Thái Nguyên (trước 7/2025)", {"thainguyen-1"}),
    ("thai nguyen", {"backan-1", "thainguyen-1"}), ("Thái Nguyên", {"backan-1", "thainguyen-1"})])
def test_region_filter_takes_old_and_unaccented_names(client: FlaskClient, region: str, found: set) -> None:
    # 2024 articles: tagged with the provinces of then, grouped under the current one
    data = get_json(client, "/search", query_string={"q": "mua lon", "region": region})
    assert {h["id"] for h in data["results"]} == found
    values = {f["value"]: f["count"] for f in data["facets"]["region"]}
    assert values["Thái Nguyên"] == 2 and values["Hà Nội"] == 1  # a facet ignores its own filter
    assert values["Bắc Kạn (trước 7/2025)"] == values["Thái Nguyên (trước 7/2025)"] == 1


def test_several_regions_and_indexed_values(client: FlaskClient) -> None:
    data = get_json(client, "/search", query_string=[("q", "mua lon"), ("region", "ha noi"), ("region", "bac kan")])
    assert {h["id"] for h in data["results"]} == {"backan-1", "hanoi-rain"}
    party = get_json(client, "/search", query_string={"q": "dai hoi dang", "region": "Miền Bắc"})
    assert party["total"] == 7  # a value tagged in the index is taken as it is


@pytest.mark.parametrize("region", ["Atlantis", "Miền Tây", "x" * 200])
def test_unknown_region_is_a_clear_400(client: FlaskClient, region: str) -> None:
    err = get_json(client, "/search", 400, query_string={"q": "mua", "region": region})["error"]
    assert err["code"] == "invalid_parameter"
    assert "Unknown region" in err["message"] and "Bắc Kạn" in err["message"]
    text = page(client, "/", 400, query_string={"q": "mua", "region": region})
    assert "Không có tỉnh/thành nào tên" in text


def test_region_facet_on_the_page(client: FlaskClient) -> None:
    text = page(client, "/", query_string={"q": "mua lon", "region": "bac kan"})
    legends = re.findall(r"<legend>([^<]+)</legend>", text)
    assert legends[:3] == ["Nguồn tin", "Chuyên mục", "Tỉnh/thành"]
    group = text[text.index("<legend>Tỉnh/thành</legend>"):]
    group = group[: group.index("</fieldset>")]
    assert re.search(r'name="region" value="Thái Nguyên">\s*<label[^>]*>'
                     r'<span class="v">Thái Nguyên</span> <span class="n">2</span>', group), group
    assert re.search(r'name="region" value="Bắc Kạn \(trước 7/2025\)" checked>\s*<label[^>]*>'
                     r'<span class="v[^"]*">Thái Nguyên › Bắc Kạn \(trước 7/2025\)</span> <span class="n">1</span>',
                     group), group
    assert re.search(r'value="Hà Nội">\s*<label[^>]*><span class="v">Hà Nội</span> <span class="n">1</span>', group)
    # the search box keeps the filter as the former province it names
    assert '<input type="hidden" name="region" value="Bắc Kạn (trước 7/2025)">' in text


# -- related articles ------------------------------------------------------------------------------


def test_related_articles_on_the_article_page(client: FlaskClient) -> None:
    text = page(client, "/articles/flood-1")
    assert '<h2 id="related-title">Tin liên quan</h2>' in text
    section = text[text.index('<aside class="related"'):]
    section = section[: section.index("</aside>")]
    links = re.findall(r'<a href="/articles/([^"]+)">', section)
    assert 1 <= len(links) <= 5
    assert "flood-1" not in links
    assert {"flood-2", "flood-3"} <= set(links[:3])


def test_related_titles_are_escaped(client: FlaskClient) -> None:
    text = page(client, "/articles/malware-2")
    section = text[text.index('<aside class="related"'):]
    assert '<a href="/articles/xss-1">' in section
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in section and XSS not in text


def test_article_without_related_articles(client: FlaskClient) -> None:
    text = page(client, "/articles/lonely-1")
    assert "Tin liên quan" not in text and "Kỳ nhông xanh khoe sắc" in text


def test_suggestions_are_kept_per_model_and_relearned_after_a_commit(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp import assist as web_assist

    write_articles(tmp_path / "index", assist_articles())
    asked: list[str] = []
    real = web_assist.did_you_mean

    def counting(model, corrector, query: str):  # the real correction, counted
        asked.append(query)
        return real(model, corrector, query)

    monkeypatch.setattr(web_assist, "did_you_mean", counting)
    app = webapp.create_app(str(tmp_path / "index"))
    client = app.test_client()
    assert app.extensions["timtin_assist"].wait(60)
    for _ in range(3):
        assert get_json(client, "/search", query_string={"q": "bao lu mien trung"})["suggestion"] == FLOOD
    assert asked == ["bao lu mien trung"]  # analysed once for this model
    write_articles(tmp_path / "index", [Article(id="flood-4", title="Lũ miền Trung rút chậm", body="Nước lũ rút.",
                                                source="VnExpress")])
    model_for(str(tmp_path / "index"), wait=True)  # the new generation's model
    assert get_json(client, "/search", query_string={"q": "bao lu mien trung"})["suggestion"] == FLOOD
    assert asked == ["bao lu mien trung"] * 2  # a new model: analysed again
