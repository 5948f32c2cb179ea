"""timtin on a real local Ray cluster (a head and a worker node, loopback only; no mocks of Ray).

Indexing with ``--cluster`` gives the same search results as one plain index; a node killed in
the middle of cluster indexing loses no committed article and a re-run completes the index
without duplicates; ``serve --cluster`` under a paced load of 20 queries/s survives the loss of
a worker node with 2 replicas (no failed request, lost replicas restarted on the head) and
answers 503 or ``partial`` (never a 500, never a hang) with 1 replica.

The tests share one cluster and run in file order (each that kills the worker node adds a new one).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.ray_cluster import REPO, LocalRayCluster, NetnsPool, cluster_unavailable_reason, http_get, paced_load

_REASON = cluster_unavailable_reason()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")

VN = timezone(timedelta(hours=7))
SHARDS = 3
PLACES = ["Hà Nội", "Thái Nguyên", "Nghệ An", "Đà Nẵng", "Huế", "Cần Thơ", "Quảng Ninh", "Hải Phòng", "Lâm Đồng",
          "Bình Định"]
TOPICS = [
    ("dai-hoi", "Đại hội Đảng bộ {p} nhiệm kỳ mới", "Các đại biểu thảo luận văn kiện đại hội ở {p}.", "Chính trị"),
    ("bao-lu", "Bão lũ gây thiệt hại nặng ở {p}", "Mưa lớn kéo dài, lũ quét cuốn trôi cầu ở {p}.", "Thời sự"),
    ("gia-xang", "Giá xăng dầu tăng, người dân {p} lo lắng", "Chi phí vận tải ở {p} tăng theo giá xăng.", "Kinh tế"),
    ("ban-nha", "Người dân {p} bán nhà để chữa bệnh cho con", "Những người bạn nhà bên cạnh ở {p} đến giúp.",
     "Xã hội"),
]
QUERIES = ["bão lũ", "bao lu", "đại hội đảng", "giá xăng", "bán nhà", "bạn nhà", "Huế", "người dân lo lắng",
           "thiệt hại nặng Đà Nẵng", "nhiệm kỳ mới"]
PY = sys.executable


def write_corpus(path: Path) -> list[str]:
    """120 articles (3 rounds × 4 topics × 10 provinces) as JSON lines; their ids."""
    ids = []
    with path.open("w", encoding="utf-8") as f:
        for r in range(3):
            for t, (slug, title, body, category) in enumerate(TOPICS):
                for i, place in enumerate(PLACES):
                    n = (r * len(TOPICS) + t) * len(PLACES) + i
                    ids.append(f"{slug}-{r}-{i}")
                    f.write(json.dumps({
                        "id": ids[-1], "title": title.format(p=place),
                        "body": body.format(p=place) + " Thêm chi tiết." * (n % 4),
                        "source": ["Nhân Dân", "VnExpress", "Tuổi Trẻ"][n % 3], "category": category,
                        "published": datetime(2023, 1 + n % 12, 1 + n % 28, 8, n % 60, tzinfo=VN).isoformat(),
                    }, ensure_ascii=False) + "\n")
    return ids


@pytest.fixture(scope="module")
def cluster():
    with LocalRayCluster(workers=1, cpus=1) as c:
        yield c


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("corpus") / "articles.jsonl"
    return path, write_corpus(path)


@pytest.fixture(scope="module")
def single_index(tmp_path_factory, corpus) -> Path:
    from indexer.ingest.sources import read_articles
    from indexer.store.index import write_articles

    path = tmp_path_factory.mktemp("single") / "index"
    write_articles(path, read_articles([str(corpus[0])]))
    return path


@pytest.fixture(scope="module")
def cluster_index(tmp_path_factory, cluster, corpus) -> Path:
    path = tmp_path_factory.mktemp("sharded") / "index"
    done = timtin(cluster, "index", str(corpus[0]), "--index", str(path), "--shards", str(SHARDS),
                  "--cluster", cluster.address, "--batch", "25", "-q")
    assert done.returncode == 0, done.stderr
    assert "120 indexed, 0 updated" in done.stderr
    return path


def timtin(cluster: LocalRayCluster, *args: str, timeout: float = 240):
    """Run the timtin command inside the cluster's namespace."""
    return cluster.run([PY, "-m", "indexer.cli", *args], timeout=timeout, cwd=str(REPO))


def stored_ids(index_dir: Path) -> list[str]:
    """Every live article id of a (sharded) index, duplicates kept."""
    from indexer.shard.view import iter_stored, open_view

    return [fields["id"] for _, _, fields in iter_stored(open_view(index_dir))]


def top_ids(index_dir: Path, q: str, **kw) -> list[str]:
    from indexer.search import SearchRequest, search

    return [h.id for h in search(SearchRequest(q=q, per_page=10, **kw), index_dir).hits]


def test_cluster_index_has_every_article_once_in_its_shard(cluster_index, corpus):
    from indexer.shard.manifest import read_manifest, shard_dirs, shard_of
    from indexer.store.index import open_index

    assert read_manifest(cluster_index).shards == SHARDS
    ids = stored_ids(cluster_index)
    assert sorted(ids) == sorted(corpus[1])
    for i, d in enumerate(shard_dirs(cluster_index)):
        with open_index(d, create=False).searcher() as s:
            assert all(shard_of(f["id"], SHARDS) == i for f in s.all_stored_fields())


def test_cluster_index_searches_like_one_index(cluster_index, single_index):
    for q in QUERIES:
        assert top_ids(cluster_index, q) == top_ids(single_index, q), q
        assert top_ids(cluster_index, q, sort="newest") == top_ids(single_index, q, sort="newest"), q


def test_cluster_index_rerun_updates_without_duplicates(cluster, cluster_index, corpus):
    done = timtin(cluster, "index", str(corpus[0]), "--index", str(cluster_index), "--cluster", cluster.address,
                  "-q")
    assert done.returncode == 0, done.stderr
    assert "0 indexed, 120 updated" in done.stderr
    assert sorted(stored_ids(cluster_index)) == sorted(corpus[1])


def test_node_killed_while_indexing_loses_no_commit_and_rerun_completes(cluster, corpus, tmp_path):
    from indexer.store.index import open_index

    index = tmp_path / "index"
    args = [PY, "-m", "indexer.cli", "index", str(corpus[0]), "--index", str(index), "--shards", str(SHARDS),
            "--cluster", cluster.address, "--batch", "5", "--no-merge", "-q"]
    run = cluster.popen(args, log=tmp_path / "index.log", cwd=str(REPO))
    generations = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:  # wait for the first commits
        try:
            generations = [open_index(d, create=False).latest_generation() for d in sorted(index.glob("shard-*"))]
        except (FileNotFoundError, RuntimeError, OSError):
            generations = []
        if generations and min(generations) >= 2:
            break
        time.sleep(0.2)
    cluster.kill_node(1)
    run.wait(timeout=180)
    committed = stored_ids(index)
    assert len(committed) == len(set(committed))  # whatever got committed is there once
    assert set(committed) <= set(corpus[1])
    cluster.add_worker()
    done = cluster.run(args, timeout=240, cwd=str(REPO))
    assert done.returncode == 0, done.stderr
    assert sorted(stored_ids(index)) == sorted(corpus[1])
    assert f"{120 - len(committed)} indexed, {len(committed)} updated" in done.stderr


def _serve(cluster: LocalRayCluster, index: Path, port: int, replicas: int, log: Path) -> str:
    cluster.popen([PY, "-m", "indexer.cli", "serve", "--index", str(index), "--cluster", cluster.address,
                   "--replicas", str(replicas), "--port", str(port)], log=log, cwd=str(REPO))
    return f"http://127.0.0.1:{port}"


def _wait_healthy(pool: NetnsPool, base: str, live: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    reply = None
    while time.monotonic() < deadline:
        reply = pool.submit(http_get, base + "/healthz", 10).result()
        if reply.status == 200 and reply.body["replicas"]["live"] == live:
            return reply.body
        time.sleep(0.5)
    raise AssertionError(f"never {live} live replicas: {reply}")


def _schema_errors(body: dict, path: str, status: int) -> list[str]:
    """What the served OpenAPI document says is wrong with a response body."""
    from openapi_schema_validator import OAS31Validator

    from webapp.openapi import openapi_spec

    spec = openapi_spec()
    schema = spec["paths"][path]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    return [e.message for e in OAS31Validator({**schema, "components": spec["components"]}).iter_errors(body)]


def _urls(base: str) -> list[str]:
    return [f"{base}/search?" + urllib.parse.urlencode({"q": q}) for q in QUERIES]


def test_serve_two_replicas_survives_a_node_loss(cluster, cluster_index, tmp_path):
    with NetnsPool(cluster.netns, workers=32) as pool:
        base = _serve(cluster, cluster_index, 8701, 2, tmp_path / "serve.log")
        health = _wait_healthy(pool, base, SHARDS * 2)
        assert health["documents"] == 120 and health["shards"] == SHARDS
        assert health["replicas"]["nodes_per_shard"] == [2] * SHARDS  # each shard's replicas on both nodes
        assert not _schema_errors(health, "/healthz", 200)
        expected = {}  # each query's answer before the node loss
        for url, q in zip(_urls(base), QUERIES):
            reply = pool.submit(http_get, url).result()
            assert reply.status == 200 and reply.body["results"], reply
            expected[q] = [r["id"] for r in reply.body["results"]]

        replies = paced_load(pool, _urls(base), rate=20, seconds=12, during=lambda: cluster.kill_node(2), at=3)
        failed = [r for r in replies if r.status != 200 or r.body.get("partial")]
        assert not failed, failed[:3]
        for reply, q in zip(replies, QUERIES * 30):
            assert [r["id"] for r in reply.body["results"]] == expected[q], q
        # Ray restarts the lost replicas on the node that is left
        health = _wait_healthy(pool, base, SHARDS * 2)
        assert health["replicas"]["per_shard"] == [2] * SHARDS
    cluster.add_worker()


def test_serve_one_replica_answers_503_or_partial_after_a_node_loss(cluster, cluster_index, tmp_path):
    with NetnsPool(cluster.netns, workers=32) as pool:
        base = _serve(cluster, cluster_index, 8702, 1, tmp_path / "serve.log")
        _wait_healthy(pool, base, SHARDS)
        replies = paced_load(pool, _urls(base), rate=20, seconds=10, during=lambda: cluster.kill_node(3), at=2)
    statuses = {r.status for r in replies}
    assert statuses <= {200, 503}, [r for r in replies if r.status not in (200, 503)][:3]  # no 500, no hang
    degraded = [r for r in replies if r.status == 503 or r.body.get("partial")]
    assert degraded  # the worker node held at least one shard's only replica
    for r in degraded:
        if r.status == 503:
            assert r.body["error"]["code"] == "index_unavailable"
        else:
            assert r.body["missing_shards"] and set(r.body["missing_shards"]) <= set(range(SHARDS))
        assert not _schema_errors(r.body, "/search", r.status)
