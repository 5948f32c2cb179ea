"""Fuzzing ingestion through the real command line (``timtin index``): random bytes, broken JSON
and CSV, a 50 MB line, NUL bytes, BOMs, mixed and legacy encodings, huge bodies, deep nesting.

Nothing may crash; every bad record is reported (``FILE:LINE: reason`` on stderr) and every good
one is indexed, searchable by its id.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import cli
from indexer.ingest.sources import read_articles
from indexer.models import Article, Problem
from indexer.search import SearchRequest, search
from indexer.store.index import open_index, write_articles
from indexer.text.legacy import encode_legacy
from tests.helpers import cp1258_bytes

SEED = 20240531
VI_TITLE = "Người dân Hà Nội đón năm mới trong mưa phùn"
VI_BODY = "Sáng nay nhiều người đi chợ hoa ở phố cổ. Giá hoa đào tăng nhẹ so với năm ngoái."
PROBLEM_RE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<reason>.+)$")


def rec(id: str, title: str = VI_TITLE, body: str = VI_BODY, **kw: object) -> dict:
    return {"id": id, "title": title, "body": body, **kw}


def jline(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n"


def legacy_bytes(text: str, encoding: str) -> bytes:
    return encode_legacy(text, encoding).encode("latin-1")


@dataclass
class Expect:
    good: dict[str, str]  # id -> title as it must be stored
    problems: list[tuple[str, int, str]]  # (file name, line, reason fragment)


def build_corpus(root: Path) -> Expect:
    """Write the hostile input files into ``root``; return what indexing them must give."""
    rnd = random.Random(SEED)
    good: dict[str, str] = {}
    problems: list[tuple[str, int, str]] = []

    def ok(id: str, title: str = VI_TITLE) -> None:
        good[id] = title

    # 1. JSON Lines with broken lines among good ones
    lines = [jline(rec("jl-1")), b'{"id": "jl-x", "title": "a", \n', b"[]\n", b'"just a string"\n', b"42\n",
             b"null\n", jline({"id": "jl-nobody", "title": "t"}), jline(rec("jl-badtype", body=["x"])),
             jline(rec("jl-2", title="Tiêu đề có\u0000 NUL", body="Thân\u0000bài\x00.")), b"\x00\x00\x00\n",
             b"{\"id\": \"jl-nul\x00\", \"title\": \"t\", \"body\": \"b\"}\n", jline(rec("jl-1", title="trùng")),
             jline(rec("", title="x")), jline(rec("jl-3", published="9999-99-99")), b"\n", b"   \n",
             jline(rec(7, title="Số làm id")), b"{\"id\": \"jl-4\", \"title\": \"L\\ud800ine\", \"body\": \"b\"}\n"]
    (root / "mixed.jsonl").write_bytes(b"".join(lines))
    ok("jl-1")
    ok("jl-2", "Tiêu đề có NUL")
    ok("jl-3")
    ok("7", "Số làm id")
    ok("jl-4", "L\ufffdine")
    problems += [("mixed.jsonl", 2, "malformed JSON"), ("mixed.jsonl", 3, "not a JSON object"),
                 ("mixed.jsonl", 4, "not a JSON object"), ("mixed.jsonl", 5, "not a JSON object"),
                 ("mixed.jsonl", 6, "not a JSON object"), ("mixed.jsonl", 7, "missing required field 'body'"),
                 ("mixed.jsonl", 8, "must be a string"), ("mixed.jsonl", 10, "malformed JSON"),
                 ("mixed.jsonl", 11, "malformed JSON"), ("mixed.jsonl", 12, "duplicate id"),
                 ("mixed.jsonl", 13, "empty 'id'")]

    # 2. byte order marks
    (root / "bom8.jsonl").write_bytes(codecs.BOM_UTF8 + jline(rec("bom-8")) + jline(rec("bom-8b")))
    ok("bom-8")
    ok("bom-8b")
    (root / "bom16.json").write_bytes(codecs.BOM_UTF16_LE + json.dumps(
        [rec("bom-16"), rec("bom-16b", title="Đà Nẵng")], ensure_ascii=False).encode("utf-16-le"))
    ok("bom-16")
    ok("bom-16b", "Đà Nẵng")
    (root / "bom32.csv").write_bytes(codecs.BOM_UTF32_LE + f"id,title,body\nbom-32,{VI_TITLE},{VI_BODY}\n"
                                     .encode("utf-32-le"))
    ok("bom-32")
    (root / "bom16be.jsonl").write_bytes(codecs.BOM_UTF16_BE + jline(rec("bom-16be")).decode().encode("utf-16-be"))
    ok("bom-16be")
    (root / "badbom.json").write_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8")  # a lone surrogate after the BOM
    problems.append(("badbom.json", 0, "despite its byte order mark"))

    # 3. broken JSON and CSV documents
    (root / "truncated.json").write_text(
        "[\n" + json.dumps(rec("tj-1")) + ",\n" + json.dumps(rec("tj-2")) + ',\n{"id": "tj-3", "title": ',
        encoding="utf-8")
    ok("tj-1")
    ok("tj-2")
    problems.append(("truncated.json", 4, "malformed JSON"))
    (root / "scalar.json").write_text("12345", encoding="utf-8")
    problems.append(("scalar.json", 0, "expected a JSON array"))
    (root / "broken.csv").write_text(
        f"id,title,body,source\ncsv-1,{VI_TITLE},{VI_BODY},VnExpress\ncsv-short,only two\n"
        f'csv-2,"Tiêu đề, có phẩy","Thân ""bài""\nhai dòng",Tuổi Trẻ\ncsv-3,,{VI_BODY},x\n'
        'csv-open,"never closed,body,src\n', encoding="utf-8")
    ok("csv-1")
    ok("csv-2", "Tiêu đề, có phẩy")
    problems += [("broken.csv", 3, "row has 2 fields"), ("broken.csv", 6, "missing required field 'title'")]
    (root / "noheader.csv").write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    problems.append(("noheader.csv", 1, "lacks required column"))

    # 4. deep nesting
    deep = "[" * 200_000 + "]" * 200_000
    (root / "deep.jsonl").write_text(
        deep + "\n" + json.dumps(rec("deep-ok")) + "\n" + '{"id": "deep-2", "title": "t", "body": "b", "x": '
        + deep + "}\n", encoding="utf-8")
    ok("deep-ok")
    problems += [("deep.jsonl", 1, "nested too deeply"), ("deep.jsonl", 3, "nested too deeply")]
    (root / "deep.json").write_text("[" + json.dumps(rec("deep-j1")) + "," + deep + "]", encoding="utf-8")
    ok("deep-j1")
    problems.append(("deep.json", 1, "nested too deeply"))

    # 5. a 50 MB line (a record cut off in its body) followed by a good one
    with open(root / "huge.jsonl", "wb") as fh:
        fh.write(b'{"id": "huge-broken", "title": "t", "body": "')
        chunk = b"tin tuc moi nhat " * 65536  # ~1 MB
        for _ in range(50):
            fh.write(chunk)
        fh.write(b"\n" + jline(rec("huge-after")))
    ok("huge-after")
    problems.append(("huge.jsonl", 1, "malformed JSON"))

    # 6. a 10 MB body (cheap to tokenize: mostly punctuation) and a 1 MB body of real words
    big_body = ("đại hội " + ".,;!?-" * 60 + "\n") * 27_000
    (root / "bigbody.jsonl").write_bytes(jline(rec("big-10mb", body=big_body)) + jline(rec("big-1mb", body=" ".join(
        rnd.choice(VI_BODY.split()) for _ in range(220_000)))))
    ok("big-10mb")
    ok("big-1mb")

    # 7. mixed and legacy encodings
    suspicious = encode_legacy("tôi đi học ở hà nội", "tcvn3") + " Müller Größe über Ärger"  # half legacy
    cp = cp1258_bytes(json.dumps(rec("enc-cp1258", title="Bão lũ miền Trung gây thiệt hại"), ensure_ascii=False))
    tcvn3_title = "Người dân đón năm mới trong mưa phùn"
    vni_title = "Người dân Hà Nội đón năm mới trong mưa phùn"
    lines = [jline(rec("enc-utf8")), cp + b"\n",
             legacy_bytes(json.dumps(rec("enc-tcvn3", title=tcvn3_title, body=VI_BODY.lower()),
                                     ensure_ascii=False), "tcvn3") + b"\n",
             legacy_bytes(json.dumps(rec("enc-vni", title=vni_title), ensure_ascii=False), "vni") + b"\n",
             json.dumps(rec("enc-suspicious", title="Tin", body="Bài", lead=suspicious),
                        ensure_ascii=False).encode("latin-1") + b"\n"]
    (root / "encodings.jsonl").write_bytes(b"".join(lines))
    ok("enc-utf8")
    ok("enc-cp1258", "Bão lũ miền Trung gây thiệt hại")
    ok("enc-tcvn3", tcvn3_title)
    ok("enc-vni", vni_title)
    problems.append(("encodings.jsonl", 5, "legacy encoding"))
    (root / "legacy-tcvn3.txt").write_bytes(legacy_bytes(f"{tcvn3_title}\n\n{VI_BODY.lower()}\n", "tcvn3"))
    ok("legacy-tcvn3.txt", tcvn3_title)
    (root / "legacy-vni.csv").write_bytes(legacy_bytes(f"id,title,body\ncsv-vni,{vni_title},{VI_BODY}\n", "vni"))
    ok("csv-vni", vni_title)

    # 8. random bytes in every format (outcome unknown: checked by accounting below)
    for i, suffix in enumerate((".jsonl", ".json", ".csv", ".txt", ".jsonl.gz")):
        (root / f"random-{i}{suffix}").write_bytes(rnd.randbytes(rnd.randint(1, 20_000)))
    (root / "random-lines.jsonl").write_bytes(b"\n".join(rnd.randbytes(rnd.randint(0, 200)) for _ in range(200)))
    (root / "empty.json").write_bytes(b"")
    problems.append(("empty.json", 0, "empty file"))
    (root / "nul.txt").write_bytes(b"\x00" * 1000)
    problems.append(("nul.txt", 0, "empty file"))
    return Expect(good, problems)


@dataclass
class Run:
    code: int
    stderr: str
    problems: list[tuple[str, int, str]]
    index: Path
    expect: Expect


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("fuzz")
    data = root / "in"
    data.mkdir()
    expect = build_corpus(data)
    index = root / "index"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["index", str(data), "--index", str(index), "--quiet"])
    problems = []
    for line in err.getvalue().splitlines():
        m = PROBLEM_RE.match(line)
        if m and not line.startswith("timtin:"):
            problems.append((Path(m["file"]).name, int(m["line"]), m["reason"]))
    return Run(code, err.getvalue(), problems, index, expect)


def test_the_run_completes(run: Run) -> None:
    assert run.code == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    summary = run.stderr.strip().splitlines()[-1]
    assert summary.startswith("timtin: ") and " indexed" in summary and " skipped" in summary


def test_every_good_record_is_indexed(run: Run) -> None:
    ix = open_index(run.index, create=False)
    with ix.searcher() as s:
        for doc_id, title in run.expect.good.items():
            stored = s.document(id=doc_id)
            assert stored is not None, doc_id
            assert stored["title"] == title, doc_id
            assert "\x00" not in stored["title"] + stored["body"]


def test_every_expected_problem_is_reported(run: Run) -> None:
    for file, line, reason in run.expect.problems:
        assert any(f == file and n == line and reason in r for f, n, r in run.problems), (file, line, reason)


def test_accounting_matches_the_reader(run: Run) -> None:
    """Every record the reader yields is either indexed or reported: nothing is lost silently."""
    items = list(read_articles([run.index.parent / "in"]))
    articles = [a for a in items if isinstance(a, Article)]
    problems = [p for p in items if isinstance(p, Problem)]
    assert open_index(run.index, create=False).doc_count() == len(articles) == len({a.id for a in articles})
    assert len(run.problems) == len(problems)
    summary = run.stderr.strip().splitlines()[-1]
    assert f"{len(articles)} indexed" in summary and f"{len(problems)} skipped" in summary
    assert {a.id for a in articles} >= set(run.expect.good)
    for p in problems:  # every random file is mentioned if it gave nothing
        assert p.reason and p.line >= 0


def test_legacy_text_is_searchable_in_unicode(run: Run) -> None:
    legacy = {"enc-tcvn3", "enc-vni", "legacy-tcvn3.txt", "csv-vni"}
    result = search(SearchRequest(q="đón năm mới mưa phùn", per_page=50, collapse=False), run.index)
    found = {h.id for h in result.hits}
    assert legacy <= found  # every article: converted to the same text, some are one story (collapsed by default)


def test_huge_body_is_indexed_and_searchable(run: Run) -> None:
    result = search(SearchRequest(q="đại hội", per_page=5, highlight=False), run.index)
    assert "big-10mb" in {h.id for h in result.hits}


def test_snippets_of_huge_bodies_are_short(tmp_path: Path) -> None:
    rnd = random.Random(SEED)
    words = VI_BODY.replace(".", "").replace(",", "").split()
    body = " ".join(rnd.choice(words) for _ in range(400_000))  # ~2 MB of real words
    write_articles(tmp_path, [Article(id="long", title="Bài rất dài", body=body),
                              Article(id="short", title="Bài ngắn", body="giá hoa đào")])
    result = search(SearchRequest(q="giá hoa đào"), tmp_path)
    assert {h.id for h in result.hits} == {"long", "short"}
    long_hit = next(h for h in result.hits if h.id == "long")
    assert "<mark>" in long_hit.snippet_html and len(long_hit.snippet_html) < 1000  # a window, not the body


# -- property: any bytes in any supported format give Articles and Problems, never an exception --


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=3000),
    st.lists(st.one_of(st.binary(max_size=80), st.builds(lambda d: json.dumps(d).encode(), st.dictionaries(
        st.sampled_from(["id", "title", "body", "lead", "url", "published", "author", "source", "x"]),
        st.one_of(st.text(max_size=30), st.integers(), st.none(), st.booleans(), st.lists(st.integers(), max_size=3)),
        max_size=8))), max_size=20).map(b"\n".join)),
    suffix=st.sampled_from([".jsonl", ".json", ".csv", ".txt"]))
def test_property_reader_never_raises(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"f{suffix}"
    path.write_bytes(data)
    items = list(read_articles([path]))
    ids = set()
    for item in items:
        assert isinstance(item, Article | Problem)
        if isinstance(item, Article):
            assert item.id and item.title and item.body and item.id not in ids
            assert "\x00" not in item.id + item.title + item.body
            item.title.encode("utf-8")  # strict: no lone surrogates reach the index
            ids.add(item.id)
        else:
            assert item.reason and str(item).startswith(str(path))
