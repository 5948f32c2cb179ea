"""The --cluster options of the command line, where no cluster is needed to check them."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.cli import build_parser, main


def test_index_cluster_needs_a_sharded_index(tmp_path: Path, capsys) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text('{"id": "1", "title": "Bão lũ", "body": "Mưa lớn."}\n', encoding="utf-8")
    index = tmp_path / "ix"
    assert main(["index", str(src), "--index", str(index), "--cluster", "127.0.0.1:1", "-q"]) == 3
    assert "--shards N" in capsys.readouterr().err
    assert not index.exists()  # nothing written, no cluster contacted


def test_watch_does_not_take_cluster(tmp_path: Path, capsys) -> None:
    assert main(["index", str(tmp_path), "--index", str(tmp_path / "ix"), "--watch", "--cluster", "x:1"]) == 2
    assert "--watch" in capsys.readouterr().err


def test_serve_cluster_options() -> None:
    args = build_parser().parse_args(["serve", "--index", "ix", "--cluster", "10.0.0.1:6379", "--replicas", "2"])
    assert (args.cluster, args.replicas) == ("10.0.0.1:6379", 2)
    assert build_parser().parse_args(["serve"]).cluster is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--cluster", "x:1", "--replicas", "0"])
