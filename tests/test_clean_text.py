"""HTML left in article text is cleaned at ingestion (every input format), for display and search
alike; long headlines are shown cut at a word while the whole headline is searched."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import webapp
from indexer.cli import main
from indexer.ingest.sources import read_articles
from indexer.models import Article
from indexer.search import SearchRequest, search
from indexer.text.clean import TITLE_MAX_CHARS, clean_markup, display_title

# -- clean_markup ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "one_line", "clean"), [
    ("&gt;&gt; Bóng đá nữ: Việt Nam - Thái Lan 1-0", True, "Bóng đá nữ: Việt Nam - Thái Lan 1-0"),
    ("Giải thưởng KH&amp;CN năm 2005", True, "Giải thưởng KH&CN năm 2005"),
    ("C&#193;C TIN KH&#xC1;C", True, "CÁC TIN KHÁC"),
    ("Hát &quot;không biết&quot; &#8220;mãi&#8221;", True, "Hát \"không biết\" “mãi”"),
    ("X&amp;amp;Y", True, "X&Y"),  # escaped twice
    ("Tin&nbsp;nhanh &bull; Hà&shy;Nội", True, "Tin nhanh • HàNội"),
    ("<STRONG>Lũ</STRONG> quét <p class=title>ở Lào Cai</p>", True, "Lũ quét ở Lào Cai"),
    ("<P align=center>Đoạn một</P><P>Đoạn <b>hai</b></P>", False, "Đoạn một\nĐoạn hai"),
    ("<TR><TD>Hà Nội</TD><TD>35</TD></TR>", False, "Hà Nội 35"),
    ('Xem <A href="http://www.nld.com.vn/x?a=1&b=2">tại đây</A>.', False, "Xem tại đây."),
    ("<img border=0 src='/images/a.gif' width=9>Ảnh<br/>Chú thích", False, "Ảnh\nChú thích"),
    ("Trước<script>alert('x')</script><style>p{}</style><!-- ghi chú -->sau", False, "Trướcsau"),
    ("mail &lt;điachiemail&gt; gửi 8000", False, "mail <điachiemail> gửi 8000"),  # escaped tags stay text
    ("&lt;b&gt;đậm&lt;/b&gt;", False, "<b>đậm</b>"),
])
def test_markup_is_removed_and_references_decoded(raw: str, one_line: bool, clean: str) -> None:
    assert clean_markup(raw, one_line=one_line) == clean


@pytest.mark.parametrize("text", [
    "Trẻ < 13 tuổi, LDL > 3,9 mmol/l",
    "Gửi <Hà Nội> và <email> cho tôi",
    "Tra cứu ?a=1&copy=2 và &foo; R&D",
    "Dòng một\n\nDòng   ba",
])
def test_text_without_markup_is_kept_as_typed(text: str) -> None:
    assert clean_markup(text) == text


# -- display_title ------------------------------------------------------------------------------

LONG_TITLE = ("Bộ trưởng " + "Nguyễn Văn An phát biểu tại hội nghị tổng kết công tác năm của ngành giáo dục "
              * 4 + "với chủ đề đổi mới thi cử kỳlạđặcbiệt")


def test_a_short_title_is_shown_whole() -> None:
    title = "Mưa lớn ở Hà Nội"
    assert display_title(title) == title
    exact = "x" * TITLE_MAX_CHARS
    assert display_title(exact) == exact


def test_a_long_title_is_cut_after_a_whole_word() -> None:
    assert len(LONG_TITLE) > TITLE_MAX_CHARS
    shown = display_title(LONG_TITLE)
    assert len(shown) <= TITLE_MAX_CHARS and shown.endswith("…")
    kept = shown[:-1]
    assert LONG_TITLE.startswith(kept) and LONG_TITLE[len(kept)] == " "  # cut between two words
    assert len(kept) > TITLE_MAX_CHARS - 20  # and not much shorter than the limit


def test_a_title_of_one_endless_word_is_cut_anyway() -> None:
    shown = display_title("a" * 500)
    assert shown == "a" * (TITLE_MAX_CHARS - 1) + "…"


# -- at ingestion, in every format -------------------------------------------------------------

RAW = {"id": "html-1", "title": "&gt;&gt; Bóng đá nữ: Việt Nam - Thái Lan 1-0",
       "lead": "<STRONG>Đội tuyển</STRONG> nữ thắng &amp; vào chung kết",
       "body": "<P align=center>Trận đấu diễn ra tối qua.</P><P>Bàn thắng của <b>Văn Thị Thanh</b>.</P>",
       "author": "Minh&nbsp;Anh"}
CLEAN = {"title": "Bóng đá nữ: Việt Nam - Thái Lan 1-0", "lead": "Đội tuyển nữ thắng & vào chung kết",
         "body": "Trận đấu diễn ra tối qua.\nBàn thắng của Văn Thị Thanh.", "author": "Minh Anh"}


def _write(folder: Path, fmt: str) -> Path:
    if fmt == ".jsonl":
        path = folder / "a.jsonl"
        path.write_text(json.dumps(RAW, ensure_ascii=False) + "\n", encoding="utf-8")
    elif fmt == ".json":
        path = folder / "a.json"
        path.write_text(json.dumps([RAW], ensure_ascii=False), encoding="utf-8")
    elif fmt == ".csv":
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=list(RAW))
        w.writeheader()
        w.writerow(RAW)
        path = folder / "a.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
    else:
        path = folder / "html-1.txt"
        path.write_text(f"{RAW['title']}\n\n{RAW['body']}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", [".jsonl", ".json", ".csv", ".txt"])
def test_every_format_is_cleaned_at_ingestion(tmp_path: Path, fmt: str) -> None:
    items = list(read_articles([_write(tmp_path, fmt)]))
    assert len(items) == 1 and isinstance(items[0], Article), items
    a = items[0]
    assert a.title == CLEAN["title"] and a.body == CLEAN["body"]
    if fmt != ".txt":
        assert a.lead == CLEAN["lead"] and a.author == CLEAN["author"]


def test_a_title_of_markup_only_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "x", "title": "<p></p>", "body": "Nội dung"}) + "\n", encoding="utf-8")
    (problem,) = read_articles([path])
    assert str(problem) == f"{path}:1: empty 'title' once HTML markup is removed"


def _index(tmp_path: Path, capsys: pytest.CaptureFixture[str], shards: int | None = None) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    path = src / "a.jsonl"
    long = {"id": "long-1", "title": LONG_TITLE, "body": "Hội nghị diễn ra ở Hà Nội.",
            "source": "VnExpress"}
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (RAW, long)) + "\n", encoding="utf-8")
    index = tmp_path / "ix"
    argv = ["index", str(path), "--index", str(index), "-q"] + (["--shards", str(shards)] if shards else [])
    assert main(argv) == 0
    capsys.readouterr()
    return index


@pytest.mark.parametrize("shards", [None, 2])
def test_the_index_holds_and_searches_the_clean_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shards: int | None
) -> None:
    index = _index(tmp_path, capsys, shards)
    (hit,) = search(SearchRequest(q="bong da nu thai lan"), index).hits
    assert hit.title == CLEAN["title"] and hit.lead == CLEAN["lead"]
    assert "&gt;" not in hit.title_html and "&amp;gt;" not in hit.title_html
    assert "<mark>Bóng đá nữ</mark>" in hit.title_html or "<mark>Bóng</mark>" in hit.title_html
    for markup_word in ("gt", "strong", "align", "center", "nbsp"):  # the markup is not indexed
        assert search(SearchRequest(q=markup_word), index).total == 0, markup_word


@pytest.mark.parametrize("shards", [None, 2])
def test_a_long_title_is_shown_cut_and_searched_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shards: int | None
) -> None:
    index = _index(tmp_path, capsys, shards)
    result = search(SearchRequest(q="kỳlạđặcbiệt"), index)  # a word past the cut
    (hit,) = result.hits
    assert hit.id == "long-1"
    assert hit.title == display_title(LONG_TITLE) and hit.title.endswith("…")
    assert len(hit.title) <= TITLE_MAX_CHARS
    assert "kỳlạđặcbiệt" not in hit.title_html  # the highlighted title is the one shown
    (hit,) = search(SearchRequest(q="Bộ trưởng Nguyễn Văn An"), index).hits
    assert "<mark>" in hit.title_html and hit.title_html.endswith("…")

    app = webapp.create_app(str(index))
    assert app.extensions["timtin_assist"].wait(60)
    client = app.test_client()
    got = client.get("/suggest", query_string={"q": "bộ trưởng nguyễn"}).get_json()["suggestions"]
    titles = [s["text"] for s in got if s["kind"] == "title"]
    assert titles == [display_title(LONG_TITLE)]  # autocomplete offers the cut title too
    doc = client.get("/search", query_string={"q": "kỳlạđặcbiệt"}).get_json()
    assert doc["results"][0]["title"] == display_title(LONG_TITLE)
    page = client.get("/articles/long-1").get_data(as_text=True)
    assert LONG_TITLE in page  # the article page shows the whole headline...
    assert f"<title>{display_title(LONG_TITLE)} – Tìm tin</title>" in page  # ...its tab the cut one
