"""Merging segments: every posting and document kept (the same as before the merge), deletions kept."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from indexer.search import SearchRequest, search
from indexer.store import compact
from indexer.store.index import delete_articles, open_index, write_articles
from indexer.store.internals import index_segments
from indexer.store.merge import merge_segments, small_segments
from tests.helpers import ARTICLES, art


def _batches(path: Path, batches: list[list]) -> None:
    for batch in batches:
        write_articles(path, batch)


def _postings(index_dir: Path) -> list[tuple]:
    """Every posting of the index's live articles, by article id: (field, term, id, frequency, positions)."""
    ix = open_index(index_dir, create=False)
    out = []
    with ix.searcher() as s:
        for segment, _ in s.reader().leaf_readers():
            ids = {d: f["id"] for d, f in segment.iter_docs()}  # live documents only
            for fieldname in sorted(segment.indexed_field_names()):
                for term in segment.lexicon(fieldname):
                    for d, tf, positions in compact.read_term(segment, fieldname, term):
                        if d in ids:
                            out.append((fieldname, term, ids[d], tf, positions))
    return sorted(out)


def _documents(index_dir: Path) -> list[dict]:
    ix = open_index(index_dir, create=False)
    with ix.searcher() as s:
        return sorted((dict(f) for f in s.all_stored_fields()), key=lambda f: f["id"])


def _segments(index_dir: Path) -> list[int]:
    return [s.doc_count_all() for s in index_segments(open_index(index_dir, create=False))]


BATCHES = [ARTICLES[:3], ARTICLES[3:6], ARTICLES[6:],
           [art(f"them-{i}", f"Tin thêm số {i} về đại hội", "Nội dung " * (i + 1)) for i in range(5)]]


def test_merge_keeps_every_posting_and_document(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    _batches(ours, BATCHES)
    postings, documents = _postings(ours), _documents(ours)
    assert len(postings) > 500
    assert _segments(ours) == [3, 3, 4, 5]
    (ours / ".merge-123-dead").mkdir()  # the scratch folder of a merge that was killed

    result = merge_segments(ours, everything=True)
    assert result is not None and result.merged == 4 and result.docs == 15
    assert _segments(ours) == [15]
    assert not list(ours.glob(".merge-*"))
    assert _postings(ours) == postings
    assert _documents(ours) == documents
    hits = search(SearchRequest(q="dai hoi dang cac cap"), ours).hits
    assert hits[0].id == "dai-hoi"


def test_merge_drops_documents_deleted_before_it(tmp_path: Path) -> None:
    _batches(tmp_path, BATCHES)
    delete_articles(tmp_path, ["dai-hoi", "them-2"])
    write_articles(tmp_path, [art("ban-nha", "Bán nhà phố cổ", "Nội dung mới.")])  # an update deletes the old one
    before = _postings(tmp_path)
    merge_segments(tmp_path, everything=True)
    assert _segments(tmp_path) == [13]
    assert _postings(tmp_path) == before
    assert not any(h.id == "dai-hoi" for h in search(SearchRequest(q="dai hoi dang"), tmp_path).hits)
    assert search(SearchRequest(q="ban nha pho co"), tmp_path).hits[0].id == "ban-nha"


def test_deletions_made_during_a_merge_survive_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import indexer.store.merge as merge

    _batches(tmp_path, BATCHES)
    original = merge._write_merged

    def slow_merge(*args, **kwargs):  # another process deletes while the merged segment is written
        segment = original(*args, **kwargs)
        delete_articles(tmp_path, ["bao-lu"])
        return segment

    monkeypatch.setattr(merge, "_write_merged", slow_merge)
    merge_segments(tmp_path, everything=True)
    assert _segments(tmp_path) == [15]
    assert open_index(tmp_path, create=False).doc_count() == 14
    assert not any(h.id == "bao-lu" for h in search(SearchRequest(q="bao lu mien trung"), tmp_path).hits)


def test_only_one_merge_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import indexer.store.merge as merge

    _batches(tmp_path, BATCHES)
    inside, release, results = threading.Event(), threading.Event(), []
    original = merge._write_merged

    def blocking(*args, **kwargs):
        inside.set()
        release.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(merge, "_write_merged", blocking)
    t = threading.Thread(target=lambda: results.append(merge_segments(tmp_path, everything=True)))
    t.start()
    assert inside.wait(10)
    assert merge_segments(tmp_path, everything=True) is None  # the second one gives way
    write_articles(tmp_path, [art("moi", "Tin mới trong lúc gộp", "Vẫn ghi được.")])  # writers are not blocked
    release.set()
    t.join()
    assert results[0] is not None and results[0].merged == 4
    assert sorted(_segments(tmp_path)) == [1, 15]
    assert search(SearchRequest(q="tin moi trong luc gop"), tmp_path).hits[0].id == "moi"


def test_policy_waits_for_enough_small_segments(tmp_path: Path) -> None:
    _batches(tmp_path, BATCHES[:3])
    segments = index_segments(open_index(tmp_path, create=False))
    assert small_segments(segments, small_docs=100, min_segments=4) == []
    assert len(small_segments(segments, small_docs=100, min_segments=3)) == 3
    assert small_segments(segments, small_docs=4, min_segments=2) == [segments[0], segments[1]]
    assert merge_segments(tmp_path) is None


def test_cli_merge_and_background_merge_after_indexing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import json
    import time

    from indexer.cli import main

    index = tmp_path / "ix"
    files = []
    for i, batch in enumerate(BATCHES):
        f = tmp_path / f"batch-{i}.jsonl"
        f.write_text("\n".join(json.dumps({"id": a.id, "title": a.title, "body": a.body}, ensure_ascii=False)
                               for a in batch), encoding="utf-8")
        files.append(f)
    for f in files[:3]:
        assert main(["index", str(f), "--index", str(index), "-q", "--no-merge"]) == 0
    assert main(["merge", "--index", str(index)]) == 0
    assert "nothing to merge" in capsys.readouterr().err  # 3 small segments: not yet
    assert main(["index", str(files[3]), "--index", str(index), "-q"]) == 0  # the 4th starts a merge
    assert "merging small segments in the background" in capsys.readouterr().err
    deadline = time.monotonic() + 60
    while len(_segments(index)) > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _segments(index) == [15]
    assert main(["merge", "--index", str(index), "--all"]) == 0
    assert "nothing to merge" in capsys.readouterr().err


def _chunks(index_dir: Path, fieldname: str, text: str) -> list[int]:
    """How many chunks each segment keeps the term's postings in."""
    from indexer.store import codec

    ix = open_index(index_dir, create=False)
    with ix.searcher() as s:
        out = []
        for segment, _ in s.reader().leaf_readers():
            raw = compact.read_record(segment, fieldname, text)
            out.append(0 if raw is None else sum(1 for _ in codec.iter_chunks(raw, True, skip_positions=True)))
        return out


def test_a_frequent_term_of_several_segments_is_merged_into_one_chunk(tmp_path: Path) -> None:
    from indexer.schema import FOLDED

    # "tin" in all 160 articles (a search decodes one chunk faster than four); "hiem" in one per batch
    batches = [[art(f"b{b}-{i:02d}", f"Tin số {i} đợt {b}", "Nội dung tin tức" + (" hiếm" if i == 0 else ""))
                for i in range(40)] for b in range(4)]
    for path in (tmp_path / "plain", tmp_path / "deleted"):
        _batches(path, batches)
    delete_articles(tmp_path / "deleted", ["b1-03", "b2-00"])
    for path in (tmp_path / "plain", tmp_path / "deleted"):
        postings = _postings(path)
        assert _chunks(path, FOLDED["body"], "tin") == [1, 1, 1, 1]
        assert merge_segments(path, everything=True) is not None
        assert _postings(path) == postings
        assert _chunks(path, FOLDED["body"], "tin") == [1]
    assert _chunks(tmp_path / "plain", FOLDED["body"], "hiem") == [4]  # short: its chunks moved into place
    assert [h.id for h in search(SearchRequest(q="tin so 7 dot 2"), tmp_path / "deleted").hits][:1] == ["b2-07"]
