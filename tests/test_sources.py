"""Tests for indexer.ingest.sources (file ingestion) and indexer.text.legacy (TCVN3/VNI conversion)."""

from __future__ import annotations

import codecs
import gzip
import json
import os
import unicodedata
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from indexer.ingest import sources
from indexer.ingest.sources import count_records, iter_files, parse_published, read_articles
from indexer.models import Article, Problem
from indexer.text.legacy import (
    assess_legacy,
    convert_legacy,
    detect_legacy,
    encode_legacy,
    is_vietnamese_syllable,
)
from tests.helpers import cp1258_bytes

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_87d1a404c8769f4e.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sources"
ICT = timezone(timedelta(hours=7))
SENTENCE = "Người dân Đà Nẵng được nghỉ Tết. Thành phố Hồ Chí Minh khẳng định kỹ năng, nghĩa vụ."


def read(*paths: str | Path) -> list[Article | Problem]:
    return list(read_articles(list(paths)))


def articles(items: list[Article | Problem]) -> list[Article]:
    return [x for x in items if isinstance(x, Article)]


def problems(items: list[Article | Problem]) -> list[str]:
    return [str(x) for x in items if isinstance(x, Problem)]


def jsonl(path: Path, *records: object) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rec(i: str = "a1", title: str = "Tiêu đề", body: str = "Nội dung bài viết.", **extra: object) -> dict:
    return {"id": i, "title": title, "body": body, **extra}


# --------------------------------------------------------------------------- parse_published


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013-10-23T11:39:00+07:00", datetime(2013, 10, 23, 11, 39, tzinfo=ICT)),
        ("2013-10-23T04:39:00Z", datetime(2013, 10, 23, 4, 39, tzinfo=UTC)),
        ("2013-10-23T11:39:00", datetime(2013, 10, 23, 11, 39)),
        ("2013-10-23", datetime(2013, 10, 23)),
        (" 23/10/2013 ", datetime(2013, 10, 23)),
        ("3/1/2019 08:15", datetime(2019, 1, 3, 8, 15)),
        ("03/01/2019 08:15:30", datetime(2019, 1, 3, 8, 15, 30)),
    ],
)
def test_parse_published_formats(text: str, expected: datetime) -> None:
    got = parse_published(text)
    assert got == expected
    assert got is not None and (got.tzinfo is None) == (expected.tzinfo is None)


@pytest.mark.parametrize("text", ["hôm qua", "2013", "32/01/2019", "23/13/2013", "12:30", "2013-02-30"])
def test_parse_published_garbage_raises(text: str) -> None:
    with pytest.raises(ValueError):
        parse_published(text)


# --------------------------------------------------------------------------- files


def test_iter_files_recursive_sorted_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    for rel in [
        "b.txt",
        "a.jsonl",
        "sub/z.csv",
        "sub/c.json",
        "x.md",
        ".hidden.txt",
        ".git/h.txt",
        "d.jsonl.gz",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    single = tmp_path / "sub" / "c.json"
    got = [(f.relative_to(tmp_path).as_posix(), r) for f, r in iter_files([tmp_path, single])]
    assert got == [
        ("a.jsonl", tmp_path),
        ("b.txt", tmp_path),
        ("d.jsonl.gz", tmp_path),
        ("sub/c.json", tmp_path),
        ("sub/z.csv", tmp_path),
        ("sub/c.json", single.parent),
    ]


def test_iter_files_yields_explicit_unsupported_and_missing_paths(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("x")
    missing = tmp_path / "missing.jsonl"
    assert list(iter_files([notes, str(missing)])) == [(notes, tmp_path), (missing, tmp_path)]
    items = read(notes, missing)
    assert problems(items) == [
        f"{notes}:0: unsupported file type (expected one of .txt, .jsonl, .jsonl.gz, .json, .csv)",
        f"{missing}:0: no such file or directory",
    ]


def test_single_path_instead_of_list_is_tolerated() -> None:
    assert [a.id for a in articles(list(read_articles(str(SEED))))] == [SEED.name]  # type: ignore[arg-type]


def test_missing_file_without_suffix_is_reported(tmp_path: Path) -> None:
    assert problems(read(tmp_path / "nope")) == [f"{tmp_path / 'nope'}:0: no such file or directory"]


def test_fixture_folder_reads_every_format() -> None:
    items = read(FIXTURES)
    assert problems(items) == []
    by_id = {a.id: a for a in articles(items)}
    assert list(by_id) == ["csv-1", "csv-2", "jl-1", "jl-2", "nested/bai-viet.txt"]
    assert by_id["csv-1"].body == "Mưa lớn kéo dài.\nNhiều tuyến phố ngập sâu."
    assert by_id["csv-1"].published == datetime(2013, 10, 23, 11, 39, tzinfo=ICT)
    assert by_id["csv-2"].body == 'Du lịch "bùng nổ" dịp lễ.' and by_id["csv-2"].lead == ""
    assert by_id["csv-2"].published == datetime(2013, 10, 23, 8, 15)
    assert by_id["jl-1"].category == "Kinh tế"
    assert by_id["nested/bai-viet.txt"].author == "Nguyễn Văn A"
    assert by_id["nested/bai-viet.txt"].body == "Tôi đi học."
    # estimate: csv physical lines minus header (over-counts the multi-line record), jsonl lines, one txt
    assert count_records([FIXTURES]) == 3 + 3 + 1


def test_unreadable_file_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.txt"
    target.write_text("Tiêu đề\n\nNội dung.")
    real_open = open

    def deny(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == str(target):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", deny)
    assert problems(read(target)) == [f"{target}:0: permission denied"]


def test_dangling_symlink_in_folder_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Tiêu đề\n\nNội dung.")
    (tmp_path / "broken.jsonl").symlink_to(tmp_path / "gone.jsonl")
    items = read(tmp_path)
    assert problems(items) == [f"{tmp_path / 'broken.jsonl'}:0: no such file or directory"]
    assert [a.id for a in articles(items)] == ["ok.txt"]


def test_symlink_loop_terminates(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Tiêu đề\n\nNội dung.")
    (tmp_path / "loop").symlink_to(tmp_path)
    assert [a.id for a in articles(read(tmp_path))] == ["a.txt"]


# --------------------------------------------------------------------------- .txt


def test_seed_txt_title_author_and_body() -> None:
    [article] = read(SEED)
    assert isinstance(article, Article)
    assert article.id == "000_87d1a404c8769f4e.txt"
    assert article.title == "Tham mưu chuẩn bị và tổ chức tốt đại hội đảng các cấp"
    assert article.author == "Hồng Tâm"
    assert article.lead == ""
    assert article.body.startswith("Tham mưu chuẩn bị và tổ chức tốt đại hội đảng các cấp Đồng chí")
    assert article.body.endswith("về công tác xây dựng Đảng…")
    assert "Hồng Tâm" not in article.body
    assert "\n\n" not in article.body and article.body.count("\n") == 5


def test_txt_id_is_relative_to_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("Tiêu đề\n\nĐoạn một.\n\nĐoạn hai.\n")
    [article] = read(tmp_path)
    assert isinstance(article, Article)
    assert (article.id, article.body, article.author) == ("sub/a.txt", "Đoạn một.\nĐoạn hai.", "")


@pytest.mark.parametrize(
    ("last", "is_byline"),
    [
        ("Hồng Tâm", True),
        ("Theo TTXVN", True),
        ("Hết.", False),  # final period
        ("Ai chịu trách nhiệm?", False),
        ("Một hai ba bốn năm sáu bảy", False),  # 7 words
        ("Nguyễn Văn Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", False),  # > 40 chars
    ],
)
def test_txt_byline_rule(tmp_path: Path, last: str, is_byline: bool) -> None:
    (tmp_path / "a.txt").write_text(f"Tiêu đề\n\nĐoạn đầu tiên của bài.\n\n{last}\n", encoding="utf-8")
    [article] = read(tmp_path / "a.txt")
    assert isinstance(article, Article)
    assert article.author == (last if is_byline else "")
    assert article.body == ("Đoạn đầu tiên của bài." if is_byline else f"Đoạn đầu tiên của bài.\n{last}")


def test_txt_single_short_paragraph_is_body_not_byline(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Tiêu đề\n\nHồng Tâm\n")
    [article] = read(tmp_path / "a.txt")
    assert isinstance(article, Article) and article.body == "Hồng Tâm" and article.author == ""


def test_txt_problems(tmp_path: Path) -> None:
    (tmp_path / "1.txt").write_text("")
    (tmp_path / "2.txt").write_text(" \n\n  \n")
    (tmp_path / "3.txt").write_text("\nNội dung không có tiêu đề.\n")
    (tmp_path / "4.txt").write_text("Chỉ có tiêu đề\n\n\n")
    assert problems(read(tmp_path)) == [
        f"{tmp_path / '1.txt'}:0: empty file",
        f"{tmp_path / '2.txt'}:0: empty file",
        f"{tmp_path / '3.txt'}:1: missing title (the first line is blank)",
        f"{tmp_path / '4.txt'}:2: missing body (only a title line)",
    ]


def test_txt_crlf_nul_and_decomposed_text_are_cleaned(tmp_path: Path) -> None:
    title = unicodedata.normalize("NFD", "  Tiêu đề\x00 ")
    (tmp_path / "a.txt").write_bytes(f"{title}\r\n\r\nNội\x00 dung.\r\n".encode())
    [article] = read(tmp_path / "a.txt")
    assert isinstance(article, Article)
    assert (article.title, article.body) == ("Tiêu đề", "Nội dung.")
    assert unicodedata.is_normalized("NFC", article.title)


# --------------------------------------------------------------------------- .jsonl / .jsonl.gz


def test_jsonl_fields_and_published(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "a.jsonl",
        rec(
            " x1 ",
            title=unicodedata.normalize("NFD", " Hà Nội "),
            lead="Sapo",
            url="https://tuoitre.vn/a",
            source="tuoitre.vn",
            category="ThoiSu",
            author="Hồng Tâm",
            published="2013-10-23T11:39:00+07:00",
            unknown_field=[1, 2],
        ),
    )
    [a] = read(path)
    assert a == Article(
        id="x1",
        title="Hà Nội",
        body="Nội dung bài viết.",
        lead="Sapo",
        url="https://tuoitre.vn/a",
        source="Tuổi Trẻ",  # display names (indexer/data/sources.tsv, categories.tsv)
        category="Thời sự",
        author="Hồng Tâm",
        published=datetime(2013, 10, 23, 11, 39, tzinfo=ICT),
    )


def test_jsonl_numeric_id_null_optional_and_bad_date(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "a.jsonl", rec(123, lead=None, published="hôm qua"), rec("b", published=""))  # type: ignore[arg-type]
    got = read(path)
    assert problems(got) == []
    assert [(a.id, a.lead, a.published) for a in articles(got)] == [("123", "", None), ("b", "", None)]


def test_jsonl_bad_lines_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "a.jsonl",
        rec("ok1"),  # 1
        "",  # 2 blank: skipped silently
        '{"id": "x", "title": ',  # 3
        "[1, 2]",  # 4
        rec("m", title=None),  # 5
        {"id": "m2", "body": "b"},  # 6
        rec("e", title="   "),  # 7
        rec("t", body=["đoạn"]),  # 8
        rec("", title="t"),  # 9
        rec(True),  # type: ignore[arg-type]  # 10
        rec("l", lead=5),  # 11
        rec("p", published=20131023),  # 12
        "   ",  # 13
        rec("ok2"),  # 14
    )
    got = read(path)
    assert [a.id for a in articles(got)] == ["ok1", "ok2"]
    assert problems(got) == [
        f"{path}:3: malformed JSON: Expecting value (column 21)",
        f"{path}:4: record is not a JSON object (got array)",
        f"{path}:5: missing required field 'title'",
        f"{path}:6: missing required field 'title'",
        f"{path}:7: empty 'title'",
        f"{path}:8: field 'body' must be a string, not list",
        f"{path}:9: empty 'id'",
        f"{path}:10: field 'id' must be a string, not bool",
        f"{path}:11: field 'lead' must be a string, not int",
        f"{path}:12: field 'published' must be a string, not int",
    ]


def test_duplicates_first_wins_across_files(tmp_path: Path) -> None:
    a = jsonl(tmp_path / "a.jsonl", rec("d1", title="Thứ nhất"), rec("d2"), rec("d1", title="Thứ hai"))
    b = jsonl(tmp_path / "b.jsonl", rec("d2", title="Khác"))
    got = read(a, b)
    assert [(x.id, x.title) for x in articles(got)] == [("d1", "Thứ nhất"), ("d2", "Tiêu đề")]
    assert problems(got) == [
        f"{a}:3: duplicate id 'd1' (first seen at {a}:1)",
        f"{b}:1: duplicate id 'd2' (first seen at {a}:2)",
    ]


def test_jsonl_gz_and_count(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(50):
            fh.write(json.dumps(rec(f"g{i}", title=f"Bài số {i}"), ensure_ascii=False) + "\n")
    got = read(path)
    assert [a.id for a in articles(got)] == [f"g{i}" for i in range(50)] and problems(got) == []
    assert count_records([path]) == 50


def test_truncated_gzip_keeps_previous_records(tmp_path: Path) -> None:
    lines = [json.dumps(rec(f"t{i}", body="Nội dung " * 200), ensure_ascii=False) for i in range(400)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    got = read(path)
    kept = articles(got)
    assert 0 < len(kept) < 400
    assert [a.id for a in kept] == [f"t{i}" for i in range(len(kept))]
    [problem] = [x for x in got if isinstance(x, Problem)]
    assert problem.line == len(kept) + 1 and "truncated or corrupt gzip" in problem.reason
    assert got[-1] is problem
    assert 0 < count_records([path]) <= 400


def test_not_gzip_is_a_file_problem(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "plain.jsonl.gz", rec())
    [problem] = read(path)
    assert isinstance(problem, Problem) and problem.line == 0 and "not a gzip file" in problem.reason


def test_deeply_nested_json_line_is_a_problem(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    path = jsonl(
        tmp_path / "a.jsonl", "[" * 100_000, f'{{"id": "n", "title": "t", "body": "b", "x": {deep}}}', rec()
    )
    got = read(path)
    assert problems(got) == [
        f"{path}:1: malformed JSON: nested too deeply",
        f"{path}:2: malformed JSON: nested too deeply",
    ]
    assert [a.id for a in articles(got)] == ["a1"]


def test_ten_megabyte_body_is_accepted(tmp_path: Path) -> None:
    body = ("Đây là một câu rất dài. " * 450_000)[:10_000_000]
    path = jsonl(tmp_path / "big.jsonl", rec("big", body=body), rec("small"))
    got = read(path)
    assert [len(a.body) for a in articles(got)] == [len(body.strip()), len("Nội dung bài viết.")]


def test_overlong_line_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "MAX_LINE_BYTES", 1000)
    path = jsonl(tmp_path / "a.jsonl", rec("long", body="x" * 5000), rec("short"))
    got = read(path)
    assert problems(got) == [f"{path}:1: line longer than 0 MiB"]
    assert [a.id for a in articles(got)] == ["short"]


# --------------------------------------------------------------------------- .json


def test_json_array_and_articles_object_with_real_line_numbers(tmp_path: Path) -> None:
    array = tmp_path / "a.json"
    array.write_text(
        '[\n  {"id": "j1", "title": "Một", "body": "Nội dung"},\n\n  "chuỗi",\n'
        '  {"id": "j2", "title": "Hai",\n   "body": ""},\n  {"id": "j3", "title": "Ba", "body": "B"}\n]\n',
        encoding="utf-8",
    )
    obj = tmp_path / "b.json"
    obj.write_text(
        '{"meta": {"n": [1, 2]},\n "articles": [\n  {"id": "j4", "title": "Bốn", "body": "B"},\n'
        '  {"id": "j1", "title": "Lặp", "body": "B"}\n ]\n}',
        encoding="utf-8",
    )
    got = read(array, obj)
    assert [a.id for a in articles(got)] == ["j1", "j3", "j4"]
    assert problems(got) == [
        f"{array}:4: record is not a JSON object (got string)",
        f"{array}:5: empty 'body'",
        f"{obj}:4: duplicate id 'j1' (first seen at {array}:2)",
    ]
    assert count_records([array, obj]) == 5


def test_json_syntax_error_keeps_earlier_elements(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('[{"id": "s1", "title": "T", "body": "B"},\n {"id": "s2", "title": }\n]')
    got = read(path)
    assert [a.id for a in articles(got)] == ["s1"]
    assert problems(got) == [f"{path}:2: malformed JSON: Expecting value (column 24)"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"items": []}', 'expected a JSON array or an object with an "articles" array'),
        ("42", 'expected a JSON array or an object with an "articles" array'),
        ("", "empty file"),
    ],
)
def test_json_wrong_shape(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(content)
    assert problems(read(path)) == [f"{path}:0: {reason}"]


def test_json_trailing_garbage_and_deep_nesting(tmp_path: Path) -> None:
    trailing = tmp_path / "t.json"
    trailing.write_text('[{"id": "z1", "title": "T", "body": "B"}]\nxyz')
    deep = tmp_path / "d.json"
    deep.write_text('{"articles": [\n' + "[" * 100_000 + "]" * 100_000 + "]}")
    got = read(trailing, deep)
    assert [a.id for a in articles(got)] == ["z1"]
    assert problems(got) == [
        f"{trailing}:2: malformed JSON: Extra data (column 1)",
        f"{deep}:2: malformed JSON: nested too deeply",
    ]


# --------------------------------------------------------------------------- .csv


def test_csv_multiline_fields_and_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "ID,Title,Body,Published\r\n"
        'c1,"Tiêu đề\r\nhai dòng","Đoạn một.\r\n\r\nĐoạn hai.",2013-10-23\r\n'
        "\r\n"
        "c2,Tiêu đề,,\r\n"
        "c3,Tiêu đề,Nội dung,,thừa\r\n"
        'c4,"Tiêu đề ""trích""",Nội dung,23/10/2013 07:00\r\n'
        "c5,Thiếu cột\r\n",
        encoding="utf-8",
    )
    got = read(path)
    assert [(a.id, a.title, a.body) for a in articles(got)] == [
        ("c1", "Tiêu đề\nhai dòng", "Đoạn một.\n\nĐoạn hai."),
        ("c4", 'Tiêu đề "trích"', "Nội dung"),
    ]
    assert articles(got)[1].published == datetime(2013, 10, 23, 7, 0)
    assert problems(got) == [
        f"{path}:7: missing required field 'body'",
        f"{path}:8: row has 5 fields, the header has 4",
        f"{path}:10: row has 2 fields, the header has 4",
    ]


def test_csv_unicode_line_separators_stay_inside_fields(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,title,body\nu1,Tiêu\u2028đề,Nội\x0cdung\nu2,T,B\n", encoding="utf-8")
    got = read(path)
    assert problems(got) == []
    assert [(a.id, a.title, a.body) for a in articles(got)] == [
        ("u1", "Tiêu\u2028đề", "Nội\x0cdung"),
        ("u2", "T", "B"),
    ]


def test_json_lone_surrogate_is_replaced(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "a.jsonl", '{"id": "s", "title": "T\\ud800", "body": "B"}')
    [article] = read(path)
    assert isinstance(article, Article) and article.title == "T\ufffd"


def test_csv_header_lacking_columns(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,headline,text\n1,a,b\n")
    empty = tmp_path / "e.csv"
    empty.write_text("\n\n")
    assert problems(read(path, empty)) == [
        f"{path}:1: CSV header lacks required column(s): title, body",
        f"{empty}:0: empty file",
    ]


def test_csv_ten_megabyte_body(tmp_path: Path) -> None:
    body = "Nội dung rất dài " * 600_000
    path = tmp_path / "big.csv"
    path.write_text(f'id,title,body\nbig,Tiêu đề,"{body}"\nsmall,T,B\n', encoding="utf-8")
    got = read(path)
    assert problems(got) == []
    assert [(a.id, len(a.body)) for a in articles(got)] == [("big", len(body.strip())), ("small", 1)]


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_bom_encodings(tmp_path: Path, codec: str) -> None:
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
    text = f'id,title,body\nb1,{SENTENCE[:20]},"{SENTENCE}"\n'
    (tmp_path / "a.csv").write_bytes(bom + text.encode(codec))
    jsonl_text = json.dumps(rec("b2", title="Tiêu đề"), ensure_ascii=False) + "\n"
    (tmp_path / "b.jsonl").write_bytes(bom + jsonl_text.encode(codec))
    got = read(tmp_path)
    assert problems(got) == []
    assert [(a.id, a.title) for a in articles(got)] == [("b1", SENTENCE[:20]), ("b2", "Tiêu đề")]


def test_cp1258_fallback(tmp_path: Path) -> None:
    data = cp1258_bytes(f"{SENTENCE[:25]}\n\n{SENTENCE}\n")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    (tmp_path / "a.txt").write_bytes(data)
    (tmp_path / "b.jsonl").write_bytes(cp1258_bytes(json.dumps(rec("w", title=SENTENCE), ensure_ascii=False)))
    got = read(tmp_path)
    assert problems(got) == []
    assert [(a.title, a.body) for a in articles(got)] == [
        (SENTENCE[:25].strip(), SENTENCE),
        (SENTENCE, "Nội dung bài viết."),
    ]


def test_unrecoverable_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"Ti\xc3\xaau \x81\x8d\x90 \xff\xfe\n\nabc")
    (tmp_path / "b.jsonl").write_bytes(json.dumps(rec()).encode() + b"\n" + b'{"id": "\x81\x90"}\n')
    got = read(tmp_path)
    assert [a.id for a in articles(got)] == ["a1"]
    assert problems(got) == [
        f"{tmp_path / 'a.txt'}:0: not valid UTF-8 (invalid byte 0x81 at offset 6) nor Windows-1258",
        f"{tmp_path / 'b.jsonl'}:2: not valid UTF-8 (invalid byte 0x81 at offset 8) nor Windows-1258",
    ]


def test_bad_utf16_after_bom(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(codecs.BOM_UTF16_LE + "Tiêu đề".encode("utf-16-le") + b"\x00\xd8")
    [problem] = read(tmp_path / "a.txt")
    assert isinstance(problem, Problem) and problem.line == 0
    assert problem.reason.startswith("not valid UTF-16-LE despite its byte order mark")


# --------------------------------------------------------------------------- legacy encodings

LEGACY_SAMPLES = [
    "Tôi đi học",
    "Cộng hoà xã hội chủ nghĩa Việt Nam",
    "Độc lập - Tự do - Hạnh phúc",
    "người dân đà nẵng được nghỉ tết, thành phố hồ chí minh khẳng định kỹ năng và nghĩa vụ.",
    "ăn ắn ằn ẳn ẵn ặn ấy ầy ẩy ẫy ậy ê ế ề ể ễ ệ ỉ ĩ ị ỏ õ ọ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ủ ũ ụ ứ ừ ử ữ ự ỳ ỷ ỹ ý ỵ",
]


@pytest.mark.parametrize("text", LEGACY_SAMPLES)
@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_legacy_round_trip_and_detection(text: str, encoding: str) -> None:
    encoded = encode_legacy(text, encoding)
    assert encoded != text and all(ord(c) < 0x100 for c in encoded)
    assert convert_legacy(encoded, encoding) == text
    assert detect_legacy(encoded) == encoding


def test_legacy_known_strings() -> None:
    assert encode_legacy("Tôi đi học", "tcvn3") == "T«i ®i häc"
    assert encode_legacy("Tôi đi học", "vni") == "Toâi ñi hoïc"
    assert convert_legacy("T«i ®i häc", "tcvn3") == "Tôi đi học"
    assert convert_legacy("Toâi ñi hoïc", "vni") == "Tôi đi học"
    assert convert_legacy("NGÖÔØI VIEÄT NAM, Ñaø Naüng", "vni") == "NGƯỜI VIỆT NAM, Đà Nẵng"
    assert encode_legacy("Đà Nẵng", "tcvn3") == "§µ N½ng"


def test_vni_upper_case_round_trip() -> None:
    text = "NGUYỄN VĂN ĐỨC, QUẢNG NGÃI, ỶU, ỸU, ỴU"
    assert convert_legacy(encode_legacy(text, "vni"), "vni") == text
    with pytest.raises(ValueError):
        encode_legacy("Ấy", "tcvn3")  # TCVN3 has no upper-case toned letters


@pytest.mark.parametrize(
    "text",
    [
        SENTENCE,
        "Tôi là ai",  # Unicode Vietnamese using only Latin-1 letters
        "The quick brown fox jumps over the lazy dog.",
        "Le café est très bon à côté de l'école, déjà été où naïve.",
        "Müller über Größe «guillemets» año señor",
        "",
    ],
)
def test_normal_text_is_not_legacy(text: str) -> None:
    assert assess_legacy(text) == (None, False)


def test_suspicious_legacy_is_not_converted() -> None:
    tcvn3 = encode_legacy("tôi đi học ở hà nội", "tcvn3")
    assert assess_legacy(f"{tcvn3} Müller Größe über Ärger") == ("tcvn3", False)
    assert detect_legacy(f"{tcvn3} Müller Größe über Ärger") is None


def test_syllable_check() -> None:
    for word in ["nghiêng", "người", "khuya", "Nguyễn", "quốc", "giữa", "hoạch", "được"]:
        assert is_vietnamese_syllable(word), word
    for word in ["häc", "Toâi", "ñi", "school", "ngưòiì", "bcd"]:
        assert not is_vietnamese_syllable(word), word


def test_legacy_files_are_converted(tmp_path: Path) -> None:
    title = "người dân đà nẵng được nghỉ tết"
    body = "thành phố hồ chí minh khẳng định kỹ năng và nghĩa vụ của tỉnh ủy."
    # TCVN3 bytes (not valid UTF-8) in a .txt file
    (tmp_path / "a.txt").write_bytes(encode_legacy(f"{title}\n\n{body}\n", "tcvn3").encode("latin-1"))
    # VNI text that was re-saved as UTF-8 (mojibake), in .jsonl and .csv
    vni = rec("v1", title=encode_legacy(title, "vni"), body=encode_legacy(body, "vni"), author="Hồng Tâm")
    jsonl(tmp_path / "b.jsonl", vni)
    (tmp_path / "c.csv").write_text(
        f"id,title,body\nt1,{encode_legacy(title, 'tcvn3')},{encode_legacy(body, 'tcvn3')}\n"
    )
    got = read(tmp_path)
    assert problems(got) == []
    assert [(a.id, a.title, a.body) for a in articles(got)] == [
        ("a.txt", title, body),
        ("v1", title, body),
        ("t1", title, body),
    ]
    assert articles(got)[1].author == "Hồng Tâm"


def test_suspicious_legacy_record_is_a_problem(tmp_path: Path) -> None:
    tcvn3 = encode_legacy("tôi đi học ở hà nội", "tcvn3")
    path = jsonl(tmp_path / "a.jsonl", rec("s", title=tcvn3, body="Müller Größe über Ärger"))
    assert problems(read(path)) == [f"{path}:1: looks like TCVN3 legacy encoding; convert it to Unicode"]


# --------------------------------------------------------------------------- robustness


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.lists(
            st.sampled_from([b"{", b"}", b"[", b'"id"', b":", b",", b"\n", b'"', b"\xc3", b"\xff\xfe", b"a"])
        ).map(b"".join),
    ),
    suffix=st.sampled_from([".jsonl", ".csv", ".txt", ".json", ".jsonl.gz"]),
)
def test_never_raises_on_random_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    items = list(read_articles([path]))
    assert all(isinstance(x, Article | Problem) for x in items)
    for x in items:
        if isinstance(x, Article):
            assert x.id and x.title and x.body and x.id == x.id.strip() and "\x00" not in x.body
            for text in (x.id, x.title, x.body, x.lead, x.author):
                text.encode("utf-8")  # raises on lone surrogates
                assert text == text.strip() and unicodedata.is_normalized("NFC", text)
    expected = _expected_count(data, suffix)
    assume(expected is not None)
    assert count_records([path]) == expected


def _lines(data: bytes) -> int:
    return data.count(b"\n") + (bool(data) and not data.endswith(b"\n"))


def _expected_count(data: bytes, suffix: str) -> int | None:
    """What count_records documents for one file holding ``data``, worked out independently."""
    if suffix == ".txt":
        return 1
    if suffix == ".json":
        return data.count(b'"id"')
    if suffix == ".csv":
        return max(0, _lines(data) - 1)
    if suffix == ".jsonl.gz":
        try:
            return _lines(gzip.decompress(data))
        except (OSError, EOFError, zlib.error):
            # not gzip at all counts 0; a damaged gzip stream counts what was read, not modelled here
            return None if data.startswith(b"\x1f\x8b") else 0
    return _lines(data)


def test_count_records_estimates(tmp_path: Path) -> None:
    jsonl(tmp_path / "a.jsonl", rec("1"), rec("2"), rec("3"))
    (tmp_path / "b.jsonl").write_text(json.dumps(rec("4")))  # no final newline
    (tmp_path / "c.txt").write_text("T\n\nB")
    (tmp_path / "d.csv").write_text("id,title,body\n5,T,B\n6,T,B\n")
    (tmp_path / "e.json").write_text(json.dumps([rec("7"), rec("8")]))
    assert count_records([tmp_path, tmp_path / "missing.jsonl"]) == 3 + 1 + 1 + 2 + 2
    assert count_records([]) == 0
    assert os.path.exists(tmp_path / "a.jsonl")
