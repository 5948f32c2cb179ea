"""Cross-site scripting: hostile article fields and queries come out escaped on every page and in
the API's HTML fragments; only http(s) article URLs are linked; security headers on every response.

The last test loads the pages in headless Chromium (Playwright) and checks that nothing runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from flask.testing import FlaskClient

import webapp
from indexer.models import Article
from tests.helpers import VN, fixture_articles

PAYLOADS = [
    '<script>alert("xss")</script>',
    '" onmouseover="alert(1)" x="',
    "' onfocus='alert(2)' autofocus x='",
    "<img src=x onerror=alert(3)>",
    "&lt;script&gt;alert(4)&lt;/script&gt;",
    "&amp; &quot; &#60;svg onload=alert(5)&#62;",
    "</textarea></title><svg/onload=alert(6)>",
    "javascript:alert(7)",
]
HOSTILE_URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "\tjavascript:alert(1)",
    "java\nscript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
    "//evil.example/x", "http:", "https://", "/relative/path", "ftp://example.vn/a", "file:///etc/passwd",
    'https://example.vn/a" onmouseover="alert(1)', "https://example.vn/<script>alert(1)</script>",
    "https://example.vn/a?b=1&c=<2>", "http://example.vn/ok",
]
WORD = "mãđộcxyz"  # a word found only in the hostile articles (one query finds them all)
QUERIES = [WORD, *(f"{WORD} {p}" for p in PAYLOADS), '<script>alert("q")</script>', '" onmouseover="alert(1)',
           "&lt;script&gt;", "&amp;", "javascript:alert(1)"]


def hostile_articles() -> list[Article]:
    out = []
    for i, url in enumerate(HOSTILE_URLS):
        p = PAYLOADS[i % len(PAYLOADS)]
        q = PAYLOADS[(i + 3) % len(PAYLOADS)]
        out.append(Article(
            id=f"evil-{i:02d}", title=f"{WORD} tiêu đề {p} {q}", lead=f"Sapo {q} {WORD} {p}",
            body=f"Đoạn một {p} {WORD}.\nĐoạn hai {q}.\n{p}{q}", url=url, author=f"Tác giả {p}",
            source=f"Nguồn {q}", category=f"Mục {p}", published=datetime(2024, 5, 1 + i, 9, tzinfo=VN)))
    out.append(Article(id='evil-"><script>alert(9)</script>', title=f"{WORD} id độc", body=f"{WORD} thân bài.",
                       url="javascript:alert(9)"))
    return out


N_HOSTILE = len(hostile_articles())
SAFE_TAGS_IN_FRAGMENTS = {"mark"}


@pytest.fixture(scope="module")
def web_articles() -> list[Article]:
    return fixture_articles() + hostile_articles()


class Tags(HTMLParser):
    """Every start tag with its attributes, and all text (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Tags:
    p = Tags()
    p.feed(html)
    p.close()
    return p


def assert_safe_page(html: str) -> Tags:
    """No injected script, handler or dangerous link: only the app's own markup."""
    doc = parse(html)
    for tag, attrs in doc.tags:
        assert tag not in ("img", "svg", "iframe", "object", "embed", "textarea"), (tag, attrs)
        if tag == "script":
            assert set(attrs) == {"src", "defer"} and (attrs["src"] or "").startswith("/static/"), attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert name not in ("autofocus", "x", "style", "srcdoc", "formaction"), (tag, name)
            if name in ("href", "src", "action"):
                assert_safe_link(value or "")
    assert "<script>alert" not in html and "<svg" not in html and "<img" not in html
    return doc


def assert_safe_link(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme:
        assert parts.scheme in ("http", "https") and parts.netloc, value  # quotes in it stay escaped
    else:
        assert value.startswith(("/", "?", "#")) and not value.startswith("//"), value


def external_links(doc: Tags) -> list[str]:
    return [a["href"] or "" for tag, a in doc.tags if tag == "a" and urlsplit(a.get("href") or "").scheme]


# -- the API's HTML fragments ---------------------------------------------------------------------


@pytest.mark.parametrize("q", QUERIES)
def test_fragments_are_escaped(client: FlaskClient, q: str) -> None:
    # every article (some hostile articles have the same text: one story group, collapsed by default)
    body = client.get("/search", query_string={"q": q, "per_page": 100, "collapse": "false"}).get_json()
    assert body["results"]  # every query finds hostile articles: the loop below checks something
    for hit in body["results"]:
        for key in ("title_html", "snippet_html"):
            doc = parse(hit[key])
            assert {t for t, _ in doc.tags} <= SAFE_TAGS_IN_FRAGMENTS, (key, hit[key])
            assert all(not attrs for _, attrs in doc.tags), hit[key]
        # the fragment shows the same text as the field (decoded entities come back as typed)
        assert "".join(parse(hit["title_html"]).text) == hit["title"]


def test_the_hostile_articles_are_found_and_their_text_kept(client: FlaskClient) -> None:
    body = client.get("/search", query_string={"q": WORD, "per_page": 100, "collapse": "false"}).get_json()
    assert body["total"] == N_HOSTILE
    by_id = {h["id"]: h for h in body["results"]}
    assert by_id["evil-00"]["title"].startswith(f"{WORD} tiêu đề {PAYLOADS[0]}")  # stored verbatim
    assert "&lt;script&gt;" in by_id["evil-00"]["title_html"]
    assert "&amp;lt;script&amp;gt;" in by_id["evil-04"]["title_html"]  # an entity typed as text stays text


# -- the pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("collapse", ["true", "false"])
@pytest.mark.parametrize("q", QUERIES)
def test_results_page_is_escaped(client: FlaskClient, q: str, collapse: str) -> None:
    """Collapsed, the page links each story group (hostile ids in the links); not, it shows every article."""
    resp = client.get("/", query_string={"q": q, "per_page": 100, "collapse": collapse})
    assert resp.status_code == 200
    doc = assert_safe_page(resp.get_data(as_text=True))
    text = "".join(doc.text)
    assert q in text  # the query is shown back, as text
    web = {u for u in HOSTILE_URLS if u.startswith(("http://", "https://")) and urlsplit(u).netloc}
    for href in external_links(doc):
        assert href in web, href


def test_only_web_urls_are_linked(client: FlaskClient) -> None:
    html = client.get("/", query_string={"q": WORD, "per_page": 100, "collapse": "false"}).get_data(as_text=True)
    hrefs = external_links(parse(html))
    assert "http://example.vn/ok" in hrefs
    assert "https://example.vn/a?b=1&c=<2>" in hrefs  # linked as given...
    assert "c=<2>" not in html and "c=&lt;2&gt;" in html  # ...and escaped in the attribute
    for bad in ("javascript", "data:", "vbscript", "file:", "ftp:", "//evil.example"):
        assert not any(bad in h.lower() for h in hrefs), bad


@pytest.mark.parametrize("i", range(N_HOSTILE))
@pytest.mark.parametrize("with_q", [False, True])
def test_article_page_is_escaped(client: FlaskClient, i: int, with_q: bool) -> None:
    a = hostile_articles()[i]
    url = "/articles/" + quote(a.id, safe="")
    if with_q:
        url += "?" + urlencode({"q": f"{WORD} {PAYLOADS[i % len(PAYLOADS)]}"})
    resp = client.get(url)
    assert resp.status_code == 200, url
    html = resp.get_data(as_text=True)
    doc = assert_safe_page(html)
    text = "".join(doc.text)
    for value in (a.title, a.author, a.source, a.category):
        assert " ".join(value.split()) in " ".join(text.split())  # every field shown, as text
    links = external_links(doc)
    if a.url.startswith(("http://", "https://")) and urlsplit(a.url).netloc:
        assert len(links) == 1  # "Đọc bài gốc"
    else:
        assert links == [], (a.url, links)


def test_error_pages_do_not_reflect_markup(client: FlaskClient) -> None:
    for url in ("/articles/" + quote(PAYLOADS[0], safe=""), "/" + quote(PAYLOADS[2]), "/?q=" + "x" * 600 +
                quote(PAYLOADS[0]), "/?q=a&page=" + quote(PAYLOADS[1])):
        resp = client.get(url)
        assert resp.status_code in (400, 404)
        assert_safe_page(resp.get_data(as_text=True))
    resp = client.get("/search?q=a&sort=" + quote(PAYLOADS[0]))
    assert resp.status_code == 400 and resp.mimetype == "application/json"


# -- security headers on every kind of response ---------------------------------------------------


def _responses(web_index: Path) -> Iterator[tuple[str, object]]:
    app = webapp.create_app(str(web_index))
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/_boom")
    def _boom() -> str:
        raise RuntimeError("boom")

    c = app.test_client()
    yield "home", c.get("/")
    yield "results", c.get("/?q=" + WORD)
    yield "article", c.get("/articles/evil-00")
    yield "api", c.get("/search?q=" + WORD)
    yield "api-400", c.get("/search?q=")
    yield "page-400", c.get("/?q=a&page=0")
    yield "healthz", c.get("/healthz")
    yield "openapi", c.get("/openapi.json")
    yield "static-css", c.get("/static/style.css")
    yield "static-js", c.get("/static/app.js")
    yield "page-404", c.get("/nope")
    yield "api-404", c.get("/api/nope")
    yield "article-404", c.get("/articles/nope")
    yield "405", c.post("/search")
    yield "500", c.get("/_boom")
    missing = webapp.create_app(str(web_index.parent / "no-such-index")).test_client()
    yield "503", missing.get("/search?q=a")


def test_security_headers_on_every_response_type(web_index: Path) -> None:
    seen = set()
    for name, resp in _responses(web_index):
        h = resp.headers  # type: ignore[attr-defined]
        csp = h.get("Content-Security-Policy", "")
        directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
        assert directives.get("script-src") == ["'self'"], (name, csp)
        assert directives.get("default-src") == ["'self'"], (name, csp)
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, name
        assert directives.get("frame-ancestors") == ["'none'"] and directives.get("base-uri") == ["'none'"]
        assert h.get("X-Content-Type-Options") == "nosniff", name
        assert h.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), name
        assert h.get("X-Frame-Options") == "DENY", name
        seen.add((name, resp.status_code))  # type: ignore[attr-defined]
    assert {s for _, s in seen} >= {200, 400, 404, 405, 500, 503}


def test_no_inline_script_or_handlers_in_any_page(client: FlaskClient) -> None:
    for url in ("/", f"/?q={WORD}", "/articles/evil-00", "/nope", "/?q=a&page=0"):
        doc = parse(client.get(url).get_data(as_text=True))
        scripts = [a for t, a in doc.tags if t == "script"]
        assert scripts and all(a.get("src") for a in scripts), url  # only external, same-origin scripts


# -- in a real browser ----------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
FIRE_EVENTS = """() => document.querySelectorAll('*').forEach(e => {
  for (const type of ['mouseover', 'focus', 'error', 'load']) e.dispatchEvent(new Event(type, {bubbles: false}));
})"""
INJECTED = """() => {
  const all = [...document.querySelectorAll('*')];
  return {
    inlineScripts: [...document.scripts].filter(s => !s.src).length,
    handlers: all.filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).map(e => e.outerHTML.slice(0, 80)),
    injected: document.querySelectorAll('img, svg, iframe, object, embed, textarea, [autofocus], [x]').length,
    badLinks: [...document.querySelectorAll('a[href]')].map(a => a.href)
      .filter(h => !/^https?:\\/\\//.test(h)),
  };
}"""


def test_nothing_runs_in_the_browser(live_url: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python package) is not installed")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    dialogs: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            urls = [f"{live_url}/?" + urlencode({"q": q, "per_page": 100}) for q in QUERIES[:3] + QUERIES[-5:]]
            urls += [f"{live_url}/articles/{quote(a.id, safe='')}?" + urlencode({"q": PAYLOADS[0]})
                     for a in hostile_articles()]
            for url in urls:
                page.goto(url, wait_until="load")
                page.evaluate(FIRE_EVENTS)  # would run any injected mouseover/focus/error handler
                page.keyboard.press("Tab")
                found = page.evaluate(INJECTED)
                assert found["inlineScripts"] == 0 and found["handlers"] == [] and found["injected"] == 0, (url, found)
                assert found["badLinks"] == [], (url, found)
                assert page.title() and "<script>" not in page.locator("h1").first.inner_html()
            page.wait_for_timeout(300)  # let any deferred script run
        finally:
            browser.close()
    assert dialogs == []
