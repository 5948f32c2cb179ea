"""The ``timtin`` command line: index (with bad input), search, delete, eval."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.cli import main

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_seed_article_is_found_without_diacritics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = str(tmp_path / "ix")
    code, _, err = run(capsys, "index", str(SEEDS), "--index", index)
    assert code == 0 and "1 indexed" in err
    code, out, _ = run(capsys, "search", "dai hoi dang cac cap", "--index", index, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["total"] == 1
    hit = doc["results"][0]
    assert hit["id"] == "000_87d1a404c8769f4e.txt"
    assert hit["title"] == "Tham mưu chuẩn bị và tổ chức tốt đại hội đảng các cấp"
    assert "<mark>" in hit["snippet_html"] and hit["score"] > 0


def test_bad_input_is_reported_and_the_rest_indexed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "in"
    data.mkdir()
    def js(**kw: str) -> str:
        return json.dumps(kw, ensure_ascii=False)

    lines = [
        js(id="a", title="Giá lúa tăng mạnh", body="Nông dân vui mừng."),
        "{not json",
        js(id="b", title="", body="Không có tiêu đề"),
        js(id="a", title="Trùng id", body="Bản sau"),
        js(id="c", title="Lũ quét ở Lào Cai", body="Mưa lớn."),
    ]
    (data / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data / "broken.txt").write_bytes(b"")
    index = str(tmp_path / "ix")
    code, _, err = run(capsys, "index", str(data), "--index", index)
    assert code == 0
    assert "news.jsonl:2:" in err and "news.jsonl:3:" in err and "news.jsonl:4:" in err
    assert "broken.txt:0:" in err
    assert "2 indexed, 0 updated, 0 deleted, 4 skipped" in err
    code, _, _ = run(capsys, "index", str(data), "--index", index, "--strict")
    assert code == 1  # something was skipped
    code, out, _ = run(capsys, "search", "lu quet", "--index", index, "--json")
    assert [r["id"] for r in json.loads(out)["results"]] == ["c"]


def test_nothing_indexable_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "index", str(tmp_path / "missing.jsonl"), "--index", str(tmp_path / "ix"))
    assert code == 1 and "missing.jsonl:0:" in err


def test_reindex_updates_in_place_and_delete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    index = str(tmp_path / "ix")
    run(capsys, "index", str(seeds), "--index", index)
    code, _, err = run(capsys, "index", str(seeds), "--index", index)
    assert code == 0 and "0 indexed, 1 updated" in err
    code, _, err = run(capsys, "delete", "000_87d1a404c8769f4e.txt", "nope", "--index", index)
    assert code == 1 and "1 deleted, 1 not found" in err
    code, out, _ = run(capsys, "search", "dai hoi", "--index", index)
    assert out.startswith("0 results")


def test_eval_prints_metrics_per_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = str(tmp_path / "ix")
    run(capsys, "index", str(SEEDS), "--index", index)
    queries = {"queries": [
        {"qid": "1", "kind": "known-item-unaccented", "query": "dai hoi dang",
         "relevant": {"000_87d1a404c8769f4e.txt": 1}},
        {"qid": "2", "kind": "event", "query": "bong da", "relevant": {"x": 1}},
    ]}
    qfile = tmp_path / "q.json"
    qfile.write_text(json.dumps(queries))
    code, out, _ = run(capsys, "eval", "--queries", str(qfile), "--index", index, "--json")
    report = json.loads(out)
    assert code == 0
    assert report["kinds"]["known-item-unaccented"]["mrr"] == 1.0
    assert report["kinds"]["event"]["ndcg"] == 0.0
    assert report["latency_ms"]["p50"] > 0


def test_console_script_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "timtin"
    if not exe.exists():
        pytest.skip("timtin console script not installed (pip install -e .)")
    proc = subprocess.run([str(exe), "search", "x", "--index", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3 and "no index" in proc.stderr
