"""Hostile input to the web app: odd queries, parameter abuse, oversized requests, rate limiting.

Every request must give a 200 with sensible results or a 4xx with a clear message, as JSON of
the documented shape on API routes, never a 500 or a traceback.  Speed is not asserted here: the
same hostile list is timed against the 100k index by ``benchmarks/load.py --hostile``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

import webapp
from indexer.search import MAX_WORDS, SearchRequest, parse_query, search
from tests.helpers import PARTY_QUERY, party_articles
from webapp.ratelimit import Limit, TokenBuckets, parse_limit
from webapp.validation import MAX_QUERY_CHARS, ParamError, clean, parse_search_args

TOP_KEYS = {"query", "total", "page", "per_page", "took_ms", "results", "facets", "suggestion"}
HIT_KEYS = {"id", "title", "url", "source", "category", "author", "published", "score", "title_html",
            "snippet_html"}

# Query strings sent as ``q`` (each also percent-encoded by the test client).
HOSTILE_QUERIES: list[str] = [
    "a" * 10_000, "đại hội " * 1_250, '"' + "và " * 3_000 + '"', "x" * (MAX_QUERY_CHARS + 1),
    "*", "**", "a*", "*a*", "?", "a?c", "~", "a~2", "^", "đại^10",
    "AND", "OR", "NOT", "a AND", "OR a", "a OR", "a OR OR b", "NOT NOT a", "a && b || c", "+a -b",
    "-", "--", "- -", "-a", '-"đại hội"', "---a", "-*", '"', '"""', '""', '"a', 'a"', '"đại hội',
    "(", ")", "((((a", "a))))", "(a OR b", "[a TO z]", "{a TO z}", "a:b:c", ":", "\\", "\\\\", "/a/",
    "title:x", "id:*", "body:đại", "_id:1", "published:[2020 TO 2024]", "source:VnExpress",
    "<script>alert(1)</script>", "javascript:alert(1)", '" onmouseover="alert(1)', "&lt;b&gt;", "&amp;",
    "\x00", "a\x00b", "\x01\x02\x03", "\x1b[31m", "\x7f", "\t\n\r", "\u200b", "\ufeff", "\ufffd",
    "\u202eabc", "\u202b\u05e9\u05dc\u05d5\u05dd", "\u200fđại hội", "🙂", "🇻🇳 bão lũ", "👨‍👩‍👧" * 100,
    "\U0001d400\U0001d401", "ｆｕｌｌ ｗｉｄｔｈ", "ﬁ", "a\u0301\u0301\u0301\u0301", "\u0300" * 400,
    "TP.HCM." * 70, "a.b.c.d.e.f.g." * 35, "a-b-c-d-e/f&g " * 35, "UBND " * 100, "0" * 500,
    "1e308", "-1", "NaN", "None", "null", "[]", "{}", "%00", "%ED%A0%80", "'; DROP TABLE articles; --",
]

# Raw query strings (already percent-encoded), for what a client library would refuse to build.
HOSTILE_RAW: list[str] = [
    "q=%ED%A0%80", "q=a%ED%A0%80b", "q=%ED%B0%80%ED%A0%80", "q=%FF%FE%FD", "q=%C0%AF", "q=%E2%80%AE%00",
    "q=%00%00", "q=%", "q=%%", "q=%zz", "q=a&q=b", "q", "q=", "=", "&&&", "q=a&&&page=2",
    "q=" + "%F0%9F%99%82" * 600, "q=a;page=2", "q=a+OR+b", "q=a%2BOR%2Bb",
]

# Parameter abuse: (extra query string, expected status).
PARAM_CASES: list[tuple[str, int]] = [
    ("per_page=100", 200), ("per_page=101", 400), ("per_page=0", 400), ("per_page=-1", 400),
    ("per_page=99999999999999999999", 400), ("per_page=1e3", 400), ("per_page=abc", 400),
    # an empty or blank number or sort is not one (as /openapi.json says): 400, not the default
    ("per_page=%EF%BC%91", 400), ("per_page=", 400), ("per_page=%00", 400), ("per_page=1.5", 400),
    ("page=1", 200), ("page=0", 400), ("page=-5", 400), ("page=1000000000", 400), ("page=10%5E9", 400),
    ("page=9999999999999999999999999999", 400), ("page=NaN", 400), ("page=0x10", 400), ("page=%ED%A0%80", 400),
    ("page=1000&per_page=10", 200), ("page=1001&per_page=10", 400), ("page=2&page=3", 400),
    ("from=9999-99-99", 400), ("from=2024-02-30", 400), ("from=0000-01-01", 400), ("from=24-01-01", 400),
    ("from=2024-1-1", 400), ("from=2024-01-01T00:00", 400), ("from=%ED%A0%80", 400), ("from=-2024-01-01", 400),
    ("from=0001-01-01", 200),
    ("to=9999-12-31", 200),
    ("from=9999-12-31", 200), ("to=0001-01-01", 200),
    ("from=2024-05-01&to=2024-04-01", 400), ("from=2024-01-01&to=2024-12-31", 200),
    ("sort=newest", 200), ("sort=oldest", 200), ("sort=random", 400), ("sort=%00", 400), ("sort=NEWEST", 400),
    ("source=" + "x" * 201, 400), ("source=%ED%A0%80", 200), ("&".join(["category=c"] * 51), 400),
    ("&".join(f"region=r{i}" for i in range(51)), 400), ("unknown=1", 200), ("q2=x", 200), ("Q=x", 200),
]


def check_json(resp: TestResponse) -> dict:
    """A /search response: 200 with the documented shape, or 400 with an error object."""
    assert resp.status_code in (200, 400), (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert isinstance(body, dict)
    if resp.status_code == 200:
        assert set(body) == TOP_KEYS
        assert isinstance(body["total"], int)
        assert 1 <= body["per_page"] <= 100 and body["page"] >= 1
        # a full page, the remainder on the last page, nothing past the end
        skipped = (body["page"] - 1) * body["per_page"]
        assert len(body["results"]) == max(0, min(body["per_page"], body["total"] - skipped))
        for hit in body["results"]:
            assert set(hit) == HIT_KEYS
        assert set(body["facets"]) == {"source", "category", "region", "month"}
    else:
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
        assert body["error"]["code"] in ("invalid_parameter", "missing_parameter")
        assert len(body["error"]["message"]) > 10
    assert "Traceback" not in resp.get_data(as_text=True)
    return body


def check_page(resp: TestResponse) -> str:
    assert resp.status_code in (200, 400), resp.status_code
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "Traceback" not in html and "<script>alert" not in html
    if resp.status_code == 400:
        assert 'role="alert"' in html  # the reason is shown to the reader
    return html


# -- hostile queries -----------------------------------------------------------------------------


@pytest.mark.parametrize("q", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_query_api(client: FlaskClient, q: str) -> None:
    body = check_json(client.get("/search", query_string={"q": q}))
    if "error" in body:
        assert len(q) > MAX_QUERY_CHARS or not q.strip("\x00\x01\x02\x03\x1b\x7f\t\n\r ")
    else:
        assert "\x00" not in body["query"]


@pytest.mark.parametrize("q", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_query_page(client: FlaskClient, q: str) -> None:
    check_page(client.get("/", query_string={"q": q}))


@pytest.mark.parametrize("raw", HOSTILE_RAW)
def test_hostile_raw_query_strings(client: FlaskClient, raw: str) -> None:
    check_json(client.get("/search?" + raw))
    check_page(client.get("/?" + raw))
    resp = client.get("/articles/party-00?" + raw)
    assert resp.status_code == 200 and "Traceback" not in resp.get_data(as_text=True)


def test_lone_surrogate_in_the_url_is_not_echoed_raw(client: FlaskClient) -> None:
    body = check_json(client.get("/search?q=%ED%A0%80%20" + quote(PARTY_QUERY)))
    assert body["total"] > 0  # the good words still count
    json.dumps(body, ensure_ascii=False).encode("utf-8")  # nothing unencodable comes back


def test_length_limit_is_a_clear_400(client: FlaskClient) -> None:
    body = check_json(client.get("/search", query_string={"q": "a" * 10_000}))
    assert body["error"]["code"] == "invalid_parameter"
    assert str(MAX_QUERY_CHARS) in body["error"]["message"] and "10000" in body["error"]["message"]
    ok = check_json(client.get("/search", query_string={"q": "a" * MAX_QUERY_CHARS}))
    assert ok["total"] == 0


@pytest.mark.parametrize("q", ["*", "a*", "*a*", "id:*", "title:x", "?"])
def test_wildcards_and_fields_are_plain_text(client: FlaskClient, q: str) -> None:
    """No wildcard expansion, no field syntax: they cannot enumerate the index."""
    body = check_json(client.get("/search", query_string={"q": q}))
    n_docs = client.get("/healthz").get_json()["documents"]
    assert body["total"] < n_docs


def test_operators_and_quotes_still_find_articles(client: FlaskClient) -> None:
    plain = check_json(client.get("/search", query_string={"q": PARTY_QUERY}))["total"]
    assert plain > 0
    for q in (f'"{PARTY_QUERY}', f"({PARTY_QUERY}", f"{PARTY_QUERY} OR", f"OR {PARTY_QUERY}", f"{PARTY_QUERY} -",
              f"\u202e{PARTY_QUERY}\u202c", f"{PARTY_QUERY} 🙂", f"{PARTY_QUERY}\x00", f"{PARTY_QUERY} \u200b"):
        assert check_json(client.get("/search", query_string={"q": q}))["total"] == plain, q


@pytest.mark.parametrize(("extra", "status"), PARAM_CASES)
def test_parameter_abuse(client: FlaskClient, extra: str, status: int) -> None:
    url = f"/search?q={quote(PARTY_QUERY)}&{extra}"
    resp = client.get(url)
    check_json(resp)
    assert resp.status_code == status, resp.get_json()
    page = client.get(f"/?q={quote(PARTY_QUERY)}&{extra}")
    check_page(page)
    assert page.status_code == status


def test_error_messages_name_the_parameter(client: FlaskClient) -> None:
    for name, value in (("per_page", "1000"), ("page", "-1"), ("from", "9999-99-99"), ("sort", "x"),
                        ("to", "31/12/2024")):
        msg = client.get("/search", query_string={"q": "a", name: value}).get_json()["error"]["message"]
        assert f"'{name}'" in msg


@pytest.mark.parametrize(("q", "plain"), [("\ud800", ""), ("a\ud800b", "a b"), ("\udfff\ud800 đại hội", "đại hội"),
                                          ("\udc80" * 100, "")])
def test_lone_surrogates_in_python_strings(web_index: Path, q: str, plain: str) -> None:
    """The validation layer turns them into spaces; the search API itself never raises on them and
    finds what the query finds with spaces in their place."""
    try:
        req = parse_search_args(MultiDict({"q": q}))
    except ParamError as e:
        assert e.code == "invalid_parameter" and all(0xD800 <= ord(c) <= 0xDFFF for c in q)
    else:
        req.q.encode("utf-8")  # strict: cleaned
        search(req, web_index)
    result = search(SearchRequest(q=q, per_page=100), web_index)
    expected = search(SearchRequest(q=plain, per_page=100), web_index).hits if plain.strip() else []
    assert [h.id for h in result.hits] == [h.id for h in expected]
    assert result.total == len(expected)
    if "đại hội" in plain:
        assert result.total == len(party_articles())


def test_parser_bounds_words() -> None:
    for q in ("a " * 5000, "TP.HCM " * 1000, "a OR " * 2000, "-a " * 3000):
        parsed = parse_query(q)
        assert len([w for g in parsed.groups for w in g[0].words]) <= MAX_WORDS, q[:20]


def test_parser_bounds_words_in_a_phrase() -> None:
    for q in ('"' + "a " * 300 + '"', '"và của" ' * 60):
        parsed = parse_query(q)
        typed = sum(len(g[0].words) for g in parsed.groups)
        distinct_phrases = {tuple(w.folded for w in g[0].words) for g in parsed.groups}
        assert typed <= MAX_WORDS and len(distinct_phrases) == len(parsed.groups), q[:20]


# -- property tests: anything goes in, only 200/400 JSON of the right shape comes out -------------

PARAM_NAMES = ["q", "page", "per_page", "sort", "from", "to", "source", "category", "region", "x", "Q", ""]
_text = st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=40)
_values = st.one_of(
    _text,
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.sampled_from(["", "1", "10", "100", "101", "relevance", "newest", "oldest", "2024-01-01", "9999-99-99",
                     "2024-02-30", "0001-01-01", "Tuổi Trẻ", "VnExpress", PARTY_QUERY, "*", '"', "-"]),
    st.dates().map(str),
)


def _encode(value: str) -> str:
    """Percent-encode like a (careless) client, lone surrogates as their 3 UTF-8-style bytes."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _query_string(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.one_of(_text, st.text(max_size=600), st.lists(st.sampled_from(
    ['"', "-", "OR", "*", "(", ")", ":", "đại", "hội", "Đảng", "dai", "TP.HCM", "UBND", " ", "\x00", "\ud800",
     "🙂", "\u202e", "&", "<", ">"]), max_size=30).map("".join)))
def test_property_any_query(client: FlaskClient, q: str) -> None:
    resp = client.get("/search?q=" + _encode(q))
    body = check_json(resp)
    if resp.status_code == 400:  # only q was given, so only q can be wrong: too long or blank
        assert "'q'" in body["error"]["message"]
        assert len(q) > MAX_QUERY_CHARS / 4 or not clean(q).strip() or not q.strip(), q
    page = client.get("/?q=" + _encode(q))
    check_page(page)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(st.sampled_from(PARAM_NAMES), _values), max_size=8))
def test_property_any_parameters(client: FlaskClient, pairs: list[tuple[str, str]]) -> None:
    qs = _query_string(pairs)
    check_json(client.get("/search?" + qs))
    check_page(client.get("/?" + qs))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(article_id=_text, q=_text)
def test_property_any_article_path(client: FlaskClient, article_id: str, q: str) -> None:
    resp = client.get(f"/articles/{_encode(article_id)}?q={_encode(q)}")
    assert resp.status_code in (200, 404), resp.status_code
    assert "Traceback" not in resp.get_data(as_text=True)


# -- request size ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/search", "/", "/healthz", "/articles/party-00"])
def test_big_bodies_and_methods_never_500(client: FlaskClient, path: str) -> None:
    big = b"x" * (1 << 20)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        resp = client.open(path, method=method, data=big, content_type="application/x-www-form-urlencoded")
        assert resp.status_code in (405, 413), (method, resp.status_code)
    resp = client.get(path + "?q=a", data=big, content_type="application/octet-stream")
    assert resp.status_code in (200, 400, 413)


def test_max_content_length_is_enforced(web_index: Path) -> None:
    app = webapp.create_app(str(web_index))
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024

    @app.post("/_test_form_echo")
    def _echo() -> str:
        from flask import request

        return str(len(request.form))

    client = app.test_client()
    assert client.post("/_test_form_echo", data={"a": "b"}).status_code == 200
    resp = client.post("/_test_form_echo", data={"a": "b" * (100 * 1024)})
    assert resp.status_code == 413


def test_long_urls_are_a_400_not_a_500(client: FlaskClient) -> None:
    resp = client.get("/search?q=" + "%C4%91" * 50_000)  # 100 kB of percent-encoded "đ"
    assert check_json(resp)["error"]["code"] == "invalid_parameter"
    resp = client.get("/articles/" + "a" * 100_000)
    assert resp.status_code == 404
    resp = client.get("/search?" + "&".join(f"k{i}=v" for i in range(20_000)) + "&q=a")
    assert resp.status_code == 200


# -- rate limiting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "limit"), [
    ("60/minute", Limit(60, 60.0)), ("10/second", Limit(10, 1.0)), ("5 per hour", Limit(5, 3600.0)),
    ("1000/day", Limit(1000, 86400.0)), ("2/s", Limit(2, 1.0)), (" 30 / minutes ", Limit(30, 60.0)),
    ("", None), ("off", None), ("0", None), (None, None),
])
def test_parse_limit(spec: str | None, limit: Limit | None) -> None:
    assert parse_limit(spec) == limit


@pytest.mark.parametrize("spec", ["60", "minute", "60/fortnight", "-1/minute", "0/minute", "1.5/s", "60/ms"])
def test_parse_limit_rejects_nonsense(spec: str) -> None:
    with pytest.raises(ValueError, match="TIMTIN_RATE_LIMIT"):
        parse_limit(spec)


def test_token_bucket_refills_and_forgets_old_clients() -> None:
    now = [0.0]
    buckets = TokenBuckets(Limit(3, 3.0), max_clients=2, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0.0  # clients are independent
    now[0] = 0.5
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] = 1.0
    assert buckets.take("a") == 0.0  # one token back after one second
    buckets.take("c")
    assert len(buckets) == 2  # bounded memory


@pytest.fixture
def limited(web_index: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlaskClient]:
    monkeypatch.setenv("TIMTIN_RATE_LIMIT", "3/minute")
    app = webapp.create_app(str(web_index))
    yield app.test_client()


def test_rate_limit_gives_429_json_with_retry_after(limited: FlaskClient) -> None:
    for _ in range(3):
        assert limited.get("/search?q=a").status_code == 200
    resp = limited.get("/search?q=a")
    assert resp.status_code == 429
    assert resp.get_json()["error"]["code"] == "rate_limited"
    assert "3 per minute" in resp.get_json()["error"]["message"]
    assert 1 <= int(resp.headers["Retry-After"]) <= 20
    assert resp.headers["X-Content-Type-Options"] == "nosniff"  # security headers on 429s too
    page = limited.get("/?q=a")
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert "Retry-After" in page.headers and "thử lại" in page.get_data(as_text=True)
    assert limited.get("/healthz").status_code == 200  # health checks are never limited
    other = limited.get("/search?q=a", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200  # per client


def test_rate_limit_is_off_by_default_and_in_development(web_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIMTIN_RATE_LIMIT", raising=False)
    client = webapp.create_app(str(web_index)).test_client()
    assert all(client.get("/search?q=a").status_code == 200 for _ in range(30))
    monkeypatch.setenv("TIMTIN_RATE_LIMIT", "1/minute")
    app = webapp.create_app(str(web_index))
    app.debug = True
    client = app.test_client()
    assert all(client.get("/search?q=a").status_code == 200 for _ in range(5))


def test_bad_rate_limit_setting_fails_at_startup(web_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMTIN_RATE_LIMIT", "lots")
    with pytest.raises(ValueError, match="TIMTIN_RATE_LIMIT"):
        webapp.create_app(str(web_index))
